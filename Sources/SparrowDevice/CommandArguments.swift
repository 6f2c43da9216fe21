// argv access without building [String] (which would allocate): arguments stay C strings and are
// compared byte-by-byte with StaticString literals. Which options a command has, and what is a
// mistake, is SparrowCommandLine's grammar — the same one `sparrow run` / `sparrow bench` use.

import SparrowCommandLine

struct CommandArguments {
    let count: Int
    private let vector: CArgumentVector?

    init() {
        let arguments = libcArguments()
        count = arguments.vector == nil ? 0 : Int(arguments.count)
        vector = arguments.vector
    }

    /// The argument at `index` (0 is the program name), or nil past the end.
    subscript(index: Int) -> UnsafePointer<CChar>? {
        guard index >= 0, index < count, let argument = vector?[index] else { return nil }
        return UnsafePointer(argument)
    }

    /// True if the argument at `index` exists and equals `literal` exactly.
    func argument(_ index: Int, is literal: StaticString) -> Bool {
        guard let argument = self[index] else { return false }
        let expected = literal.utf8Start
        let length = literal.utf8CodeUnitCount
        for offset in 0..<length where UInt8(bitPattern: argument[offset]) != expected[offset] {
            return false  // also stops at the argument's NUL, which never equals a literal byte
        }
        return argument[length] == 0
    }

    /// Index of the first argument at or after `start` equal to `literal`, if any.
    func firstIndex(of literal: StaticString, from start: Int = 1) -> Int? {
        var index = start
        while index < count {
            if argument(index, is: literal) { return index }
            index += 1
        }
        return nil
    }

    /// The bytes of argument `index` (no NUL); empty past the end.
    func bytes(_ index: Int) -> UnsafeRawBufferPointer {
        guard let argument = self[index] else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        var length = 0
        while argument[length] != 0 { length += 1 }
        return UnsafeRawBufferPointer(start: argument, count: length)
    }

    /// The command being run (set once the command line passed `check`); options are looked up
    /// by its grammar, so an option's value is never mistaken for an option.
    static var command: GrammarCommand = .info

    /// Scans the arguments after the command name by the shared grammar.
    func scan(_ command: GrammarCommand) -> GrammarScan {
        CommandGrammar.scan(command, tool: .device, count: count, start: 2) { bytes($0) }
    }

    /// The value of the last `option` (e.g. `--input X.npy`), if present.
    func value(of option: CommandOption) -> UnsafePointer<CChar>? {
        let index = CommandGrammar.valueIndex(of: option, Self.command, count: count, start: 2) { bytes($0) }
        return index < 0 ? nil : self[index]
    }

    /// True if the switch `option` (e.g. `--full-depth`) is given.
    func has(_ option: CommandOption) -> Bool {
        CommandGrammar.valueIndex(of: option, Self.command, count: count, start: 2) { bytes($0) } >= 0
    }

    /// Parses a non-negative decimal integer argument; nil if empty, not all digits, or too big.
    static func parseCount(_ text: UnsafePointer<CChar>) -> Int? {
        var value = 0
        var index = 0
        while text[index] != 0 {
            let digit = Int(text[index]) - 48  // '0'
            guard digit >= 0, digit <= 9 else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(digit)
            guard !overflow1, !overflow2 else { return nil }
            value = sum
            index += 1
        }
        return index > 0 ? value : nil
    }
}
