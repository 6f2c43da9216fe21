// Text output to stdout/stderr without Foundation, String or interpolation (none of which the
// device build may use): bytes, StaticStrings, C strings, integers and fixed-point decimals.

/// A write-only console stream over a file descriptor. Writes go straight to write(2); the
/// device program prints little, so there is no buffer to manage.
struct Console {
    let fileDescriptor: Int32

    static let standardOutput = Console(fileDescriptor: 1)
    static let standardError = Console(fileDescriptor: 2)

    /// Writes all of `bytes`, retrying short writes; stops silently if the descriptor fails
    /// (there is nowhere left to report a broken stdout).
    func write(bytes: UnsafeRawBufferPointer) {
        guard var next = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let written = libcWriteFD(fileDescriptor, next, remaining)
            if written <= 0 { return }
            next += written
            remaining -= written
        }
    }

    func write(_ text: StaticString) {
        write(bytes: UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Writes a NUL-terminated C string (e.g. a command-line argument).
    func write(cString: UnsafePointer<CChar>) {
        var length = 0
        while cString[length] != 0 { length += 1 }
        write(bytes: UnsafeRawBufferPointer(start: cString, count: length))
    }

    func writeLine(_ text: StaticString = "") {
        write(text)
        write("\n")
    }

    func write(_ value: Int) { write(Int64(value)) }

    func write(_ value: Int64) {
        if value < 0 {
            write("-")
            // The magnitude of Int64.min does not fit in Int64; as UInt64 it does.
            write(UInt64(bitPattern: value).magnitudeOfNegative)
        } else {
            write(UInt64(value))
        }
    }

    func write(_ value: UInt64) {
        // 20 digits hold UInt64.max; filled from the right.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { buffer in
            var position = buffer.count
            var rest = value
            repeat {
                position -= 1
                buffer[position] = UInt8(truncatingIfNeeded: rest % 10) &+ 48  // '0' + digit, digit < 10
                rest /= 10
            } while rest > 0
            write(bytes: UnsafeRawBufferPointer(rebasing: buffer[position...]))
        }
    }

    /// Writes `scaled / 10^fractionDigits` as a decimal with exactly `fractionDigits` digits after
    /// the point, e.g. `writeFixedPoint(-12345, fractionDigits: 3)` prints `-12.345`.
    func writeFixedPoint(_ scaled: Int64, fractionDigits: Int) {
        guard fractionDigits > 0 else { write(scaled); return }
        var divisor: UInt64 = 1
        for _ in 0..<min(fractionDigits, 19) { divisor &*= 10 }  // 10^19 < UInt64.max
        let magnitude = scaled < 0 ? UInt64(bitPattern: scaled).magnitudeOfNegative : UInt64(scaled)
        if scaled < 0 { write("-") }
        write(magnitude / divisor)
        write(".")
        // Leading zeros of the fraction: print each digit from the most significant one.
        var fraction = magnitude % divisor
        var place = divisor / 10
        while place > 0 {
            let digit = UInt8(truncatingIfNeeded: fraction / place)
            var character = digit &+ 48  // '0' + digit, digit < 10
            withUnsafeBytes(of: &character) { write(bytes: $0) }
            fraction %= place
            place /= 10
        }
    }
}

extension UInt64 {
    /// For the bit pattern of a negative Int64, its magnitude (two's complement negation).
    fileprivate var magnitudeOfNegative: UInt64 { (~self) &+ 1 }
}
