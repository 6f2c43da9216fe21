// PackedDepthwise3x3 and PackedConvIm2col (format 1.3): one-conv models over the shapes where the
// microkernels have edges (channel counts not a multiple of 16, odd sizes, every padding side,
// stride 2, dilation, 1-row images, the 3-channel first layer, K not a multiple of KR). The oracle
// is the reference operator of the same model (DepthwiseConv2D / Conv2D): the packed file must
// give the same int8 outputs (compared dequantized: the same scale maps equal codes to equal
// floats and different codes to different ones), for both GEMM layouts.
import Foundation
import SparrowFormat
import SparrowKernels
import SparrowNPY
import SparrowRuntime
import SparrowTestSupport
import Testing
@testable import SparrowConverter

@Suite struct PackedConvolutionTests {
    struct Case: CustomStringConvertible, Sendable {
        var h: Int, w: Int, inC: Int, outC: Int
        var kernel: (Int, Int) = (3, 3)
        var stride: Int = 1
        var dilation: Int = 1
        var pads: [Int] = [1, 1, 1, 1]
        var depthwise = false
        var relu = false
        var description: String {
            "\(depthwise ? "dw" : "conv") \(h)×\(w)×\(inC)→\(outC) k\(kernel.0)×\(kernel.1) s\(stride) d\(dilation) pads \(pads)\(relu ? " relu" : "")"
        }
        var outH: Int { (h + pads[0] + pads[2] - dilation * (kernel.0 - 1) - 1) / stride + 1 }
        var outW: Int { (w + pads[1] + pads[3] - dilation * (kernel.1 - 1) - 1) / stride + 1 }
    }

    static let depthwiseCases: [Case] = [
        Case(h: 8, w: 8, inC: 16, outC: 16, depthwise: true),
        Case(h: 5, w: 7, inC: 3, outC: 3, depthwise: true, relu: true),
        Case(h: 9, w: 6, inC: 17, outC: 17, stride: 2, depthwise: true),
        Case(h: 7, w: 9, inC: 35, outC: 35, stride: 2, pads: [0, 0, 1, 1], depthwise: true, relu: true),
        Case(h: 6, w: 5, inC: 33, outC: 33, pads: [0, 0, 0, 0], depthwise: true),
        Case(h: 4, w: 5, inC: 20, outC: 20, pads: [2, 2, 2, 2], depthwise: true),
        Case(h: 5, w: 8, inC: 48, outC: 48, stride: 2, pads: [1, 0, 2, 1], depthwise: true),
        Case(h: 1, w: 1, inC: 31, outC: 31, depthwise: true),
        Case(h: 3, w: 11, inC: 64, outC: 64, stride: 2, pads: [2, 1, 0, 2], depthwise: true, relu: true),
    ]

    static let im2colCases: [Case] = [
        Case(h: 16, w: 16, inC: 3, outC: 16, stride: 2, pads: [0, 0, 1, 1], relu: true),   // first layer, TF 'same'
        Case(h: 9, w: 7, inC: 3, outC: 8, relu: true),
        Case(h: 8, w: 8, inC: 32, outC: 32, stride: 2, pads: [0, 0, 1, 1]),
        Case(h: 5, w: 6, inC: 1, outC: 7),
        Case(h: 7, w: 5, inC: 5, outC: 33, pads: [0, 0, 0, 0]),
        Case(h: 6, w: 9, inC: 17, outC: 17, kernel: (5, 5), stride: 2, pads: [2, 2, 2, 2], relu: true),
        Case(h: 8, w: 7, inC: 4, outC: 9, dilation: 2, pads: [2, 2, 2, 2]),
        Case(h: 9, w: 9, inC: 6, outC: 12, kernel: (1, 1), stride: 2, pads: [0, 0, 0, 0]),
        Case(h: 7, w: 6, inC: 3, outC: 10, kernel: (3, 1), pads: [1, 0, 1, 0]),
        Case(h: 1, w: 5, inC: 16, outC: 24, pads: [1, 2, 1, 0]),
        Case(h: 4, w: 4, inC: 20, outC: 1, kernel: (2, 2), stride: 2, pads: [0, 0, 0, 0]),
    ]

    /// x [1, h, w, inC] (NHWC, given in that layout) → one conv → y.
    static func graph(_ c: Case, seed: UInt64) -> IRGraph {
        var rng = SplitMix64(seed: seed)
        var g = IRGraph()
        let x = g.addValue(IRValue(name: "x", shape: [1, c.h, c.w, c.inC]))
        let fanIn = Float(c.kernel.0 * c.kernel.1 * (c.depthwise ? 1 : c.inC))
        let filterShape = c.depthwise ? [1, c.kernel.0, c.kernel.1, c.outC] : [c.outC, c.kernel.0, c.kernel.1, c.inC]
        let spread = 1.7 / fanIn.squareRoot()
        let f = g.addValue(IRValue(name: "conv.weight", shape: filterShape,
                                   constant: rng.floats(filterShape.reduce(1, *), -spread, spread)))
        let b = g.addValue(IRValue(name: "conv.bias", shape: [c.outC], constant: rng.floats(c.outC, -0.3, 0.3)))
        let y = g.addValue(IRValue(name: "y", shape: [1, c.outH, c.outW, c.outC]))
        let attributes = ConvAttributes(strides: [c.stride, c.stride], dilations: [c.dilation, c.dilation], pads: c.pads,
                                        isDepthwise: c.depthwise, activation: c.relu ? .relu : .none)
        g.nodes = [IRNode(name: "conv", op: .conv(attributes), inputs: [x, f, b], outputs: [y])]
        g.inputPorts = [IRGraphPort(value: x, onnxName: "x", onnxShape: [1, c.h, c.w, c.inC], onnxToIR: [0, 1, 2, 3])]
        g.outputPorts = [IRGraphPort(value: y, onnxName: "y", onnxShape: [1, c.outH, c.outW, c.outC], onnxToIR: [0, 1, 2, 3])]
        return g
    }

    /// Converts the case with and without packing and runs both on 8 samples (inputs shifted off
    /// zero so the input zero point is not 0 and the folded −zx·Σw matters).
    static func check(_ c: Case, layout: PackedGemmLayout, expected: OpCode) throws {
        let g = graph(c, seed: UInt64(c.h * 1000 + c.w * 100 + c.inC))
        var rng = SplitMix64(seed: 11)
        let perSample = c.h * c.w * c.inC
        let samples = rng.floats(16 * perSample, -0.6, 1.4)
        var options = ConversionOptions(calibration: .samples([NPYArray(floats: samples, shape: [16, c.h, c.w, c.inC])]))
        let plain = try convert(graph: g, options: options)
        options.packedWeights = layout
        let packed = try convert(graph: g, options: options)
        #expect(packed.summary.opCounts["\(expected.name)"] == 1, "\(c): \(packed.summary.opCounts)")
        #expect(packed.summary.arenaBytes >= packed.summary.arenaLowerBound)
        let reference = try HostModel(bytes: plain.bytes), fast = try HostModel(bytes: packed.bytes)
        defer { withExtendedLifetime((reference, fast)) {} }
        var distinct = Set<Float>()
        for i in 0..<8 {
            let x = Array(samples[(i * perSample)..<((i + 1) * perSample)])
            let want = reference.run([x])[0], got = fast.run([x])[0]
            let differing = zip(got, want).filter { $0 != $1 }.count
            #expect(got.count == want.count && differing == 0, "\(c) layout \(layout) sample \(i): \(differing) outputs differ")
            distinct.formUnion(want)
        }
        // A non-trivial oracle: the outputs take many values (not all clamped to one code).
        #expect(distinct.count >= min(8, 4 * c.outH * c.outW * c.outC), "\(c): \(distinct.count) distinct outputs")
    }

    @Test(arguments: depthwiseCases, [PackedGemmLayout.nr16kr4, .nr8kr16])
    func depthwiseMatchesTheReferenceOperator(c: Case, layout: PackedGemmLayout) throws {
        try Self.check(c, layout: layout, expected: .packedDepthwise3x3)
    }

    @Test(arguments: im2colCases, [PackedGemmLayout.nr16kr4, .nr8kr16])
    func im2colMatchesTheReferenceOperator(c: Case, layout: PackedGemmLayout) throws {
        try Self.check(c, layout: layout, expected: .packedConvIm2col)
    }

    /// Shapes the depthwise microkernel does not take keep the reference operator.
    @Test func depthwiseOutsideTheKernelKeepsTheReference() throws {
        for c in [Case(h: 8, w: 8, inC: 8, outC: 8, kernel: (5, 5), pads: [2, 2, 2, 2], depthwise: true),
                  Case(h: 8, w: 8, inC: 8, outC: 8, dilation: 2, pads: [2, 2, 2, 2], depthwise: true)] {
            let g = Self.graph(c, seed: 3)
            var rng = SplitMix64(seed: 4)
            var options = ConversionOptions(calibration: .samples([NPYArray(floats: rng.floats(4 * 512, -1, 1), shape: [4, 8, 8, 8])]))
            options.packedWeights = .nr8kr16
            let r = try convert(graph: g, options: options)
            #expect(r.summary.opCounts["DepthwiseConv2D"] == 1 && r.summary.opCounts["PackedDepthwise3x3"] == nil, "\(c)")
        }
    }

    /// The im2col scratch is a planned arena tensor: the operator's second output, alive during
    /// that operator only, MR × K (rounded up to KR) bytes for the largest MR of the layout, and
    /// counted in the planner's lower bound.
    @Test(arguments: [PackedGemmLayout.nr16kr4, .nr8kr16])
    func im2colScratchIsPlannedInTheArena(layout: PackedGemmLayout) throws {
        let c = Self.im2colCases[0]   // 3×3×3 = K 27
        let g = Self.graph(c, seed: 1)
        var rng = SplitMix64(seed: 2)
        var options = ConversionOptions(calibration: .samples([NPYArray(floats: rng.floats(4 * 768, -1, 1), shape: [4, 16, 16, 3])]))
        options.packedWeights = layout
        let r = try convert(graph: g, options: options)
        let host = try HostModel(bytes: r.bytes)
        defer { withExtendedLifetime(host) {} }
        let model = host.model
        let k = try #require((0..<model.operatorCount).first { model.op($0).opcode == .packedConvIm2col })
        let scratch = model.tensor(model.output(model.op(k), 1))
        let rows = layout == .nr16kr4 ? 4 : 2, paddedK = layout == .nr16kr4 ? 28 : 32
        #expect(scratch.storage == .arena && Int(scratch.liveFrom) == k && Int(scratch.liveTo) == k)
        #expect(Int(scratch.byteSize) == rows * paddedK)
        #expect(r.plan.arenaSize >= r.plan.lowerBound)
        #expect(r.planBuffers.contains { $0.name == "conv_im2col" && $0.size == rows * paddedK && $0.firstUse == k && $0.lastUse == k })
        #expect(MemoryPlanner.overlaps(r.planBuffers, offsets: r.plan.offsets).isEmpty)
    }

    /// A scratch smaller than this build's microkernel needs, or one that outlives its operator,
    /// is refused before anything runs.
    @Test func badScratchIsRejected() throws {
        let c = Self.im2colCases[0]
        var rng = SplitMix64(seed: 2)
        var options = ConversionOptions(calibration: .samples([NPYArray(floats: rng.floats(4 * 768, -1, 1), shape: [4, 16, 16, 3])]))
        options.packedWeights = .nr16kr4
        let bytes = try convert(graph: Self.graph(c, seed: 1), options: options).bytes
        let host = try HostModel(bytes: bytes)
        let (record, k, size) = withExtendedLifetime(host) { () -> (Int, Int, Int) in
            let model = host.model
            let k = (0..<model.operatorCount).first { model.op($0).opcode == .packedConvIm2col }!
            let t = model.output(model.op(k), 1)
            return (model.file.sectionRange(.tensors).offset + t * TensorRecord.size, k, Int(model.tensor(t).byteSize))
        }
        func patched(_ edit: (inout [UInt8]) -> Void) -> ModelError? {
            var b = bytes
            edit(&b)
            return HostModel.verificationError(PackedGemmTests.resealed(b))
        }
        func put(_ b: inout [UInt8], _ at: Int, _ v: Int32) { withUnsafeBytes(of: v.littleEndian) { for i in 0..<4 { b[at + i] = $0[i] } } }
        // 16 bytes is below one im2col row here (K = 3·3·3 = 27, padded to 28 or 32), so every
        // build's microkernel (AVX2 and NEON rows use fewer rows per tile than the twins) needs more.
        #expect(size > 16)
        let small = try #require(patched { b in put(&b, record + 4, 16); put(&b, record + 32, 16) })
        #expect(small.reason == .shapeMismatch && "\(small.field)".contains("im2col scratch size"), "\(small)")
        let longLived = try #require(patched { b in put(&b, record + 52, Int32(k + 1)) })
        #expect(longLived.reason == .badLifetime && "\(longLived.field)".contains("im2col scratch"), "\(longLived)")
    }

    /// Parameter records the reader does not know are refused before anything runs, naming the field.
    @Test func badRecordsAreRejected() throws {
        let c = Self.depthwiseCases[2]   // stride 2, pads 1
        let g = Self.graph(c, seed: 5)
        var rng = SplitMix64(seed: 6)
        var options = ConversionOptions(calibration: .samples([NPYArray(floats: rng.floats(4 * 9 * 6 * 17, -1, 1), shape: [4, 9, 6, 17])]))
        options.packedWeights = .nr8kr16
        let bytes = try convert(graph: g, options: options).bytes
        #expect(HostModel.verificationError(bytes) == nil)
        // The record: stride 2, pads 1 1 1 1, clamp, 16; find "2 1 1 1 1" then the group width 2 words later.
        let words: [Int32] = [2, 1, 1, 1, 1]
        let pattern = words.flatMap { w in withUnsafeBytes(of: w.littleEndian) { Array($0) } }
        let at = try #require((0...(bytes.count - pattern.count)).first { Array(bytes[$0..<($0 + pattern.count)]) == pattern })
        var badGroup = bytes
        badGroup[at + 28] = 8
        let groupError = try #require(HostModel.verificationError(PackedGemmTests.resealed(badGroup)))
        #expect(groupError.reason == .badParameter && "\(groupError.field)".contains("group channels"))
        var badStride = bytes
        badStride[at] = 3
        let strideError = try #require(HostModel.verificationError(PackedGemmTests.resealed(badStride)))
        #expect(strideError.reason == .badParameter && "\(strideError.field)".contains("stride"))
    }
}
