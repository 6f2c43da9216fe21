/// Strided slice of a 4-D int8 tensor (ONNX Slice with steps, TFLite STRIDED_SLICE / SLICE):
/// output[i0,i1,i2,i3] = input[b0 + i0·s0, b1 + i1·s1, b2 + i2·s2, b3 + i3·s3]. Steps may be
/// negative; the caller (verifier) guarantees every index is inside the input. Values are copied
/// unchanged (input and output share quantization).
public func sliceS8(input: UnsafePointer<Int8>, inputShape: Shape4, begin: (Int, Int, Int, Int), step: (Int, Int, Int, Int),
                    output: UnsafeMutablePointer<Int8>, outputShape: Shape4) {
    let sN = inputShape.h * inputShape.w * inputShape.c, sH = inputShape.w * inputShape.c, sW = inputShape.c
    var out = output
    for i0 in 0..<outputShape.n {
        let p0 = (begin.0 + i0 * step.0) * sN
        for i1 in 0..<outputShape.h {
            let p1 = p0 + (begin.1 + i1 * step.1) * sH
            for i2 in 0..<outputShape.w {
                let row = input + p1 + (begin.2 + i2 * step.2) * sW
                if step.3 == 1 {
                    out.update(from: row + begin.3, count: outputShape.c)
                } else {
                    for i3 in 0..<outputShape.c { out[i3] = row[begin.3 + i3 * step.3] }
                }
                out += outputShape.c
            }
        }
    }
}

/// Gather along one axis of a 4-D int8 tensor with a table of indices (ONNX Gather / TFLite
/// GATHER with constant indices): output has the input's shape with axis `axis` replaced by
/// `indexCount`, and output slice j along it is input slice indices[j]. Indices are in range
/// (verifier). Values are copied unchanged.
public func gatherS8(input: UnsafePointer<Int8>, inputShape: Shape4, axis: Int, indices: UnsafePointer<Int32>,
                     indexCount: Int, output: UnsafeMutablePointer<Int8>) {
    var outer = 1, inner = 1
    for d in 0..<4 {
        if d < axis { outer *= inputShape[d] } else if d > axis { inner *= inputShape[d] }
    }
    let axisSize = inputShape[axis]
    var out = output
    for o in 0..<outer {
        for j in 0..<indexCount {
            out.update(from: input + (o * axisSize + Int(indices[j])) * inner, count: inner)
            out += inner
        }
    }
}
