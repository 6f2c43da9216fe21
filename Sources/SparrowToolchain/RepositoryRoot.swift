import Foundation

/// Finds the Sparrow checkout: `SPARROW_ROOT` if set, otherwise the nearest directory holding both
/// Package.swift and Boards/, walking up from the current directory and then from the executable.
public enum RepositoryRoot {
    public static func locate(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        currentDirectory: String = FileManager.default.currentDirectoryPath,
        executablePath: String? = Bundle.main.executablePath ?? CommandLine.arguments.first
    ) throws(ToolchainError) -> URL {
        var searched: [String] = []
        if let explicit = environment["SPARROW_ROOT"], !explicit.isEmpty {
            let url = URL(fileURLWithPath: explicit).standardizedFileURL
            if isRoot(url) { return url }
            throw .invalidField(file: "environment", field: "SPARROW_ROOT",
                                problem: "\(url.path) has no Package.swift and Boards/")
        }
        var starts = [URL(fileURLWithPath: currentDirectory)]
        if let executablePath {
            starts.append(URL(fileURLWithPath: executablePath).resolvingSymlinksInPath().deletingLastPathComponent())
        }
        for start in starts {
            var directory = start.standardizedFileURL
            while true {
                searched.append(directory.path)
                if isRoot(directory) { return directory }
                let parent = directory.deletingLastPathComponent()
                if parent.path == directory.path { break }
                directory = parent
            }
        }
        throw .repositoryRootNotFound(searched: searched)
    }

    static func isRoot(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        let manager = FileManager.default
        return manager.fileExists(atPath: url.appendingPathComponent("Package.swift").path)
            && manager.fileExists(atPath: url.appendingPathComponent("Boards").path, isDirectory: &isDirectory)
            && isDirectory.boolValue
    }
}
