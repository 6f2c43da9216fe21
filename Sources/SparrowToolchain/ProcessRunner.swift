import Foundation

/// The result of running a command to completion.
public struct CommandOutput: Sendable, Equatable {
    public var exitCode: Int32
    public var stdout: Data
    public var stderr: Data
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

enum ProcessRunner {
    /// Runs `command` (looked up on PATH) and captures its output through temporary files, which
    /// cannot deadlock however much the tool prints.
    static func run(_ command: [String], currentDirectory: URL? = nil) throws(ToolchainError) -> CommandOutput {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("sparrow-run-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        let outURL = scratch.appendingPathExtension("out")
        let errURL = scratch.appendingPathExtension("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        do {
            let outHandle = try FileHandle(forWritingTo: outURL)
            let errHandle = try FileHandle(forWritingTo: errURL)
            defer { try? outHandle.close(); try? errHandle.close() }
            process.standardOutput = outHandle
            process.standardError = errHandle
            process.standardInput = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
        } catch {
            throw .commandFailed(step: "start", command: command, exitCode: -1, output: "\(error)")
        }
        let stdout = (try? Data(contentsOf: outURL)) ?? Data()
        let stderr = (try? Data(contentsOf: errURL)) ?? Data()
        // env exits 127 when the tool itself is missing.
        if process.terminationReason == .exit, process.terminationStatus == 127,
           String(decoding: stderr, as: UTF8.self).hasPrefix("/usr/bin/env: ")
        {
            throw .toolNotFound(tool: command.first ?? "", hint: "run Toolchains/setup.sh")
        }
        let code = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return CommandOutput(exitCode: code, stdout: stdout, stderr: stderr)
    }

    /// Runs a build step and throws with its output if it fails.
    @discardableResult
    static func check(_ step: String, _ command: [String]) throws(ToolchainError) -> CommandOutput {
        let output = try run(command)
        guard output.exitCode == 0 else {
            throw .commandFailed(step: step, command: command, exitCode: output.exitCode,
                                 output: output.stderrText + output.stdoutText)
        }
        return output
    }
}
