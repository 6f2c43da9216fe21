/// Index of the largest int8 value along one axis of a 4-D tensor (TFLite ARG_MAX, ONNX ArgMax):
/// output[o, i] over outer × inner positions, int32. Ties give the first index, or the last
/// with `selectLast` (ONNX select_last_index). Quantization is monotonic, so comparing codes
/// is comparing real values (for a positive scale); no arithmetic, nothing to overflow.
public func argMaxS8(input: UnsafePointer<Int8>, inputShape: Shape4, axis: Int, selectLast: Bool,
                     output: UnsafeMutablePointer<Int32>) {
    argMax(input: input, inputShape: inputShape, axis: axis, selectLast: selectLast, output: output)
}

/// The same with int64 indices (ONNX ArgMax/ArgMin's output type).
public func argMaxS8(input: UnsafePointer<Int8>, inputShape: Shape4, axis: Int, selectLast: Bool,
                     output: UnsafeMutablePointer<Int64>) {
    argMax(input: input, inputShape: inputShape, axis: axis, selectLast: selectLast, output: output)
}

@inline(__always)
func argMax<Index: FixedWidthInteger>(input: UnsafePointer<Int8>, inputShape: Shape4, axis: Int, selectLast: Bool,
                                      output: UnsafeMutablePointer<Index>) {
    var outer = 1, inner = 1
    for d in 0..<4 {
        if d < axis { outer *= inputShape[d] } else if d > axis { inner *= inputShape[d] }
    }
    let depth = inputShape[axis]
    for o in 0..<outer {
        let base = input + o * depth * inner
        for i in 0..<inner {
            var best = base[i], bestIndex: Index = 0
            for k in 1..<max(depth, 1) {
                let v = base[k * inner + i]
                if v > best || (selectLast && v == best) {
                    best = v
                    bestIndex = Index(k)
                }
            }
            output[o * inner + i] = bestIndex
        }
    }
}
