import Testing
@testable import SparrowKernels
import SparrowTestSupport

// Tolerance-0 checks of the restructured dense kernels (Σx·w − zx·Σw, four-channel blocks,
// three-tap depthwise passes) against the textbook definition evaluated here in 64-bit integers:
// acc = bias + Σ over taps inside the input of (x − zx)·w, then the same requantization step
// (tested on its own in RequantizeTests). Shapes cover channel counts that are not multiples of
// the block sizes, border pixels, strides, dilations, depth multipliers and extreme zero points.

/// Requantizes an exact 64-bit accumulator the way every dense kernel finishes.
private func finishExact(_ acc: Int, multiplier: Int32, shift: Int32, zeroPoint: Int32, lo: Int32, hi: Int32) -> Int8 {
    let scaled = Int(multiplyByQuantizedMultiplier(Int32(acc), multiplier, shift))
    return Int8(min(max(min(max(scaled, -512), 512) + Int(zeroPoint), Int(lo)), Int(hi)))
}

private struct ExactConvCase: CustomStringConvertible {
    var input: Shape4
    var kernel: (h: Int, w: Int)
    var outC: Int
    var stride = (1, 1)
    var dilation = (1, 1)
    var pad = (top: 0, left: 0, bottom: 0, right: 0)
    var zx: Int32
    var depthMultiplier = 0   // > 0: depthwise
    var description: String { "in \(input) k \(kernel) outC \(outC) s \(stride) d \(dilation) pad \(pad) zx \(zx) dm \(depthMultiplier)" }
    var outputShape: Shape4 {
        Shape4(input.n, (input.h + pad.top + pad.bottom - (kernel.h - 1) * dilation.0 - 1) / stride.0 + 1,
               (input.w + pad.left + pad.right - (kernel.w - 1) * dilation.1 - 1) / stride.1 + 1, outC)
    }
}

private func checkExact(_ c: ExactConvCase, seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let depthwise = c.depthMultiplier > 0
    let fs = depthwise ? Shape4(1, c.kernel.h, c.kernel.w, c.outC) : Shape4(c.outC, c.kernel.h, c.kernel.w, c.input.c)
    let os = c.outputShape
    let x = rng.int8s(c.input.count), w = rng.int8s(fs.count, -127...127)
    let bias = (0..<c.outC).map { _ in Int32(rng.int(-40000...40000)) }
    let multipliers = (0..<c.outC).map { _ in Int32(rng.int((1 << 30)...Int(Int32.max))) }
    let shifts = (0..<c.outC).map { _ in Int32(rng.int(-13 ... -6)) }
    let p = ConvParams(strideH: c.stride.0, strideW: c.stride.1, dilationH: c.dilation.0, dilationW: c.dilation.1,
                       padTop: c.pad.top, padLeft: c.pad.left, depthMultiplier: depthwise ? c.depthMultiplier : 1,
                       inputZeroPoint: c.zx, outputZeroPoint: -7, activationMin: -100, activationMax: 120)
    var expected = [Int8](repeating: 0, count: os.count)
    for n in 0..<os.n { for oy in 0..<os.h { for ox in 0..<os.w { for oc in 0..<c.outC {
        var acc = Int(bias[oc])
        for ky in 0..<c.kernel.h { for kx in 0..<c.kernel.w {
            let iy = oy * c.stride.0 - c.pad.top + ky * c.dilation.0
            let ix = ox * c.stride.1 - c.pad.left + kx * c.dilation.1
            if iy < 0 || iy >= c.input.h || ix < 0 || ix >= c.input.w { continue }
            if depthwise {
                acc += (Int(x[index(c.input, n, iy, ix, oc / c.depthMultiplier)]) - Int(c.zx))
                    * Int(w[index(fs, 0, ky, kx, oc)])
            } else {
                for ic in 0..<c.input.c {
                    acc += (Int(x[index(c.input, n, iy, ix, ic)]) - Int(c.zx)) * Int(w[index(fs, oc, ky, kx, ic)])
                }
            }
        } }
        expected[index(os, n, oy, ox, oc)] = finishExact(acc, multiplier: multipliers[oc], shift: shifts[oc],
                                                         zeroPoint: -7, lo: -100, hi: 120)
    } } } }
    var out = [Int8](repeating: 0, count: os.count)
    let run = depthwise ? depthwiseConv2DS8 : conv2DS8
    run(p, x, c.input, w, fs, bias, multipliers, shifts, &out, os)
    let mismatches = (0..<out.count).filter { out[$0] != expected[$0] }
    #expect(mismatches.isEmpty, "\(c): \(mismatches.count) mismatches, first at \(mismatches.first ?? -1)")
    #expect(Set(out).count > min(20, out.count / 2), "\(c): outputs spread over the int8 range")
}

@Suite struct DenseKernelExactTests {
    private static let convCases: [ExactConvCase] = [
        ExactConvCase(input: Shape4(1, 9, 10, 32), kernel: (3, 3), outC: 8, pad: (1, 1, 1, 1), zx: -5),
        ExactConvCase(input: Shape4(2, 7, 6, 5), kernel: (3, 3), outC: 7, stride: (2, 2), pad: (1, 1, 1, 1), zx: -128),
        ExactConvCase(input: Shape4(1, 6, 6, 64), kernel: (1, 1), outC: 13, zx: 127),
        ExactConvCase(input: Shape4(1, 9, 11, 6), kernel: (3, 2), outC: 6, dilation: (2, 3), pad: (2, 1, 2, 3), zx: 9),
        ExactConvCase(input: Shape4(1, 8, 8, 3), kernel: (5, 5), outC: 5, stride: (1, 2), pad: (2, 2, 2, 2), zx: -1),
        ExactConvCase(input: Shape4(1, 4, 4, 33), kernel: (2, 2), outC: 1, zx: 100),
    ]
    private static let depthwiseCases: [ExactConvCase] = [
        ExactConvCase(input: Shape4(1, 9, 8, 70), kernel: (3, 3), outC: 70, pad: (1, 1, 1, 1), zx: 11, depthMultiplier: 1),
        ExactConvCase(input: Shape4(2, 8, 9, 40), kernel: (3, 3), outC: 40, stride: (2, 2), pad: (0, 1, 1, 1), zx: -128,
                      depthMultiplier: 1),
        ExactConvCase(input: Shape4(1, 10, 12, 17), kernel: (5, 7), outC: 17, dilation: (1, 2), pad: (2, 6, 2, 6), zx: 127,
                      depthMultiplier: 1),
        ExactConvCase(input: Shape4(1, 7, 7, 5), kernel: (3, 3), outC: 15, pad: (1, 1, 1, 1), zx: -3, depthMultiplier: 3),
        ExactConvCase(input: Shape4(1, 6, 6, 9), kernel: (2, 4), outC: 9, zx: 5, depthMultiplier: 1),
    ]

    @Test(arguments: Array(convCases.indices))
    func convolutionIsExact(_ i: Int) { checkExact(Self.convCases[i], seed: 900 + UInt64(i)) }

    @Test(arguments: Array(depthwiseCases.indices))
    func depthwiseIsExact(_ i: Int) { checkExact(Self.depthwiseCases[i], seed: 950 + UInt64(i)) }

    @Test(arguments: [(1, 1, 1, Int32(0)), (3, 100, 7, Int32(-128)), (2, 1030, 9, Int32(127)), (1, 64, 4, Int32(-9))])
    func fullyConnectedIsExact(_ batches: Int, _ depth: Int, _ outputs: Int, _ zx: Int32) {
        var rng = SplitMix64(seed: UInt64(depth * 7 + outputs))
        let x = rng.int8s(batches * depth), w = rng.int8s(outputs * depth, -127...127)
        let bias = (0..<outputs).map { _ in Int32(rng.int(-40000...40000)) }
        let multipliers = (0..<outputs).map { _ in Int32(rng.int((1 << 30)...Int(Int32.max))) }
        let shifts = (0..<outputs).map { _ in Int32(rng.int(-14 ... -4)) }
        var expected = [Int8]()
        for b in 0..<batches {
            for o in 0..<outputs {
                var acc = Int(bias[o])
                for i in 0..<depth { acc += (Int(x[b * depth + i]) - Int(zx)) * Int(w[o * depth + i]) }
                expected.append(finishExact(acc, multiplier: multipliers[o], shift: shifts[o], zeroPoint: 3, lo: -128, hi: 127))
            }
        }
        var out = [Int8](repeating: 0, count: batches * outputs)
        fullyConnectedS8(FullyConnectedParams(inputZeroPoint: zx, outputZeroPoint: 3), input: x, batches: batches,
                         inputDepth: depth, weights: w, bias: bias, outputDepth: outputs,
                         multipliers: multipliers, shifts: shifts, output: &out)
        #expect(out == expected, "fc b\(batches) depth \(depth) outputs \(outputs) zx \(zx)")
    }

    /// The worst case of the accumulator proof through the four-row block path: every product
    /// (−128 − 127)·(−127) over maxAccumulationDepth terms, in all four lanes and a fifth (tail) row.
    @Test func fullDepthBlockDoesNotOverflow() {
        let k = maxAccumulationDepth
        let x = [Int8](repeating: -128, count: k), w = [Int8](repeating: -127, count: 5 * k)
        var out = [Int8](repeating: 0, count: 5)
        fullyConnectedS8(FullyConnectedParams(inputZeroPoint: 127, outputZeroPoint: 0), input: x, batches: 1,
                         inputDepth: k, weights: w, bias: [Int32](repeating: maxBiasMagnitude, count: 5), outputDepth: 5,
                         multipliers: [Int32](repeating: 1 << 30, count: 5), shifts: [Int32](repeating: -22, count: 5),
                         output: &out)
        // 33155·32385 + 2^30 = 2_147_466_499 → ·2^−23 = 255.99…: clamps to 127 (a wrapped sum would give −128).
        #expect(out == [Int8](repeating: 127, count: 5))
    }
}
