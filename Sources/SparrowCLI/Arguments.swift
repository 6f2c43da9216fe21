import Foundation

/// Minimal command-line parsing: positional arguments and `--flag VALUE` options, with an error
/// for anything unknown. (No third-party packages by the client's rule.)
struct Arguments {
    var positional: [String] = []
    var options: [String: [String]] = [:]
    var flags: Set<String> = []

    /// `valued` are options that take a value; `switches` take none.
    init(_ args: [String], valued: Set<String>, switches: Set<String>) throws {
        var i = 0
        while i < args.count {
            let a = args[i]
            if a == "--help" || a == "-h" {
                flags.insert("--help")
            } else if valued.contains(a) {
                guard i + 1 < args.count else { throw CLIError("option \(a) needs a value") }
                options[a, default: []].append(args[i + 1])
                i += 1
            } else if switches.contains(a) {
                flags.insert(a)
            } else if a.hasPrefix("-") && a.count > 1 {
                throw CLIError("unknown option \(a) (see --help)")
            } else {
                positional.append(a)
            }
            i += 1
        }
    }

    func value(_ name: String) -> String? { options[name]?.last }
    func has(_ flag: String) -> Bool { flags.contains(flag) }
}

struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}

func readFileBytes(_ path: String, what: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw CLIError("cannot read \(what) '\(path)': no such file or not readable")
    }
    return [UInt8](data)
}

func writeFileBytes(_ bytes: [UInt8], to path: String, what: String) throws {
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
        throw CLIError("cannot write \(what) '\(path)'")
    }
}

func formatBytes(_ n: Int) -> String {
    if n >= 1 << 20 { return String(format: "%.2f MiB", Double(n) / Double(1 << 20)) }
    if n >= 1 << 10 { return String(format: "%.1f KiB", Double(n) / Double(1 << 10)) }
    return "\(n) B"
}

func formatCount(_ n: UInt64) -> String {
    if n >= 1_000_000 { return String(format: "%.2f M", Double(n) / 1e6) }
    if n >= 1_000 { return String(format: "%.1f k", Double(n) / 1e3) }
    return "\(n)"
}
