import Testing
@testable import SparrowKernels
import SparrowTestSupport

/// One convolution case; depthwise when `depthMultiplier > 0`.
struct ConvCase: CustomStringConvertible, Sendable {
    var input: Shape4
    var kernelH: Int, kernelW: Int
    var outC: Int
    var stride: (Int, Int) = (1, 1)
    var dilation: (Int, Int) = (1, 1)
    var pad: (top: Int, left: Int, bottom: Int, right: Int) = (0, 0, 0, 0)
    var inputZeroPoint: Int32 = 3
    var relu6 = false
    var depthMultiplier = 0
    var description: String {
        "in \(input) k \(kernelH)x\(kernelW) outC \(outC) s \(stride) d \(dilation) pad \(pad) zx \(inputZeroPoint) relu6 \(relu6) dm \(depthMultiplier)"
    }
    var outputShape: Shape4 {
        let effH = (kernelH - 1) * dilation.0 + 1, effW = (kernelW - 1) * dilation.1 + 1
        return Shape4(input.n, (input.h + pad.top + pad.bottom - effH) / stride.0 + 1,
                      (input.w + pad.left + pad.right - effW) / stride.1 + 1, outC)
    }
}

/// Runs `kernel` on random data for `c` and compares with a Double convolution.
func checkConvolution(_ c: ConvCase, seed: UInt64, depthwise: Bool) {
    var rng = SplitMix64(seed: seed)
    let inC = c.input.c
    let filterShape = depthwise ? Shape4(1, c.kernelH, c.kernelW, c.outC) : Shape4(c.outC, c.kernelH, c.kernelW, inC)
    let x = rng.int8s(c.input.count)
    let w = rng.int8s(filterShape.count, -127...127)
    let bias = (0..<c.outC).map { _ in Int32(rng.int(-3000...3000)) }
    let inScale = rng.double(0.01, 0.1)
    let wScales = (0..<c.outC).map { _ in rng.double(0.001, 0.02) }
    let outShape = c.outputShape

    // Float reference.
    var reals = [Double](repeating: 0, count: outShape.count)
    for n in 0..<outShape.n { for oy in 0..<outShape.h { for ox in 0..<outShape.w { for oc in 0..<c.outC {
        var sum = Double(bias[oc]) * inScale * wScales[oc]
        for ky in 0..<c.kernelH { for kx in 0..<c.kernelW {
            let iy = oy * c.stride.0 - c.pad.top + ky * c.dilation.0
            let ix = ox * c.stride.1 - c.pad.left + kx * c.dilation.1
            if iy < 0 || iy >= c.input.h || ix < 0 || ix >= c.input.w { continue }
            if depthwise {
                let ic = oc / c.depthMultiplier
                let xv = Double(Int32(x[index(c.input, n, iy, ix, ic)]) - c.inputZeroPoint) * inScale
                sum += xv * Double(w[index(filterShape, 0, ky, kx, oc)]) * wScales[oc]
            } else {
                for ic in 0..<inC {
                    let xv = Double(Int32(x[index(c.input, n, iy, ix, ic)]) - c.inputZeroPoint) * inScale
                    sum += xv * Double(w[index(filterShape, oc, ky, kx, ic)]) * wScales[oc]
                }
            }
        } }
        reals[index(outShape, n, oy, ox, oc)] = sum
    } } } }
    let (outScale, outZp) = outputQuantization(for: reals)
    // ReLU6 as quantized bounds: [q(0), q(6)] within int8.
    let actMin: Int32 = c.relu6 ? max(-128, outZp) : -128
    let actMax: Int32 = c.relu6 ? min(127, outZp + Int32((6 / outScale).rounded())) : 127
    let expected = reals.map { quantizeReference($0, scale: outScale, zeroPoint: outZp, min: actMin, max: actMax) }

    let quantized = wScales.map { quantizeMultiplier(inScale * $0 / outScale) }
    let multipliers = quantized.map(\.multiplier), shifts = quantized.map(\.shift)
    let p = ConvParams(strideH: c.stride.0, strideW: c.stride.1, dilationH: c.dilation.0, dilationW: c.dilation.1,
                       padTop: c.pad.top, padLeft: c.pad.left, depthMultiplier: depthwise ? c.depthMultiplier : 1,
                       inputZeroPoint: c.inputZeroPoint, outputZeroPoint: outZp,
                       activationMin: actMin, activationMax: actMax)
    var out = [Int8](repeating: 0, count: outShape.count)
    let run = depthwise ? depthwiseConv2DS8 : conv2DS8
    run(p, x, c.input, w, filterShape, bias, multipliers, shifts, &out, outShape)
    expectClose(out, expected, "\(depthwise ? "depthwise" : "conv") \(c)")
    if c.relu6 {
        #expect(out.allSatisfy { Int32($0) >= actMin && Int32($0) <= actMax })
        #expect(out.contains { Int32($0) == actMin } && out.contains { Int32($0) == actMax }, "clamp exercised")
    }
}

@Suite struct Conv2DTests {
    static let cases: [ConvCase] = [
        ConvCase(input: Shape4(1, 5, 5, 3), kernelH: 3, kernelW: 3, outC: 4),
        ConvCase(input: Shape4(1, 7, 6, 5), kernelH: 3, kernelW: 3, outC: 6, stride: (2, 2), pad: (1, 1, 1, 1)),
        ConvCase(input: Shape4(2, 9, 9, 4), kernelH: 3, kernelW: 3, outC: 3, dilation: (2, 2), pad: (2, 2, 2, 2),
                 inputZeroPoint: -128),
        ConvCase(input: Shape4(1, 6, 7, 8), kernelH: 1, kernelW: 1, outC: 16, inputZeroPoint: 127),
        ConvCase(input: Shape4(1, 8, 8, 3), kernelH: 5, kernelW: 3, outC: 7, stride: (1, 2), pad: (2, 1, 2, 1),
                 relu6: true),
        ConvCase(input: Shape4(1, 3, 11, 2), kernelH: 2, kernelW: 4, outC: 5, stride: (3, 2), pad: (0, 1, 1, 2),
                 inputZeroPoint: -7),
    ]

    @Test(arguments: Array(cases.indices))
    func matchesFloatReference(_ i: Int) {
        checkConvolution(Self.cases[i], seed: 100 + UInt64(i), depthwise: false)
    }

    @Test func nilBiasAndHandDerivedValue() {
        // 1×1 conv, one input channel pair: acc = (10 − 2)·3 + (−4 − 2)·(−5) = 24 + 30 = 54;
        // multiplier 0.5 (2^30, 0) → 27; + output zero point −1 → 26.
        let x: [Int8] = [10, -4], w: [Int8] = [3, -5]
        var out: [Int8] = [0]
        let p = ConvParams(inputZeroPoint: 2, outputZeroPoint: -1)
        conv2DS8(p, input: x, inputShape: Shape4(1, 1, 1, 2), filter: w, filterShape: Shape4(1, 1, 1, 2),
                 bias: nil, multipliers: [1 << 30], shifts: [0], output: &out, outputShape: Shape4(1, 1, 1, 1))
        #expect(out == [26])
    }

    @Test func maximumDepthDoesNotOverflow() {
        // Worst case at the proven bound: every term (−128 − 127)·(−127) = 32385, K terms, plus
        // the largest bias: acc = 33155·32385 + 2^30 = 2_147_466_499 < 2^31 (exact in int32).
        let k = maxAccumulationDepth
        let x = [Int8](repeating: -128, count: k), w = [Int8](repeating: -127, count: k)
        var out: [Int8] = [0]
        let p = FullyConnectedParams(inputZeroPoint: 127, outputZeroPoint: 0)
        fullyConnectedS8(p, input: x, batches: 1, inputDepth: k, weights: w, bias: [maxBiasMagnitude], outputDepth: 1,
                         multipliers: [1 << 30], shifts: [-22], output: &out)
        // Multiplier 0.5·2^−22: 2_147_466_499 · 2^−23 = 255.99… → clamps to 127 (a wrapped,
        // negative accumulator would clamp to −128 instead).
        #expect(out == [127])
        #expect(k * 32385 + Int(maxBiasMagnitude) < Int(Int32.max))
        #expect((k + 1) * 32385 + Int(maxBiasMagnitude) > Int(Int32.max))
    }
}

@Suite struct DepthwiseConv2DTests {
    static let cases: [ConvCase] = [
        ConvCase(input: Shape4(1, 5, 5, 3), kernelH: 3, kernelW: 3, outC: 3, depthMultiplier: 1),
        ConvCase(input: Shape4(1, 8, 7, 40), kernelH: 3, kernelW: 3, outC: 40, stride: (2, 2), pad: (1, 1, 1, 1),
                 inputZeroPoint: -128, depthMultiplier: 1),
        ConvCase(input: Shape4(2, 6, 6, 3), kernelH: 3, kernelW: 3, outC: 6, pad: (1, 1, 1, 1), inputZeroPoint: 127,
                 depthMultiplier: 2),
        ConvCase(input: Shape4(1, 9, 9, 5), kernelH: 3, kernelW: 3, outC: 15, dilation: (2, 3), pad: (2, 3, 2, 3),
                 depthMultiplier: 3),
        ConvCase(input: Shape4(1, 10, 9, 34), kernelH: 5, kernelW: 5, outC: 34, stride: (1, 2), pad: (2, 2, 2, 2),
                 relu6: true, depthMultiplier: 1),
        ConvCase(input: Shape4(1, 4, 4, 33), kernelH: 2, kernelW: 2, outC: 66, stride: (2, 2), depthMultiplier: 2),
    ]

    @Test(arguments: Array(cases.indices))
    func matchesFloatReference(_ i: Int) {
        checkConvolution(Self.cases[i], seed: 200 + UInt64(i), depthwise: true)
    }
}
