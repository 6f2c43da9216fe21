/// Index of the largest int8 value along one axis of a 4-D tensor (TFLite ARG_MAX, ONNX ArgMax):
/// output[o, i] over outer × inner positions, int32. Ties give the first index, or the last
/// with `selectLast` (ONNX select_last_index). Quantization is monotonic, so comparing codes
/// is comparing real values (for a positive scale); no arithmetic, nothing to overflow.
public func argMaxS8(input: UnsafePointer<Int8>, inputShape: Shape4, axis: Int, selectLast: Bool,
                     output: UnsafeMutablePointer<Int32>) {
    let (outer, depth, inner) = argMaxExtents(inputShape, axis)
    for o in 0..<outer {
        for i in 0..<inner {
            output[o * inner + i] = argMaxIndex(input + o * depth * inner + i, depth: depth, stride: inner, selectLast: selectLast)
        }
    }
}

/// The same with int64 indices (ONNX ArgMax/ArgMin's output type). Each index is written as two
/// int32 words, low then high (0: indices are below 2^31), which is the little-endian int64 of
/// every Sparrow target; no 64-bit integer code (armv7 Embedded builds avoid it).
public func argMaxS8(input: UnsafePointer<Int8>, inputShape: Shape4, axis: Int, selectLast: Bool,
                     output: UnsafeMutablePointer<Int64>) {
    let words = UnsafeMutableRawPointer(output).assumingMemoryBound(to: Int32.self)
    let (outer, depth, inner) = argMaxExtents(inputShape, axis)
    for o in 0..<outer {
        for i in 0..<inner {
            let j = o * inner + i
            words[2 * j] = argMaxIndex(input + o * depth * inner + i, depth: depth, stride: inner, selectLast: selectLast)
            words[2 * j + 1] = 0
        }
    }
}

/// (positions before the axis, the axis size, positions after it).
@inline(__always)
func argMaxExtents(_ shape: Shape4, _ axis: Int) -> (Int, Int, Int) {
    var outer = 1, inner = 1
    for d in 0..<4 {
        if d < axis { outer *= shape[d] } else if d > axis { inner *= shape[d] }
    }
    return (outer, shape[axis], inner)
}

/// The index of the largest of `depth` values `stride` apart.
@inline(__always)
func argMaxIndex(_ base: UnsafePointer<Int8>, depth: Int, stride: Int, selectLast: Bool) -> Int32 {
    var best = base[0], bestIndex: Int32 = 0
    for k in 1..<max(depth, 1) {
        let v = base[k * stride]
        if v > best || (selectLast && v == best) {
            best = v
            bestIndex = Int32(k)
        }
    }
    return bestIndex
}
