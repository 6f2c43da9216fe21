// Parsing the .npy preamble and header dict (numpy's format spec: NEP 1, `numpy.lib.format`).
//
//   \x93NUMPY <major> <minor> <header_len: u16 LE (v1) | u32 LE (v2, v3)> <header text>
//
// The header text is a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// padded with spaces and a newline. Keys may come in any order; either quote style is accepted.

/// Parses the header of an .npy file held in `bytes` and checks that the element data fits.
/// Every read is bounds-checked; a malformed buffer gives a typed error, never a trap.
public func parseNPYHeader(_ bytes: UnsafeRawBufferPointer) throws(NPYError) -> NPYHeader {
    let count = bytes.count
    guard count >= 10 else { throw NPYError(.tooShort, offset: 0, value: count, bound: 10) }
    let magic: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59)  // \x93NUMPY
    guard bytes[0] == magic.0, bytes[1] == magic.1, bytes[2] == magic.2, bytes[3] == magic.3,
          bytes[4] == magic.4, bytes[5] == magic.5 else {
        throw NPYError(.badMagic, offset: 0)
    }
    let major = bytes[6]
    let minor = bytes[7]
    guard minor == 0, major >= 1, major <= 3 else {
        throw NPYError(.unsupportedVersion, offset: 6, value: Int(major) * 256 + Int(minor))
    }
    // Header length: u16 in version 1, u32 in versions 2 and 3. Compared in UInt32 so a huge
    // length cannot overflow a 32-bit Int (and no 64-bit integers: see NPYError).
    let headerStart = major == 1 ? 10 : 12
    guard count >= headerStart else { throw NPYError(.tooShort, offset: 0, value: count, bound: headerStart) }
    var headerLength = UInt32(bytes[8]) | UInt32(bytes[9]) << 8
    if major > 1 { headerLength |= UInt32(bytes[10]) << 16 | UInt32(bytes[11]) << 24 }
    let available = UInt32(count - headerStart)
    guard headerLength <= available else {
        throw NPYError(.headerTruncated, offset: 8, value: Int(exactly: headerLength) ?? Int.max, bound: Int(available))
    }
    let headerEnd = headerStart + Int(headerLength)

    var cursor = HeaderCursor(bytes: bytes, position: headerStart, end: headerEnd)
    var dtype: NPYDType? = nil
    var sawFortranOrder = false
    var rank = -1
    var shape: (Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0)

    cursor.skipSpace()
    try cursor.expect(UInt8(ascii: "{"))
    while true {
        cursor.skipSpace()
        if cursor.peek() == UInt8(ascii: "}") { cursor.position += 1; break }
        let keyOffset = cursor.position
        let key = try cursor.readQuoted()
        cursor.skipSpace()
        try cursor.expect(UInt8(ascii: ":"))
        cursor.skipSpace()
        if cursor.matches(key, "descr") {
            guard dtype == nil else { throw NPYError(.duplicateKey, offset: keyOffset) }
            dtype = try cursor.readDescr()
        } else if cursor.matches(key, "fortran_order") {
            guard !sawFortranOrder else { throw NPYError(.duplicateKey, offset: keyOffset) }
            sawFortranOrder = true
            let valueOffset = cursor.position
            if cursor.consumeWord("False") {
                // C order: what we need.
            } else if cursor.consumeWord("True") {
                throw NPYError(.fortranOrder, offset: valueOffset)
            } else {
                throw NPYError(.malformedHeader, offset: valueOffset)
            }
        } else if cursor.matches(key, "shape") {
            guard rank < 0 else { throw NPYError(.duplicateKey, offset: keyOffset) }
            rank = try cursor.readShape(into: &shape)
        } else {
            throw NPYError(.unknownKey, offset: keyOffset)
        }
        cursor.skipSpace()
        if cursor.peek() == UInt8(ascii: ",") { cursor.position += 1; continue }
        try cursor.expect(UInt8(ascii: "}"))
        break
    }
    cursor.skipSpace()
    guard cursor.position == headerEnd else { throw NPYError(.malformedHeader, offset: cursor.position) }
    guard let dtype, sawFortranOrder, rank >= 0 else { throw NPYError(.missingKey, offset: headerStart) }

    var elementCount = 1
    for axis in 0..<rank {
        let product = elementCount.multipliedReportingOverflow(by: dimOf(shape, axis))
        guard !product.overflow else { throw NPYError(.sizeOverflow, offset: headerStart) }
        elementCount = product.partialValue
    }
    let byteCount = elementCount.multipliedReportingOverflow(by: dtype.byteWidth)
    guard !byteCount.overflow else { throw NPYError(.sizeOverflow, offset: headerStart) }
    let dataEnd = headerEnd.addingReportingOverflow(byteCount.partialValue)
    guard !dataEnd.overflow else { throw NPYError(.sizeOverflow, offset: headerStart) }
    guard dataEnd.partialValue <= count else {
        throw NPYError(.dataTruncated, offset: headerEnd, value: dataEnd.partialValue, bound: count)
    }
    return NPYHeader(dtype: dtype, rank: rank, shape: shape, dataOffset: headerEnd,
                     elementCount: elementCount, majorVersion: major)
}

/// A bounds-checked read position inside the header text. Returns 0 past the end, which no rule
/// accepts, so running off the end always lands in a `malformedHeader` error.
struct HeaderCursor {
    let bytes: UnsafeRawBufferPointer
    var position: Int
    let end: Int

    func peek() -> UInt8 { position < end ? bytes[position] : 0 }

    mutating func skipSpace() {
        while position < end {
            let c = bytes[position]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            position += 1
        }
    }

    mutating func expect(_ c: UInt8) throws(NPYError) {
        guard peek() == c else { throw NPYError(.malformedHeader, offset: position, value: Int(peek())) }
        position += 1
    }

    /// Reads a '...' or "..." string; returns the range of its contents.
    mutating func readQuoted() throws(NPYError) -> Range<Int> {
        let quote = peek()
        guard quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\"") else {
            throw NPYError(.malformedHeader, offset: position, value: Int(quote))
        }
        let start = position + 1
        var i = start
        while i < end, bytes[i] != quote {
            // Escapes never occur in the keys and dtypes we accept; refuse rather than misread.
            guard bytes[i] != UInt8(ascii: "\\") else { throw NPYError(.malformedHeader, offset: i) }
            i += 1
        }
        guard i < end else { throw NPYError(.malformedHeader, offset: position) }
        position = i + 1
        return start..<i
    }

    func matches(_ range: Range<Int>, _ word: StaticString) -> Bool {
        guard range.count == word.utf8CodeUnitCount else { return false }
        let w = word.utf8Start
        for k in 0..<range.count where bytes[range.lowerBound + k] != w[k] { return false }
        return true
    }

    /// Consumes `word` if it is next and is not followed by more identifier characters.
    mutating func consumeWord(_ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard end - position >= n, matches(position..<(position + n), word) else { return false }
        let after = position + n < end ? bytes[position + n] : 0
        let isIdentifier = (after >= 0x30 && after <= 0x39) || (after >= 0x41 && after <= 0x5A)
            || (after >= 0x61 && after <= 0x7A) || after == 0x5F
        guard !isIdentifier else { return false }
        position += n
        return true
    }

    mutating func readDescr() throws(NPYError) -> NPYDType {
        if peek() == UInt8(ascii: "[") { throw NPYError(.structuredDType, offset: position) }
        let valueOffset = position
        let text = try readQuoted()
        // Byte-order mark, kind letter, width in bytes: '<f4', '|u1', ...
        guard text.count == 3 else { throw NPYError(.unsupportedDType, offset: valueOffset) }
        let order = bytes[text.lowerBound]
        let kind = bytes[text.lowerBound + 1]
        let width = bytes[text.lowerBound + 2]
        let dtype: NPYDType
        switch (kind, width) {
        case (UInt8(ascii: "f"), UInt8(ascii: "4")): dtype = .float32
        case (UInt8(ascii: "i"), UInt8(ascii: "8")): dtype = .int64
        case (UInt8(ascii: "i"), UInt8(ascii: "4")): dtype = .int32
        case (UInt8(ascii: "i"), UInt8(ascii: "1")): dtype = .int8
        case (UInt8(ascii: "u"), UInt8(ascii: "1")): dtype = .uint8
        default: throw NPYError(.unsupportedDType, offset: valueOffset)
        }
        let isOrderMark = order == UInt8(ascii: "<") || order == UInt8(ascii: ">") || order == UInt8(ascii: "|")
            || order == UInt8(ascii: "=")
        guard isOrderMark else { throw NPYError(.unsupportedDType, offset: valueOffset) }
        if dtype.byteWidth == 1 { return dtype }  // byte order is irrelevant for one-byte types
        if order == UInt8(ascii: ">") { throw NPYError(.bigEndianDType, offset: valueOffset) }
        // '=' and '|' leave the byte order to the writing machine; only an explicit '<' is safe.
        guard order == UInt8(ascii: "<") else { throw NPYError(.unsupportedDType, offset: valueOffset) }
        return dtype
    }

    /// Reads a Python tuple of non-negative ints: `()`, `(5,)`, `(2, 3)`, `(2, 3,)`; Python 2 `3L` too.
    mutating func readShape(into shape: inout (Int, Int, Int, Int, Int, Int)) throws(NPYError) -> Int {
        try expect(UInt8(ascii: "("))
        var rank = 0
        var sawComma = false
        while true {
            skipSpace()
            if peek() == UInt8(ascii: ")") { position += 1; break }
            let dimOffset = position
            let c = peek()
            guard c >= 0x30, c <= 0x39 else {
                throw NPYError(c == UInt8(ascii: "-") ? .badDimension : .malformedHeader, offset: dimOffset)
            }
            var value = 0
            while position < end, bytes[position] >= 0x30, bytes[position] <= 0x39 {
                let digit = Int(bytes[position] - 0x30)
                let times10 = value.multipliedReportingOverflow(by: 10)
                let next = times10.partialValue.addingReportingOverflow(digit)
                guard !times10.overflow, !next.overflow else {
                    throw NPYError(.badDimension, offset: dimOffset)
                }
                value = next.partialValue
                position += 1
            }
            if peek() == UInt8(ascii: "L") { position += 1 }
            guard rank < NPYHeader.maxRank else {
                throw NPYError(.rankTooLarge, offset: dimOffset, value: rank + 1, bound: NPYHeader.maxRank)
            }
            setDim(&shape, rank, value)
            rank += 1
            skipSpace()
            if peek() == UInt8(ascii: ",") { position += 1; sawComma = true; continue }
            try expect(UInt8(ascii: ")"))
            break
        }
        // `(5)` is the int 5 in Python, not a tuple; numpy rejects it, so do we.
        if rank == 1 && !sawComma { throw NPYError(.malformedHeader, offset: position - 1) }
        return rank
    }
}
