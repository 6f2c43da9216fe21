import Testing
@testable import SparrowConverter

// The calibration executor's convolution (vectorized across output channels) against the scalar
// one it replaced, `convReference`, at tolerance 0: bit-identical floats, over channel counts that
// are and are not multiples of 8, borders, strides, dilation, depthwise multipliers 1 and 2.
@Suite struct FloatConvTests {
    struct Case: CustomStringConvertible {
        var n: Int = 1
        var h: Int
        var w: Int
        var inC: Int
        var outC: Int
        var k: (Int, Int)
        var stride: Int = 1
        var dilation: Int = 1
        var pads: [Int] = [0, 0, 0, 0]
        var depthwise: Bool = false
        var activation: Activation = .none
        var outShape: [Int] {
            [n, (h + pads[0] + pads[2] - (k.0 - 1) * dilation - 1) / stride + 1,
             (w + pads[1] + pads[3] - (k.1 - 1) * dilation - 1) / stride + 1, outC]
        }
        var description: String { "\(n)×\(h)×\(w)×\(inC) → \(outC) k \(k) s \(stride) d \(dilation) pads \(pads) dw \(depthwise)" }
    }

    static let cases: [Case] = [
        Case(h: 9, w: 9, inC: 3, outC: 32, k: (3, 3), stride: 2, pads: [1, 1, 1, 1], activation: .relu6),
        Case(n: 2, h: 5, w: 6, inC: 16, outC: 13, k: (1, 1)),                                 // no whole block of 8
        Case(h: 6, w: 7, inC: 24, outC: 20, k: (1, 1), activation: .relu),                    // 2 blocks + 4
        Case(h: 8, w: 8, inC: 5, outC: 17, k: (3, 3), dilation: 2, pads: [2, 2, 2, 2]),
        Case(h: 7, w: 5, inC: 4, outC: 9, k: (1, 3), stride: 3, pads: [0, 2, 1, 0], activation: .clip(-1, 2)),
        Case(h: 7, w: 7, inC: 19, outC: 19, k: (3, 3), pads: [1, 1, 1, 1], depthwise: true, activation: .relu6),
        Case(n: 2, h: 9, w: 8, inC: 32, outC: 32, k: (3, 3), stride: 2, pads: [0, 0, 1, 1], depthwise: true),
        Case(h: 5, w: 5, inC: 3, outC: 6, k: (3, 3), pads: [1, 1, 1, 1], depthwise: true),       // multiplier 2
    ]

    @Test(arguments: cases) func matchesTheScalarConvolutionExactly(_ c: Case) {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15 &+ UInt64(c.outC &* 131 &+ c.h)
        func next() -> Float {   // uniform in [−1, 1), varied exponents through the product terms
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state) >> 40) / Float(1 << 23)
        }
        let x = (0..<(c.n * c.h * c.w * c.inC)).map { _ in next() * 3 }
        let filterShape = c.depthwise ? [1, c.k.0, c.k.1, c.outC] : [c.outC, c.k.0, c.k.1, c.inC]
        let filter = (0..<filterShape.reduce(1, *)).map { _ in next() }
        let bias = (0..<c.outC).map { _ in next() }
        let attrs = ConvAttributes(strides: [c.stride, c.stride], dilations: [c.dilation, c.dilation], pads: c.pads,
                                   isDepthwise: c.depthwise, depthMultiplier: c.depthwise ? c.outC / c.inC : 1,
                                   activation: c.activation)
        for b in [bias, nil] {
            let got = FloatKernels.conv(x, [c.n, c.h, c.w, c.inC], filter: filter, filterShape: filterShape, bias: b,
                                        attrs: attrs, outShape: c.outShape)
            let want = FloatKernels.convReference(x, [c.n, c.h, c.w, c.inC], filter: filter, filterShape: filterShape,
                                                  bias: b, attrs: attrs, outShape: c.outShape)
            #expect(got.count == c.outShape.reduce(1, *))
            #expect(got.map(\.bitPattern) == want.map(\.bitPattern), "\(c)")
        }
    }
}
