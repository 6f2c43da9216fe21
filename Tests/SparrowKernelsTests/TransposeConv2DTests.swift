import Testing
import SparrowKernels

/// transposeConv2DS8 (gather form) against a 64-bit scatter-form evaluation of the definition
/// (each input pixel adds (x − zx)·w to the outputs it reaches; then bias and the same
/// multiplyByQuantizedMultiplier output stage), at tolerance 0, and one hand-derived case.
@Suite struct TransposeConv2DTests {
    struct Case {
        var input: Shape4, kernel: (Int, Int), outC: Int, depthwise: Bool
        var stride: (Int, Int), dilation: (Int, Int), padTop: Int, padLeft: Int, output: (Int, Int)
    }

    func run(_ c: Case, seed start: UInt32) {
        var seed = start
        func next(_ bound: UInt32) -> Int { seed = seed &* 1664525 &+ 1013904223; return Int((seed >> 8) % bound) }
        let mult = c.depthwise ? c.outC / c.input.c : 1
        let filterShape = c.depthwise ? Shape4(1, c.kernel.0, c.kernel.1, c.outC) : Shape4(c.outC, c.kernel.0, c.kernel.1, c.input.c)
        let x = (0..<c.input.count).map { _ in Int8(next(256) - 128) }
        let w = (0..<filterShape.count).map { _ in Int8(next(255) - 127) }
        let bias = (0..<c.outC).map { _ in Int32(next(20001)) - 10000 }
        let multipliers = (0..<c.outC).map { _ in Int32(1 << 30) + Int32(next(1 << 20)) }
        let shifts = (0..<c.outC).map { _ in -Int32(8 + next(4)) }
        let outShape = Shape4(c.input.n, c.output.0, c.output.1, c.outC)
        let p = ConvParams(strideH: c.stride.0, strideW: c.stride.1, dilationH: c.dilation.0, dilationW: c.dilation.1,
                           padTop: c.padTop, padLeft: c.padLeft, depthMultiplier: mult, inputZeroPoint: -3,
                           outputZeroPoint: 5, activationMin: -100, activationMax: 120)
        var y = [Int8](repeating: 0, count: outShape.count)
        transposeConv2DS8(p, depthwise: c.depthwise, input: x, inputShape: c.input, filter: w, filterShape: filterShape,
                          bias: bias, multipliers: multipliers, shifts: shifts, output: &y, outputShape: outShape)
        // Scatter-form reference in Int64.
        var acc = [Int64](repeating: 0, count: outShape.count)
        for b in 0..<c.input.n {
            for iy in 0..<c.input.h {
                for ix in 0..<c.input.w {
                    for ky in 0..<c.kernel.0 {
                        let oy = iy * c.stride.0 - c.padTop + ky * c.dilation.0
                        guard oy >= 0, oy < outShape.h else { continue }
                        for kx in 0..<c.kernel.1 {
                            let ox = ix * c.stride.1 - c.padLeft + kx * c.dilation.1
                            guard ox >= 0, ox < outShape.w else { continue }
                            for oc in 0..<c.outC {
                                let o = ((b * outShape.h + oy) * outShape.w + ox) * c.outC + oc
                                let inBase = ((b * c.input.h + iy) * c.input.w + ix) * c.input.c
                                if c.depthwise {
                                    acc[o] += Int64(Int32(x[inBase + oc / mult]) + 3) * Int64(w[(ky * c.kernel.1 + kx) * c.outC + oc])
                                } else {
                                    for ic in 0..<c.input.c {
                                        acc[o] += Int64(Int32(x[inBase + ic]) + 3)
                                            * Int64(w[((oc * c.kernel.0 + ky) * c.kernel.1 + kx) * c.input.c + ic])
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        for i in 0..<outShape.count {
            let oc = i % c.outC
            let total = acc[i] + Int64(bias[oc])
            let scaled = Int64(multiplyByQuantizedMultiplier(Int32(total), multipliers[oc], shifts[oc])) + 5
            #expect(Int64(y[i]) == min(max(scaled, -100), 120), "element \(i)")
        }
    }

    @Test func matchesScatterReference() {
        // Stride 2 with output_padding, stride 3 (gaps), dilation and asymmetric pads, depthwise.
        run(Case(input: Shape4(2, 3, 4, 5), kernel: (3, 3), outC: 4, depthwise: false, stride: (2, 2), dilation: (1, 1),
                 padTop: 1, padLeft: 1, output: (6, 8)), seed: 1)
        run(Case(input: Shape4(1, 3, 3, 2), kernel: (2, 2), outC: 3, depthwise: false, stride: (3, 3), dilation: (1, 1),
                 padTop: 0, padLeft: 0, output: (8, 8)), seed: 2)
        run(Case(input: Shape4(1, 4, 3, 3), kernel: (3, 2), outC: 6, depthwise: true, stride: (2, 1), dilation: (1, 2),
                 padTop: 0, padLeft: 1, output: (10, 4)), seed: 3)
        run(Case(input: Shape4(1, 5, 5, 8), kernel: (4, 4), outC: 2, depthwise: false, stride: (2, 2), dilation: (1, 1),
                 padTop: 1, padLeft: 1, output: (10, 10)), seed: 4)
    }

    @Test func handDerived() {
        // 1×2×1×1 input [2, -1] (zx 0), 1×3×1×1 filter [1, 2, 3], stride 2, unit rescale (2^30, shift 1):
        // outputs 0..4 receive 2·1, 2·2, 2·3 + (−1)·1, (−1)·2, (−1)·3 = [2, 4, 5, −2, −3].
        let p = ConvParams(strideH: 2, strideW: 1, inputZeroPoint: 0, outputZeroPoint: 0)
        var y = [Int8](repeating: 0, count: 5)
        transposeConv2DS8(p, depthwise: false, input: [2, -1], inputShape: Shape4(1, 2, 1, 1), filter: [1, 2, 3],
                          filterShape: Shape4(1, 3, 1, 1), bias: nil, multipliers: [1 << 30], shifts: [1], output: &y,
                          outputShape: Shape4(1, 5, 1, 1))
        #expect(y == [2, 4, 5, -2, -3])
    }
}
