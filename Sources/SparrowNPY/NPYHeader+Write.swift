// Emitting the header numpy's `np.save` writes (format version 1.0), byte for byte:
//
//   "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
//   + (21 - digits(shape[0])) spaces   (numpy's room to grow axis 0 in place; none for rank 0)
//   + spaces up to the 64-byte boundary + "\n"
//
// numpy pads with 64 - ((10 + text + 1) % 64) spaces (a full 64 if the text already ended on the
// boundary, which the fixed key text makes unreachable for rank <= 6); we use the same formula.

/// Writes the preamble and header for an array of `dtype` and `shape` into `buffer`.
/// Returns the header length (= offset of the data, a multiple of 64), or nil if the rank exceeds
/// `NPYHeader.maxRank`, a dimension is negative, or `buffer` is too small.
public func writeNPYHeader(dtype: NPYDType, shape: UnsafeBufferPointer<Int>,
                           into buffer: UnsafeMutableRawBufferPointer) -> Int? {
    guard let length = npyHeaderLength(dtype: dtype, shape: shape), length <= buffer.count else { return nil }
    var writer = HeaderWriter(buffer: buffer)
    emitHeader(dtype: dtype, shape: shape, into: &writer)
    return writer.position == length ? length : nil
}

/// The number of bytes `writeNPYHeader` writes for this array, or nil if it cannot be written
/// (rank above `NPYHeader.maxRank`, negative dimension).
public func npyHeaderLength(dtype: NPYDType, shape: UnsafeBufferPointer<Int>) -> Int? {
    guard shape.count <= NPYHeader.maxRank else { return nil }
    for d in shape where d < 0 { return nil }
    var counter = HeaderWriter(buffer: UnsafeMutableRawBufferPointer(start: nil, count: 0))
    emitHeader(dtype: dtype, shape: shape, into: &counter)
    return counter.position
}

private let arrayAlign = 64
private let growthAxisMaxDigits = 21

private func emitHeader(dtype: NPYDType, shape: UnsafeBufferPointer<Int>, into w: inout HeaderWriter) {
    w.byte(0x93); w.text("NUMPY"); w.byte(1); w.byte(0)
    let lengthPosition = w.position
    w.byte(0); w.byte(0)  // header length, patched below

    let textStart = w.position
    w.text("{'descr': '"); w.text(dtype.descr); w.text("', 'fortran_order': False, 'shape': (")
    for axis in 0..<shape.count {
        if axis > 0 { w.text(", ") }
        w.decimal(shape[axis])
    }
    if shape.count == 1 { w.text(",") }
    w.text("), }")
    if shape.count > 0 {
        let spare = growthAxisMaxDigits - decimalDigitCount(shape[0])
        for _ in 0..<max(spare, 0) { w.byte(0x20) }
    }
    let padding = arrayAlign - ((w.position + 1) % arrayAlign)
    for _ in 0..<padding { w.byte(0x20) }
    w.byte(0x0A)

    let headerLength = w.position - textStart  // < 65536 for rank <= 6, so it fits the u16
    w.patch(lengthPosition, UInt8(truncatingIfNeeded: headerLength))
    w.patch(lengthPosition + 1, UInt8(truncatingIfNeeded: headerLength >> 8))
}

private func decimalDigitCount(_ value: Int) -> Int {
    var v = value
    var n = 1
    while v >= 10 { v /= 10; n += 1 }
    return n
}

/// Appends bytes to a caller-owned buffer; with a nil buffer it only counts, so the length
/// computation and the writer share one code path and cannot disagree.
struct HeaderWriter {
    let buffer: UnsafeMutableRawBufferPointer
    var position = 0

    init(buffer: UnsafeMutableRawBufferPointer) { self.buffer = buffer }

    mutating func byte(_ b: UInt8) {
        if buffer.baseAddress != nil, position < buffer.count { buffer[position] = b }
        position += 1
    }

    mutating func patch(_ at: Int, _ b: UInt8) {
        if buffer.baseAddress != nil, at < buffer.count { buffer[at] = b }
    }

    mutating func text(_ s: StaticString) {
        let p = s.utf8Start
        for i in 0..<s.utf8CodeUnitCount { byte(p[i]) }
    }

    /// Non-negative decimal, most significant digit first.
    mutating func decimal(_ value: Int) {
        var divisor = 1
        while value / divisor >= 10 { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            byte(UInt8(truncatingIfNeeded: 0x30 + rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }
}
