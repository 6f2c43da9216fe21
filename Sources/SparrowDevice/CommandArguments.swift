// argv access without building [String] (which would allocate): arguments stay C strings and are
// compared byte-by-byte with StaticString literals.

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

    /// The value following option `name` (e.g. `--input X.npy`), if both are present.
    func value(of name: StaticString) -> UnsafePointer<CChar>? {
        guard let index = firstIndex(of: name) else { return nil }
        return self[index + 1]
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
