/// Permutes the axes of a 4-D tensor: output axis i is input axis permutation.i (numpy
/// `transpose(axes)`), so outputShape[i] = inputShape[permutation[i]].
public func transposeS8(input: UnsafePointer<Int8>, inputShape: Shape4, permutation: (Int, Int, Int, Int),
                        output: UnsafeMutablePointer<Int8>) {
    let (p0, p1, p2, p3) = permutation
    let d0 = inputShape[p0], d1 = inputShape[p1], d2 = inputShape[p2], d3 = inputShape[p3]
    // Input strides seen from the output's loop order.
    let s0 = inputShape.stride(ofAxis: p0), s1 = inputShape.stride(ofAxis: p1)
    let s2 = inputShape.stride(ofAxis: p2), s3 = inputShape.stride(ofAxis: p3)
    var out = output
    for i0 in 0..<d0 {
        for i1 in 0..<d1 {
            for i2 in 0..<d2 {
                let row = input + (i0 * s0 + i1 * s1 + i2 * s2)
                if s3 == 1 {
                    out.update(from: row, count: d3)
                } else {
                    for i3 in 0..<d3 { out[i3] = row[i3 * s3] }
                }
                out += d3
            }
        }
    }
}
