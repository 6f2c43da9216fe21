import Foundation
import SparrowCommandLine

/// Minimal command-line parsing: positional arguments and `--flag VALUE` options, with an error
/// for anything unknown. (No third-party packages by the client's rule.) Every `sparrow`
/// subcommand parses with this, including `build-device` and `emulate`.
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
                guard i + 1 < args.count else { throw CLIError.usage("option \(a) needs a value") }
                options[a, default: []].append(args[i + 1])
                i += 1
            } else if switches.contains(a) {
                flags.insert(a)
            } else if a.hasPrefix("-") && a.count > 1 {
                throw CLIError.usage("unknown option \(a) (see --help)")
            } else {
                positional.append(a)
            }
            i += 1
        }
    }

    /// `sparrow run` / `sparrow bench`: the grammar shared with `sparrow-device` (SparrowCommandLine)
    /// decides what is an option, a mistake or the model; the same checks and words on both tools.
    init(_ args: [String], grammar command: GrammarCommand) throws {
        let joined = args.map { Array($0.utf8) }
        var offsets = [0]
        for a in joined { offsets.append(offsets.last! + a.count) }
        let flat = joined.flatMap { $0 }
        let scan: GrammarScan = flat.withUnsafeBytes { all in
            CommandGrammar.scan(command, tool: .host, count: args.count, start: 0) { i in
                UnsafeRawBufferPointer(rebasing: all[offsets[i]..<offsets[i + 1]])
            }
        }
        if let problem = scan.problem {
            let named = problem.argumentIndex.map { args[$0] } ?? ""
            throw CLIError.usage("\(problem.before)\(named)\(problem.after)")
        }
        var valued: Set<String> = [], switches: Set<String> = []
        var option: CommandOption? = .first
        while let o = option {
            if command.availability(of: o) != .absent {
                if o.takesValue { valued.insert("\(o.name)") } else { switches.insert("\(o.name)") }
            }
            option = o.next
        }
        try self.init(args, valued: valued, switches: switches)
    }

    /// `command`'s option lines for `--help`, from the shared grammar.
    static func optionHelp(_ command: GrammarCommand) -> String {
        var bytes: [UInt8] = []
        CommandGrammar.writeHelp(command) { bytes.append(contentsOf: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    func value(_ name: String) -> String? { options[name]?.last }
    func has(_ flag: String) -> Bool { flags.contains(flag) }

    /// A usage error unless there are `allowed` positional arguments: the first extra one is
    /// named; too few prints the usage.
    func expectPositional(_ allowed: ClosedRange<Int>, usage: String) throws {
        if positional.count > allowed.upperBound {
            throw CLIError.usage("unexpected argument '\(positional[allowed.upperBound])' (see --help)")
        }
        guard positional.count >= allowed.lowerBound else { throw CLIError.usage(usage) }
    }

    /// Removes `flag A B` (an option with two values, e.g. `--validation X.npy Y.npy`) from `args`
    /// before parsing; both files must exist.
    static func extractPair(_ flag: String, from args: inout [String]) throws -> (x: String, y: String)? {
        guard let i = args.firstIndex(of: flag) else { return nil }
        guard i + 2 < args.count else { throw CLIError.usage("\(flag) needs two files: samples X.npy and labels Y.npy") }
        let pair = (args[i + 1], args[i + 2])
        args.removeSubrange(i...(i + 2))
        for path in [pair.0, pair.1] where !FileManager.default.fileExists(atPath: path) {
            throw CLIError("\(flag): file '\(path)' not found")
        }
        return pair
    }
}

/// `NAME=FILE` → (NAME, FILE); a plain `FILE` (no `=`, or an existing file whose name has one)
/// → ("", FILE), meaning "the model's only input".
func splitNamed(_ value: String) -> (name: String, path: String) {
    guard let cut = value.firstIndex(of: "="), !FileManager.default.fileExists(atPath: value) else { return ("", value) }
    return (String(value[..<cut]), String(value[value.index(after: cut)...]))
}

/// A failure the command reports as `sparrow COMMAND: message`. Usage errors (bad or missing
/// arguments) exit with status 2, everything else with 1.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    var exitStatus: Int32 = 1
    init(_ message: String) { description = message }

    static func usage(_ message: String) -> CLIError {
        var e = CLIError(message)
        e.exitStatus = 2
        return e
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
