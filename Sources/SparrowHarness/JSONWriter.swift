// A minimal JSON emitter into a caller-owned byte buffer, so the device writes the same run
// record as the host without String or Foundation. Numbers are integers or fixed-point decimals
// (a scaled integer printed with a decimal point), never Float/Double text.

public struct JSONWriter {
    public let buffer: UnsafeMutableRawBufferPointer
    public private(set) var count = 0
    /// Set once something did not fit; the bytes written are then incomplete.
    public private(set) var overflowed = false

    public init(buffer: UnsafeMutableRawBufferPointer) { self.buffer = buffer }

    /// The bytes written so far.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: buffer[0..<count]) }

    // MARK: structure

    public mutating func beginObject() { separate(); raw(123) }   // {
    public mutating func endObject() { raw(125) }                 // }
    public mutating func beginArray() { separate(); raw(91) }     // [
    public mutating func endArray() { raw(93) }                   // ]

    /// `"name":` (with a comma before it when needed).
    public mutating func key(_ name: StaticString) {
        separate()
        quoted(UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        raw(58)  // :
    }

    // MARK: values

    public mutating func string(_ text: StaticString) {
        separate()
        quoted(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    public mutating func string(bytes: UnsafeRawBufferPointer) {
        separate()
        quoted(bytes)
    }

    public mutating func string(cString: UnsafePointer<CChar>) {
        var n = 0
        while cString[n] != 0 { n += 1 }
        string(bytes: UnsafeRawBufferPointer(start: cString, count: n))
    }

    public mutating func null() { separate(); literal("null") }
    public mutating func bool(_ value: Bool) { separate(); literal(value ? "true" : "false") }

    public mutating func int(_ value: Int64) {
        separate()
        if value < 0 { raw(45); digits((~UInt64(bitPattern: value)) &+ 1) } else { digits(UInt64(bitPattern: value)) }
    }

    public mutating func int(_ value: Int) { int(widenSigned(value)) }
    public mutating func uint(_ value: UInt64) { separate(); digits(value) }

    /// `scaled / 10^fractionDigits` with exactly `fractionDigits` decimals, e.g.
    /// `fixed(1234567, 6)` → `1.234567` (ns → ms), `fixed(-5, 3)` → `-0.005`.
    public mutating func fixed(_ scaled: Int64, _ fractionDigits: Int) {
        separate()
        let magnitude = scaled < 0 ? (~UInt64(bitPattern: scaled)) &+ 1 : UInt64(bitPattern: scaled)
        if scaled < 0 { raw(45) }
        var divisor: UInt64 = 1
        for _ in 0..<min(max(fractionDigits, 0), 19) { divisor &*= 10 }  // 10^19 < 2^64
        digits(magnitude / divisor)
        guard divisor > 1 else { return }
        raw(46)  // .
        var fraction = magnitude % divisor
        var place = divisor / 10
        while place > 0 {
            raw(UInt8(truncatingIfNeeded: fraction / place) &+ 48)  // '0' + digit < 10
            fraction %= place
            place /= 10
        }
    }

    public mutating func fixed(unsigned scaled: UInt64, _ fractionDigits: Int) {
        fixed(Int64(bitPattern: min(scaled, UInt64(Int64.max))), fractionDigits)
    }

    /// Appends one byte as is (for CSV rows and other non-JSON text built with the number writers).
    public mutating func rawByte(_ byte: UInt8) { raw(byte) }

    // MARK: internals

    /// A comma unless the previous byte opened a container, ended a key, or is already a
    /// separator (a comma or newline written with `rawByte`).
    private mutating func separate() {
        guard count > 0 else { return }
        let last = buffer[count - 1]
        if last != 123 && last != 91 && last != 58 && last != 44 && last != 10 { raw(44) }
    }

    private mutating func literal(_ text: StaticString) {
        for i in 0..<text.utf8CodeUnitCount { raw(text.utf8Start[i]) }
    }

    private mutating func digits(_ value: UInt64) {
        var place: UInt64 = 1
        while value / place >= 10 { place &*= 10 }  // largest power of ten ≤ value (≤ 10^19)
        var rest = value
        repeat {
            raw(UInt8(truncatingIfNeeded: rest / place) &+ 48)  // '0' + digit < 10
            rest %= place
            place /= 10
        } while place > 0
    }

    private mutating func quoted(_ bytes: UnsafeRawBufferPointer) {
        raw(34)
        for b in bytes {
            switch b {
            case 34: raw(92); raw(34)    // \"
            case 92: raw(92); raw(92)    // \\
            case 10: raw(92); raw(110)   // \n
            case 9: raw(92); raw(116)    // \t
            case 0..<32:
                // \u00XX for the other control characters
                raw(92); raw(117); raw(48); raw(48)
                raw(hexDigit(b >> 4)); raw(hexDigit(b & 15))
            default: raw(b)
            }
        }
        raw(34)
    }

    private func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? v &+ 48 : v &+ 87 }

    private mutating func raw(_ byte: UInt8) {
        guard count < buffer.count else { overflowed = true; return }
        buffer[count] = byte
        count += 1
    }
}
