import Foundation

/// Finds Sparrow's data — Boards/, Toolchains/ and the device modules' Sources/ — for
/// `build-device`, `emulate`, `demo` and `--board`. In order:
/// 1. `SPARROW_ROOT`, if set (a checkout or an installed data directory);
/// 2. the data installed with the executable by Toolchains/install.sh: `<prefix>/share/sparrow`
///    next to `<prefix>/bin/sparrow` (symlinks to the executable are followed);
/// 3. the nearest checkout (Package.swift and Boards/) walking up from the current directory,
///    then from the executable (a `swift build` binary lives inside its checkout).
public enum RepositoryRoot {
    /// The file install.sh writes into `<prefix>/share/sparrow` to mark it as Sparrow's data.
    public static let installedMarker = "SPARROW-DATA"

    public static func locate(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        currentDirectory: String = FileManager.default.currentDirectoryPath,
        executablePath: String? = Bundle.main.executablePath ?? CommandLine.arguments.first
    ) throws(ToolchainError) -> URL {
        var searched: [String] = []
        if let explicit = environment["SPARROW_ROOT"], !explicit.isEmpty {
            let url = URL(fileURLWithPath: explicit).standardizedFileURL
            if isRoot(url) || isInstalledData(url) { return url }
            throw .invalidField(file: "environment", field: "SPARROW_ROOT",
                                problem: "\(url.path) is neither a Sparrow checkout (Package.swift, Boards/) nor installed data (\(installedMarker))")
        }
        let executableDirectory = executablePath.map {
            URL(fileURLWithPath: $0).resolvingSymlinksInPath().deletingLastPathComponent()
        }
        if let executableDirectory {
            let installed = executableDirectory.deletingLastPathComponent().appendingPathComponent("share/sparrow").standardizedFileURL
            searched.append(installed.path)
            if isInstalledData(installed) { return installed }
        }
        var starts = [URL(fileURLWithPath: currentDirectory)]
        if let executableDirectory { starts.append(executableDirectory) }
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
        FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) && isDirectory(url.appendingPathComponent("Boards"))
    }

    static func isInstalledData(_ url: URL) -> Bool {
        FileManager.default.fileExists(atPath: url.appendingPathComponent(installedMarker).path) && isDirectory(url.appendingPathComponent("Boards"))
    }

    static func isDirectory(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// Where `sparrow` keeps generated files (`name`: build-device, demo): `<root>/.<name>` in a
    /// checkout or writable data directory; else `$XDG_CACHE_HOME/sparrow/<name>` (default
    /// `~/.cache/sparrow/<name>`), so an installed copy under /usr/local works for any user.
    public static func workDirectory(root: URL, name: String,
                                     environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if FileManager.default.isWritableFile(atPath: root.path) { return root.appendingPathComponent(".\(name)") }
        let cache = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
        return cache.appendingPathComponent("sparrow").appendingPathComponent(name)
    }
}
