/// Constant padding: output = padValue everywhere except the input placed at offset `before`
/// (per-axis leading pad). outputShape = inputShape + before + after (verifier); padValue is
/// the pad constant quantized with the tensor's scale and zero point.
public func padS8(input: UnsafePointer<Int8>, inputShape: Shape4, before: Shape4, padValue: Int8,
                  output: UnsafeMutablePointer<Int8>, outputShape: Shape4) {
    output.update(repeating: padValue, count: outputShape.count)
    let depth = inputShape.c
    var x = input
    for n in 0..<inputShape.n {
        for h in 0..<inputShape.h {
            for w in 0..<inputShape.w {
                let offset = (((n + before.n) * outputShape.h + h + before.h) * outputShape.w + w + before.w)
                    * outputShape.c + before.c
                (output + offset).update(from: x, count: depth)
                x += depth
            }
        }
    }
}
