import Foundation
import Testing

/// The host `sparrow` executable of this build: `swift test` builds every product into the
/// directory that holds the test bundle (`<scratch>/<triple>/debug/`), so it is found from the
/// bundle's own path. If it is missing (a partial build), it is built with
/// `swift build --product sparrow` into a scratch directory of its own (the test run's scratch
/// directory is locked by `swift test` itself).
func sparrowExecutable() throws -> String {
    let bundle = URL(fileURLWithPath: CommandLine.arguments[0])
    let candidates = [
        bundle.deletingLastPathComponent().appendingPathComponent("sparrow"),
        // swift test's runner lives inside the .xctest bundle on some setups.
        bundle.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("sparrow"),
    ]
    if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) { return found.path }
    return try SparrowExecutableBuild.shared.path()
}

/// Builds `sparrow` at most once per test run when the test bundle has none next to it.
final class SparrowExecutableBuild: @unchecked Sendable {
    static let shared = SparrowExecutableBuild()
    private let lock = NSLock()
    private var built: String?

    func path() throws -> String {
        try lock.withLock {
            if let built { return built }
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardizedFileURL
            let scratch = root.appendingPathComponent(".build-tests-cli").path
            let build = try runTool(["swift", "build", "--package-path", root.path, "--scratch-path", scratch, "--product", "sparrow"])
            try #require(build.exitCode == 0, "swift build --product sparrow failed: \(build.stderr)")
            let binPath = try runTool(["swift", "build", "--package-path", root.path, "--scratch-path", scratch, "--show-bin-path"])
            let path = binPath.stdout.trimmingCharacters(in: .whitespacesAndNewlines) + "/sparrow"
            try #require(FileManager.default.isExecutableFile(atPath: path), "no sparrow executable at \(path)")
            built = path
            return path
        }
    }
}
