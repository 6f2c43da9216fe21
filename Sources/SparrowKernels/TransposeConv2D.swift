/// int8 transposed convolution (ONNX ConvTranspose, TFLite TRANSPOSE_CONV), NHWC, per-channel
/// requantization as `conv2DS8`. Filter OHWI `[outC, kh, kw, inC]` (TFLite's layout; not flipped),
/// or when `depthwise` `[1, kh, kw, inC·depthMultiplier]` with output channel oc reading input
/// channel oc / depthMultiplier (ONNX group = inC).
///
/// Definition (scatter form): input pixel (iy, ix) adds (x − zx)·w[oc, ky, kx, ic] to output
/// (iy·sH − padTop + ky·dH, ix·sW − padLeft + kx·dW). This kernel evaluates the same sum in gather
/// form, one output at a time, with no scratch: output row oy takes kernel row ky exactly when
/// t = oy + padTop − ky·dH is ≥ 0, divisible by sH, and t/sH < inH (same for columns); taps outside
/// the input contribute nothing, so output_padding and any output size are safe. Integer sums
/// do not depend on their order, so this equals TFLite's scatter-into-int32-scratch result.
///
/// Accumulator proof: each output sums at most kh·kw·inC products (kh·kw when depthwise) of
/// |x − zx| ≤ 255 and |w| ≤ 127, i.e. |Σ| ≤ 32385·K with K ≤ maxAccumulationDepth (the verifier's
/// bound), plus |bias| ≤ 2^30: below 2^31, so the int32 sum is exact (Docs/quantization.md).
public func transposeConv2DS8(_ p: ConvParams, depthwise: Bool, input: UnsafePointer<Int8>, inputShape: Shape4,
                              filter: UnsafePointer<Int8>, filterShape: Shape4, bias: UnsafePointer<Int32>?,
                              multipliers: UnsafePointer<Int32>, shifts: UnsafePointer<Int32>,
                              output: UnsafeMutablePointer<Int8>, outputShape: Shape4) {
    let inH = inputShape.h, inW = inputShape.w, inC = inputShape.c
    let kH = filterShape.h, kW = filterShape.w
    let outH = outputShape.h, outW = outputShape.w, outC = outputShape.c
    let zx = p.inputZeroPoint
    var out = output
    for b in 0..<outputShape.n {
        let image = input + b * inH * inW * inC
        for oy in 0..<outH {
            for ox in 0..<outW {
                for oc in 0..<outC {
                    var acc = bias?[oc] ?? 0
                    for ky in 0..<kH {
                        let t = oy + p.padTop - ky * p.dilationH
                        guard t >= 0, t % p.strideH == 0, t / p.strideH < inH else { continue }
                        let iy = t / p.strideH
                        for kx in 0..<kW {
                            let u = ox + p.padLeft - kx * p.dilationW
                            guard u >= 0, u % p.strideW == 0, u / p.strideW < inW else { continue }
                            let pixel = image + (iy * inW + u / p.strideW) * inC
                            if depthwise {
                                let ic = oc / p.depthMultiplier
                                acc &+= (Int32(pixel[ic]) &- zx) &* Int32(filter[(ky * kW + kx) * outC + oc])
                            } else {
                                let w = filter + ((oc * kH + ky) * kW + kx) * inC
                                for ic in 0..<inC { acc &+= (Int32(pixel[ic]) &- zx) &* Int32(w[ic]) }
                            }
                        }
                    }
                    let scaled = multiplyByQuantizedMultiplier(acc, multipliers[oc], shifts[oc])
                    out[oc] = clampToS8(scaled, zeroPoint: p.outputZeroPoint, min: p.activationMin, max: p.activationMax)
                }
                out += outC
            }
        }
    }
}
