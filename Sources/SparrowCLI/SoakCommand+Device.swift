import Foundation
import SparrowNPY
import SparrowRuntime
import SparrowToolchain

/// `sparrow soak MODEL --board NAME --iterations N`: the scaled soak on a board's device build
/// under qemu. One `sparrow-device run` process infers N copies of one fixed sample; its output
/// file must hold the host interpreter's output for that sample N times, byte for byte, and the
/// emulator's resident memory (VmRSS of the qemu process, polled every 20 ms) must stay flat
/// after a warm-up except for the pages of the output buffer the run fills as it goes.
enum DeviceSoak {
    static func main(modelPath: String, boardName: String, iterations: Int) throws -> Int32 {
        let catalog = try BoardCatalog.locate()
        let board = try catalog.board(named: boardName)
        let loaded = try loadModel(path: modelPath)
        defer { withExtendedLifetime(loaded) {} }
        guard loaded.model.inputCount == 1 else {
            throw CLIError("--board soaks a single-input model; this one has \(loaded.model.inputCount) inputs")
        }
        // One sample (a fixed pattern in [0, 1]) and N copies of it, as float32 .npy files.
        let elements = loaded.interpreter.inputBuffer(0).count / 4
        let sample = (0..<elements).map { k in Float((k &* 37) % 256) / 255 }
        // The model's input shape with its leading (batch) dimension as the sample count.
        let record = loaded.model.tensor(loaded.model.graphInput(0))
        let sampleShape = (1..<Int(record.rank)).map { Int(record.dim($0)) }
        guard let one = NPYArray(floats: sample, shape: [1] + sampleShape).encoded() else { throw CLIError("cannot encode the input") }
        let reference = try loaded.runBatch(inputFile: one)
        let referenceRow = [UInt8](reference.outputFile.dropFirst(reference.outputFile.count - reference.outputs.count * 4))
        var copies: [Float] = []
        copies.reserveCapacity(iterations * elements)
        for _ in 0..<iterations { copies += sample }
        guard let many = NPYArray(floats: copies, shape: [iterations] + sampleShape).encoded() else {
            throw CLIError("cannot encode \(iterations) samples")
        }
        let work = RepositoryRoot.workDirectory(root: catalog.root, name: "build-soak")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let inputPath = work.appendingPathComponent("soak_x.npy").path, outputPath = work.appendingPathComponent("soak_y.npy").path
        try writeFileBytes(many, to: inputPath, what: "soak input")
        defer { try? FileManager.default.removeItem(atPath: inputPath); try? FileManager.default.removeItem(atPath: outputPath) }

        let builder = DeviceBuilder(catalog: catalog)
        let binary = try builder.build(board: board).binaryPath
        let command = Emulator(builder: builder).command(
            board: board, binary: binary, arguments: ["run", modelPath, "--input", inputPath, "--output", outputPath])
        print("soak on \(board.name) under \(command.prefix(3).joined(separator: " ")): \(iterations) runs of one sample")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        let started = Date()
        try process.run()
        // /usr/bin/env execs qemu, so the pid is the emulator's.
        var samples: [(seconds: Double, bytes: Int)] = []
        while process.isRunning {
            if let rss = residentBytes(pid: process.processIdentifier) { samples.append((Date().timeIntervalSince(started), rss)) }
            usleep(20_000)
        }
        let errorText = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let outText = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let seconds = Date().timeIntervalSince(started)
        guard process.terminationStatus == 0 else {
            throw CLIError("sparrow-device exited with status \(process.terminationStatus): \(errorText)\(outText)")
        }

        // Outputs: every row byte-identical to the host's output for the sample.
        let output = try readFileBytes(outputPath, what: "device output")
        let rowBytes = referenceRow.count
        let body = output.dropFirst(output.count - iterations * rowBytes)
        var differing = 0, firstDiffering: Int?
        for run in 0..<iterations {
            let start = body.startIndex + run * rowBytes
            if !body[start..<start + rowBytes].elementsEqual(referenceRow) {
                differing += 1
                if firstDiffering == nil { firstDiffering = run }
            }
        }

        // RSS: "start" is the first reading after 10 % of the run (qemu has translated the code
        // and the input is read); the output buffer (one row per run, plus the exit-index buffer's
        // 8 bytes) is filled as the runs go, so its pages are the growth allowed beyond 1 %.
        let warm = samples.first(where: { $0.seconds >= seconds * 0.1 }) ?? samples.first
        let end = samples.last
        let outputPages = iterations * (rowBytes + 8)
        print("runs:       \(iterations) in \(String(format: "%.1f", seconds)) s (\(samples.count) RSS readings)")
        if let warm, let end {
            let peak = samples.map(\.bytes).max() ?? end.bytes
            print("RSS:        \(warm.bytes) bytes at \(String(format: "%.1f", warm.seconds)) s, \(end.bytes) at end "
                  + "(\(String(format: "%.1f", end.seconds)) s), peak \(peak); growth \(end.bytes - warm.bytes) bytes, "
                  + "output buffers filled meanwhile ≤ \(outputPages) bytes")
        } else {
            print("RSS:        no reading (the run ended within 20 ms)")
        }
        print("outputs:    \(differing == 0 ? "identical to the host's in every run" : "\(differing) runs differed from the host's (first: run \(firstDiffering!))")")
        var ok = differing == 0
        if let warm, let end, end.bytes - warm.bytes > outputPages + warm.bytes / 100 {
            print("RSS grew by \(end.bytes - warm.bytes) bytes: more than the output buffers and 1 %")
            ok = false
        }
        return ok ? 0 : 1
    }

    /// VmRSS of process `pid`, in bytes.
    static func residentBytes(pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return nil }
        let fields = line.split(separator: " ")
        guard fields.count >= 2, let kb = Int(fields[1]) else { return nil }
        return kb * 1024
    }
}
