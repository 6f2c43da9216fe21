import Foundation
import SparrowToolchain

/// Builds each board at most once per test run (tests run in parallel; builds of different
/// boards may overlap, the same board never builds twice).
final class DeviceBuildCache: @unchecked Sendable {
    static let shared = DeviceBuildCache()

    let catalog: BoardCatalog
    let builder: DeviceBuilder
    private let lock = NSLock()
    private var boardLocks: [String: NSLock] = [:]
    private var results: [String: Result<DeviceBuildResult, ToolchainError>] = [:]

    private init() {
        // Locate the checkout from this file, so the tests do not depend on the working directory.
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path
        do {
            catalog = try BoardCatalog(root: RepositoryRoot.locate(environment: [:], currentDirectory: here))
        } catch {
            fatalError("cannot load Boards/ and Toolchains/: \(error)")
        }
        builder = DeviceBuilder(catalog: catalog)
    }

    func build(_ boardName: String) throws -> DeviceBuildResult {
        let boardLock: NSLock = lock.withLock {
            if let existing = boardLocks[boardName] { return existing }
            let created = NSLock()
            boardLocks[boardName] = created
            return created
        }
        return try boardLock.withLock {
            if let cached = lock.withLock({ results[boardName] }) { return try cached.get() }
            let result = Result { () throws(ToolchainError) -> DeviceBuildResult in
                try builder.build(board: try catalog.board(named: boardName))
            }
            lock.withLock { results[boardName] = result }
            return try result.get()
        }
    }
}

/// Runs a command line and returns (exit code, stdout, stderr); for objdump and swiftc in tests.
func runTool(_ command: [String]) throws -> (exitCode: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = command
    let directory = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let outURL = directory.appendingPathComponent("out")
    let errURL = directory.appendingPathComponent("err")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let out = try FileHandle(forWritingTo: outURL)
    let err = try FileHandle(forWritingTo: errURL)
    process.standardOutput = out
    process.standardError = err
    try process.run()
    process.waitUntilExit()
    try out.close()
    try err.close()
    return (process.terminationStatus, try String(contentsOf: outURL, encoding: .utf8),
            try String(contentsOf: errURL, encoding: .utf8))
}

/// A fresh temporary directory. The caller may remove it; whatever is left goes with the test
/// process's own scratch directory at exit (`TestScratch`), so a test run leaves nothing in /tmp.
func makeTemporaryDirectory() throws -> URL {
    let directory = TestScratch.root.appendingPathComponent(UUID().uuidString)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
}

/// `$TMPDIR/sparrow-devtest-<pid>`: every temporary directory of this test process, removed when
/// the process exits. Directories of test processes that died without exiting (crash, kill) are
/// removed by the next run once their pid is gone.
enum TestScratch {
    static let prefix = "sparrow-devtest-"

    static let root: URL = {
        let temporary = FileManager.default.temporaryDirectory
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? [] where name.hasPrefix(prefix) {
            guard let pid = Int32(name.dropFirst(prefix.count)), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(at: temporary.appendingPathComponent(name))
        }
        let root = temporary.appendingPathComponent(prefix + String(getpid()))
        try? FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: TestScratch.root) }
        return root
    }()
}
