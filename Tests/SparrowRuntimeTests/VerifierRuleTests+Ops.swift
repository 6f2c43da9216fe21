import Foundation
import Testing
import SparrowFormat
import SparrowKernels
@testable import SparrowRuntime
import SparrowTestSupport

/// The same error, field included (`ModelError.==` leaves the field out, and neighbouring rules
/// often share a reason: only the field tells which rule fired).
func isExactly(_ e: ModelError?, _ expected: ModelError) -> Bool {
    guard let e else { return false }
    return e == expected && "\(e.field)" == "\(expected.field)"
}

/// One operator whose activation inputs are graph inputs and whose first output is the graph
/// output, laid out one after another in the arena; constants added by `constant`.
struct OneOpModel {
    var w = ModelWriter()
    private var arenaEnd: UInt32 = 0
    private var graphInputs: [Int32] = []

    static func dims(_ d: [Int32]) -> (Int32, Int32, Int32, Int32) {
        let p = d + Array(repeating: 1, count: 4 - d.count)
        return (p[0], p[1], p[2], p[3])
    }

    private mutating func arena(_ d: [Int32], scale: Float, zeroPoint: Int32, from: Int32, to: Int32,
                                dtype: DType = .int8) -> Int32 {
        let bytes = UInt32(d.reduce(1, *))
        w.tensors.append(TensorRecord(dtype: dtype, dims: Self.dims(d), rank: d.count, storage: .arena, location: arenaEnd,
                                      byteSize: bytes, quant: .perTensor, zeroPoint: zeroPoint, scale: scale,
                                      liveFrom: from, liveTo: to))
        arenaEnd += (bytes + 15) / 16 * 16
        return Int32(w.tensors.count - 1)
    }

    /// An int8 graph input (alive until the operator has run).
    mutating func input(_ d: [Int32], scale: Float = 1.0 / 64, zeroPoint: Int32 = 0, dtype: DType = .int8) -> Int32 {
        let t = arena(d, scale: scale, zeroPoint: zeroPoint, from: -1, to: 0, dtype: dtype)
        graphInputs.append(t)
        return t
    }

    /// An int8 tensor the operator writes (alive to the end).
    mutating func output(_ d: [Int32], scale: Float = 1.0 / 64, zeroPoint: Int32 = 0, dtype: DType = .int8) -> Int32 {
        arena(d, scale: scale, zeroPoint: zeroPoint, from: 0, to: 1, dtype: dtype)
    }

    mutating func constant(_ dtype: DType, _ d: [Int32], _ data: [UInt8]) -> Int32 {
        w.tensors.append(TensorRecord(dtype: dtype, dims: Self.dims(d), rank: d.count, storage: .constant,
                                      location: w.addConstant(data), byteSize: UInt32(data.count)))
        return Int32(w.tensors.count - 1)
    }

    mutating func int32s(_ v: [Int32]) -> Int32 {
        constant(.int32, [Int32(v.count)], v.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) })
    }

    mutating func bytes(_ opcode: OpCode, inputs: [Int32], outputs: [Int32], params: [Int32]) -> [UInt8] {
        w.addOperator(opcode, inputs: inputs, outputs: outputs, params: params, name: "op")
        w.inputs = graphInputs
        w.outputs = [outputs[0]]
        w.arenaSize = arenaEnd
        return w.serialize()
    }
}

/// Per-operator rules (`Ops/*.swift`) that `mutate_verifier.py` found no test for. Each model is
/// one valid operator (checked to verify) and one corruption of exactly what the rule guards;
/// the test demands the rule's own error, field included, so a later rule catching the same
/// model instead (what the mutant does) fails it. Mutant numbers as `--list` prints them.
@Suite struct VerifierOperatorRuleTests {
    static let unit = Rescale(multiplier: 1 << 30, shift: 0)
    static let clamp = ActivationClamp(min: -128, max: 127)

    /// #99: BatchMatMul [b, 1, 2, 3] × [1, 1, 3, 2] → [2, 1, 2, 2]; a left batch of 2 is valid, 3 is neither the output's 2 nor 1.
    @Test func batchMatMulBatchThatDoesNotBroadcast() {
        func model(leftBatch: Int32) -> [UInt8] {
            var m = OneOpModel()
            let a = m.input([leftBatch, 1, 2, 3]), b = m.input([1, 1, 3, 2]), y = m.output([2, 1, 2, 2])
            let r = BatchMatMulParamRecord(output: Self.unit, activation: Self.clamp, leftAxes: .rowMajor,
                                           rightAxes: .rowMajor, outputAxes: .rowMajor)
            return m.bytes(.batchMatMul, inputs: [a, b], outputs: [y], params: r.words)
        }
        #expect(verifyError(model(leftBatch: 2)) == nil)
        let e = verifyError(model(leftBatch: 3))
        #expect(isExactly(e, ModelError(.shapeMismatch, .operators, index: 0, value: 3, limit: 2, field: "batch0")),
                "\(String(describing: e))")
    }

    /// #142: a stride-2 3×3 transposed conv of a 2×2 input spans (2 − 1)·2 + 3 = 5 rows; output_padding
    /// may add up to stride − 1, so 5 and 6 rows are valid and 4 (cropped) is not.
    @Test func transposeConvOutputSize() {
        func model(outputRows: Int32) -> [UInt8] {
            var m = OneOpModel()
            let x = m.input([1, 2, 2, 1]), y = m.output([1, outputRows, 5, 1])
            let filter = m.constant(.int8, [1, 3, 3, 1], Array(repeating: 1, count: 9))
            let bias = m.int32s([0]), mults = m.int32s([1 << 30]), shifts = m.int32s([0])
            let p = ConvParamRecord(strideH: 2, strideW: 2, dilationH: 1, dilationW: 1, padTop: 0, padLeft: 0,
                                    padBottom: 0, padRight: 0, activation: Self.clamp)
            return m.bytes(.transposeConv2D, inputs: [x, filter, bias, mults, shifts], outputs: [y], params: p.words)
        }
        #expect(verifyError(model(outputRows: 5)) == nil)
        #expect(verifyError(model(outputRows: 6)) == nil)
        let e = verifyError(model(outputRows: 4))
        #expect(isExactly(e, ModelError(.shapeMismatch, .operators, index: 0, value: 4, limit: 5,
                                        field: "transposed conv output size")), "\(String(describing: e))")
    }

    /// #101: a Concat with no inputs (its parameter list, the axis alone, is the right length for none).
    @Test func concatWithoutInputs() {
        var m = OneOpModel()
        let a = m.input([1, 1, 1, 2]), b = m.input([1, 1, 1, 2]), y = m.output([1, 1, 1, 4])
        let u = Self.unit
        var good = m
        #expect(verifyError(good.bytes(.concat, inputs: [a, b], outputs: [y],
                                       params: [3, u.multiplier, u.shift, u.multiplier, u.shift])) == nil)
        let e = verifyError(m.bytes(.concat, inputs: [], outputs: [y], params: [3]))
        #expect(isExactly(e, ModelError(.wrongInputCount, .operators, index: 0, value: 0, limit: 1, field: "inputs")),
                "\(String(describing: e))")
    }

    /// #103: Add of [1, 1, 1, c] and [1, 1, 1, 3] into [1, 1, 1, 3]: c = 1 broadcasts, c = 2 does not.
    @Test func addOperandsThatDoNotBroadcast() {
        func model(channels: Int32) -> [UInt8] {
            var m = OneOpModel()
            let a = m.input([1, 1, 1, channels]), b = m.input([1, 1, 1, 3]), y = m.output([1, 1, 1, 3])
            let r = AddParamRecord(leftShift: 20, input1: Self.unit, input2: Self.unit, output: Self.unit, activation: Self.clamp)
            return m.bytes(.add, inputs: [a, b], outputs: [y], params: r.words)
        }
        #expect(verifyError(model(channels: 1)) == nil)
        let e = verifyError(model(channels: 2))
        #expect(isExactly(e, ModelError(.shapeMismatch, .operators, index: 0, value: 2, limit: 3, field: "broadcast")),
                "\(String(describing: e))")
    }

    /// #111: PRelu on 3 channels with a slope per channel (3) or one for all (1); 2 is neither.
    @Test func preluSlopeCount() {
        func model(slopes: Int) -> [UInt8] {
            var m = OneOpModel()
            let x = m.input([1, 2, 2, 3]), y = m.output([1, 2, 2, 3])
            let alpha = m.constant(.int8, [Int32(slopes)], Array(repeating: 5, count: slopes))
            return m.bytes(.prelu, inputs: [x, alpha], outputs: [y],
                           params: PReluParamRecord(identity: Self.unit, alpha: Self.unit).words)
        }
        #expect(verifyError(model(slopes: 3)) == nil)
        #expect(verifyError(model(slopes: 1)) == nil)
        let e = verifyError(model(slopes: 2))
        #expect(isExactly(e, ModelError(.notPerChannelLength, .operators, index: 0, value: 2, limit: 3, field: "alpha")),
                "\(String(describing: e))")
    }

    /// #126: Pad of one row before H: a [1, 2, 2, 1] input needs an output at least 3 rows high.
    @Test func padOutputTooSmallForThePadding() {
        func model(outputRows: Int32) -> [UInt8] {
            var m = OneOpModel()
            let x = m.input([1, 2, 2, 1]), y = m.output([1, outputRows, 2, 1])
            return m.bytes(.pad, inputs: [x], outputs: [y],
                           params: PadParamRecord(beforeN: 0, beforeH: 1, beforeW: 0, beforeC: 0).words)
        }
        #expect(verifyError(model(outputRows: 3)) == nil)
        let e = verifyError(model(outputRows: 2))
        #expect(isExactly(e, ModelError(.shapeMismatch, .operators, index: 0, value: 2, limit: 3, field: "padded dim")),
                "\(String(describing: e))")
    }

    /// #157: the fill code of a constant Pad (fifth word) must be an int8.
    @Test func padFillOutsideInt8() {
        func model(fill: Int32) -> [UInt8] {
            var m = OneOpModel()
            let x = m.input([1, 2, 2, 1]), y = m.output([1, 3, 2, 1])
            return m.bytes(.pad, inputs: [x], outputs: [y], params: [0, 1, 0, 0, fill])
        }
        #expect(verifyError(model(fill: -128)) == nil)
        let e = verifyError(model(fill: 128))
        #expect(isExactly(e, ModelError(.badParameter, .operators, index: 0, value: 128, limit: 127, field: "fill")),
                "\(String(describing: e))")
    }

    static func pool(inputRows: Int32, outputRows: Int32, outputScale: Float = 1.0 / 64) -> [UInt8] {
        var m = OneOpModel()
        let x = m.input([1, inputRows, 3, 2]), y = m.output([1, outputRows, 1, 2], scale: outputScale)
        let p = PoolParamRecord(strideH: 1, strideW: 1, filterH: 3, filterW: 3, padTop: 0, padLeft: 0, padBottom: 0,
                                padRight: 0, activation: clamp, countIncludePad: false)
        return m.bytes(.maxPool, inputs: [x], outputs: [y], params: p.words)
    }

    /// #127: max pooling keeps the input's scale; an output of another scale is rejected.
    @Test func poolOutputScaleDiffersFromTheInput() {
        #expect(verifyError(Self.pool(inputRows: 3, outputRows: 1)) == nil)
        let e = verifyError(Self.pool(inputRows: 3, outputRows: 1, outputScale: 1.0 / 32))
        #expect(isExactly(e, ModelError(.badQuantization, .operators, index: 0, field: "output scale differs from input")),
                "\(String(describing: e))")
    }

    /// #128: a 3×3 window over an unpadded input 2 rows high.
    @Test func poolWindowLargerThanTheInput() {
        let e = verifyError(Self.pool(inputRows: 2, outputRows: 1))
        #expect(isExactly(e, ModelError(.shapeMismatch, .operators, index: 0, value: 2, limit: 3,
                                        field: "input smaller than window")), "\(String(describing: e))")
    }

    /// MaxPoolArgmax (MediaPipe's pooling with window positions, uint8 output) over a [1, rows, cols, 1]
    /// input with a filterH × filterW window, stride 1, no padding.
    static func poolArgmax(rows: Int32, cols: Int32, filterH: Int32, filterW: Int32) -> [UInt8] {
        var m = OneOpModel()
        let x = m.input([1, rows, cols, 1])
        let y = m.output([1, max(rows - filterH + 1, 1), max(cols - filterW + 1, 1), 1], dtype: .uint8)
        let p = PoolParamRecord(strideH: 1, strideW: 1, filterH: filterH, filterW: filterW, padTop: 0, padLeft: 0,
                                padBottom: 0, padRight: 0, activation: clamp, countIncludePad: false)
        return m.bytes(.maxPoolArgmax, inputs: [x], outputs: [y], params: p.words)
    }

    /// #130: MaxPoolArgmax's window must fit the padded input (3×3 over 2 rows).
    @Test func poolArgmaxWindowLargerThanTheInput() {
        #expect(verifyError(Self.poolArgmax(rows: 3, cols: 3, filterH: 3, filterW: 3)) == nil)
        let e = verifyError(Self.poolArgmax(rows: 2, cols: 3, filterH: 3, filterW: 3))
        #expect(isExactly(e, ModelError(.shapeMismatch, .operators, index: 0, value: 2, limit: 3,
                                        field: "input smaller than window")), "\(String(describing: e))")
    }

    /// #131: positions are one byte, so a window has at most 256 cells (16×16 verifies, 17×16 not).
    @Test func poolArgmaxWindowCells() {
        #expect(verifyError(Self.poolArgmax(rows: 16, cols: 16, filterH: 16, filterW: 16)) == nil)
        let e = verifyError(Self.poolArgmax(rows: 17, cols: 16, filterH: 17, filterW: 16))
        #expect(isExactly(e, ModelError(.shapeMismatch, .operators, index: 0, value: 272, limit: 256,
                                        field: "window cells")), "\(String(describing: e))")
    }

    /// MaxUnpool of a [1, rows, 2, 1] input and its uint8 positions into a [1, 2·rows, 4, 1] output
    /// (2×2 windows, stride 2).
    static func unpool(rows: Int32, outputScale: Float = 1.0 / 64) -> [UInt8] {
        var m = OneOpModel()
        let x = m.input([1, rows, 2, 1]), positions = m.input([1, rows, 2, 1], scale: 1, dtype: .uint8)
        let y = m.output([1, 2 * rows, 4, 1], scale: outputScale)
        let p = UnpoolParamRecord(strideH: 2, strideW: 2, filterW: 2, padTop: 0, padLeft: 0)
        return m.bytes(.maxUnpool, inputs: [x, positions], outputs: [y], params: p.words)
    }

    /// #132: unpooling copies codes, so the output keeps the input's scale.
    @Test func unpoolOutputScaleDiffersFromTheInput() {
        #expect(verifyError(Self.unpool(rows: 2)) == nil)
        let e = verifyError(Self.unpool(rows: 2, outputScale: 1.0 / 32))
        #expect(isExactly(e, ModelError(.badQuantization, .operators, index: 0, field: "output scale differs from input")),
                "\(String(describing: e))")
    }

    /// #133: input rows below 2^18 keep the kernel's position arithmetic far from overflow
    /// (2^18 − 1 rows verify; 2^18 do not; 1.5 MB of arena records, nothing allocated).
    @Test func unpoolInputSize() {
        #expect(verifyError(Self.unpool(rows: (1 << 18) - 1)) == nil)
        let e = verifyError(Self.unpool(rows: 1 << 18))
        #expect(isExactly(e, ModelError(.shapeMismatch, .operators, index: 0, value: 1 << 18, limit: 1 << 18,
                                        field: "input size")), "\(String(describing: e))")
    }

    /// #110: Mean over H·W = 3,000 × 3,000 cells, past the 8,421,504 its int32 sum is proved for
    /// (the verifier reads only records: the 9 MB input is never allocated).
    @Test func meanOverTooManyCells() {
        func model(side: Int32) -> [UInt8] {
            var m = OneOpModel()
            let x = m.input([1, side, side, 1]), y = m.output([1, 1])
            let mean = MeanHW.prepare(inputScale: 1.0 / 64, outputScale: 1.0 / 64, count: Int(side) * Int(side))
            return m.bytes(.mean, inputs: [x], outputs: [y],
                           params: RescaleParamRecord(Rescale(multiplier: mean.multiplier, shift: mean.shift)).words)
        }
        #expect(verifyError(model(side: 2)) == nil)
        let e = verifyError(model(side: 3000))
        #expect(isExactly(e, ModelError(.accumulatorBound, .operators, index: 0, value: 9_000_000,
                                        limit: maxMeanElementCount, field: "H*W")), "\(String(describing: e))")
    }

    /// #106–#109: LayerNorm over `depth` channels with per-channel multipliers, shifts and bias.
    static func layerNorm(depth: Int, multipliers: Int? = nil, multiplier: Int32 = 1 << 30, bias: Int32 = 0,
                          epsilonTerm: UInt64 = 1) -> [UInt8] {
        var m = OneOpModel()
        let x = m.input([1, Int32(depth)]), y = m.output([1, Int32(depth)])
        let mc = m.int32s(Array(repeating: multiplier, count: multipliers ?? depth))
        let sc = m.int32s(Array(repeating: 0, count: depth)), bc = m.int32s(Array(repeating: bias, count: depth))
        return m.bytes(.layerNorm, inputs: [x, mc, sc, bc], outputs: [y], params: LayerNormParamRecord(epsilonTerm: epsilonTerm).words)
    }

    /// #104, #105: FullyConnected 1 → 1 whose input or output is a rank-0 scalar (one byte, so
    /// every size check after the rank rule would pass: the last dim of a scalar reads as 1).
    static func fullyConnected(inputRank: Int, outputRank: Int) -> [UInt8] {
        var m = OneOpModel()
        let x = m.input(Array(repeating: 1, count: inputRank)), y = m.output(Array(repeating: 1, count: outputRank))
        let weights = m.constant(.int8, [1, 1], [1])
        let bias = m.int32s([0]), mults = m.int32s([1 << 30]), shifts = m.int32s([0])
        return m.bytes(.fullyConnected, inputs: [x, weights, bias, mults, shifts], outputs: [y],
                       params: FullyConnectedParamRecord(activation: clamp).words)
    }

    @Test func fullyConnectedScalarOperands() {
        #expect(verifyError(Self.fullyConnected(inputRank: 1, outputRank: 1)) == nil)
        var e = verifyError(Self.fullyConnected(inputRank: 0, outputRank: 1))
        #expect(isExactly(e, ModelError(.wrongRank, .operators, index: 0, value: 0, limit: 1, field: "input")), "\(String(describing: e))")
        e = verifyError(Self.fullyConnected(inputRank: 1, outputRank: 0))
        #expect(isExactly(e, ModelError(.wrongRank, .operators, index: 0, value: 0, limit: 1, field: "output")), "\(String(describing: e))")
    }

    /// #119–#125: PackedGemm (layout NR 16 × KR 4) of depth `k` to 2 channels. Its packed constant
    /// is one group written here by hand from the layout (Qs8Gemm+Packing.swift): 16 int32 biases,
    /// K′·16 weight bytes, then 16 multipliers, 16 left shifts, 16 right shifts.
    static func packedGemm(k: Int = 4, inputRank: Int = 2, outputRank: Int = 2,
                           patch: (_ group: inout [UInt8], _ weightsAt: Int, _ constantsAt: Int) -> Void = { _, _, _ in }) -> [UInt8] {
        let n = 2, tile = Qs8GemmTile(mr: 1, nr: 16, kr: 4)
        var m = OneOpModel()
        let x = m.input(inputRank == 0 ? [] : [1, Int32(k)]), y = m.output(outputRank == 0 ? [] : [1, Int32(n)])
        let weightsAt = 16 * 4, constantsAt = weightsAt + tile.paddedK(k) * 16
        var group = [UInt8](repeating: 0, count: tile.groupBytes(k: k))
        for i in weightsAt..<constantsAt { group[i] = 1 }
        for lane in 0..<16 {
            withUnsafeBytes(of: Int32(1 << 30).littleEndian) { for b in 0..<4 { group[constantsAt + lane * 4 + b] = $0[b] } }
        }
        patch(&group, weightsAt, constantsAt)
        let packed = m.constant(.int8, [Int32(group.count)], group)
        let r = PackedGemmParamRecord(activation: clamp, layout: .nr16kr4, outputDepth: Int32(n), depth: Int32(k))
        return m.bytes(.packedGemm, inputs: [x, packed], outputs: [y], params: r.words)
    }

    static func store(_ v: Int32, _ bytes: inout [UInt8], at: Int) {
        withUnsafeBytes(of: v.littleEndian) { for b in 0..<4 { bytes[at + b] = $0[b] } }
    }

    @Test func packedGemmDepthBound() {
        let atLimit = maxAccumulationDepth / 4 * 4
        #expect(verifyError(Self.packedGemm(k: atLimit)) == nil)
        let e = verifyError(Self.packedGemm(k: atLimit + 4))
        #expect(isExactly(e, ModelError(.accumulatorBound, .operators, index: 0, value: atLimit + 4,
                                        limit: maxAccumulationDepth, field: "depth")), "\(String(describing: e))")
    }

    @Test func packedGemmScalarOperands() {
        // Without the rank rule a scalar's last dim (read as 1) fails the depth check instead.
        #expect(verifyError(Self.packedGemm(k: 4)) == nil)
        var e = verifyError(Self.packedGemm(inputRank: 0))
        #expect(isExactly(e, ModelError(.wrongRank, .operators, index: 0, value: 0, limit: 1, field: "input")), "\(String(describing: e))")
        e = verifyError(Self.packedGemm(outputRank: 0))
        #expect(isExactly(e, ModelError(.wrongRank, .operators, index: 0, value: 0, limit: 1, field: "output")), "\(String(describing: e))")
    }

    @Test func packedGemmGroupRecord() {
        func expect(_ e: ModelError?, _ expected: ModelError) { #expect(isExactly(e, expected), "\(String(describing: e))") }
        // #122: a weight of −128 (weight byte 5 of the group).
        expect(verifyError(Self.packedGemm { g, w, _ in g[w + 5] = 0x80 }),
               ModelError(.weightOutOfRange, .operators, index: 0, value: 5, field: "packed weights"))
        // #123: bias Int32.min (its magnitude does not fit) and one past the bound 2^30 + K·128·127.
        let bound = Int(maxBiasMagnitude) + 4 * 128 * 127
        expect(verifyError(Self.packedGemm { g, _, _ in Self.store(Int32.min, &g, at: 4) }),
               ModelError(.biasOutOfRange, .operators, index: 0, value: Int(Int32.min), limit: bound, field: "packed bias"))
        expect(verifyError(Self.packedGemm { g, _, _ in Self.store(Int32(bound + 1), &g, at: 0) }),
               ModelError(.biasOutOfRange, .operators, index: 0, value: bound + 1, limit: bound, field: "packed bias"))
        #expect(verifyError(Self.packedGemm { g, _, _ in Self.store(Int32(-bound), &g, at: 0) }) == nil)
        // #124: a left shift of 31 on lane 1.
        expect(verifyError(Self.packedGemm { g, _, c in Self.store(31, &g, at: c + (16 + 1) * 4) }),
               ModelError(.badShift, .operators, index: 0, value: 31, limit: 30, field: "packed left shift"))
        // #125: a right shift of −32, and a left and right shift together.
        expect(verifyError(Self.packedGemm { g, _, c in Self.store(-32, &g, at: c + 32 * 4) }),
               ModelError(.badShift, .operators, index: 0, value: -32, limit: -31, field: "packed right shift"))
        expect(verifyError(Self.packedGemm { g, _, c in Self.store(1, &g, at: c + 16 * 4); Self.store(-1, &g, at: c + 32 * 4) }),
               ModelError(.badShift, .operators, index: 0, value: -1, limit: -31, field: "packed right shift"))
        #expect(verifyError(Self.packedGemm { g, _, c in Self.store(30, &g, at: c + 16 * 4) }) == nil)
    }

    /// One packed group of `tile` for depth `k`: zero biases, weights 1, multipliers 2^30, no shifts.
    static func packedGroup(_ tile: Qs8GemmTile, k: Int) -> [UInt8] {
        var group = [UInt8](repeating: 0, count: tile.groupBytes(k: k))
        let constantsAt = tile.nr * 4 + tile.paddedK(k) * tile.nr
        for i in (tile.nr * 4)..<constantsAt { group[i] = 1 }
        for lane in 0..<tile.nr { store(1 << 30, &group, at: constantsAt + lane * 4) }
        return group
    }

    /// #112: PackedDepthwise3x3 over 2 channels: a 3×3 input gives one output cell; a 1-row input
    /// (no padding) is smaller than the filter.
    @Test func packedDepthwiseInputSmallerThanTheFilter() {
        func model(rows: Int32) -> [UInt8] {
            var m = OneOpModel()
            let x = m.input([1, rows, 3, 2]), y = m.output([1, 1, 1, 2])
            let packed = m.constant(.int8, [Int32(Qs8Dwconv3x3Layout.groupBytes)],
                                    Self.packedGroup(Qs8GemmTile(mr: 1, nr: 16, kr: 1), k: 9))
            let r = PackedDepthwise3x3ParamRecord(stride: 1, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0, activation: Self.clamp)
            return m.bytes(.packedDepthwise3x3, inputs: [x, packed], outputs: [y], params: r.words)
        }
        #expect(verifyError(model(rows: 3)) == nil)
        let e = verifyError(model(rows: 1))
        #expect(isExactly(e, ModelError(.shapeMismatch, .operators, index: 0, value: 1, limit: 3, field: "input smaller than filter")),
                "\(String(describing: e))")
    }

    /// #113–#118: PackedConvIm2col, 3×3 filter over [1, rows, 3, c] to 2 channels (or n), layout 16×4,
    /// its im2col scratch (output 1) alive only while it runs; `adjust` breaks one thing.
    /// With `outputIsScratch` the output (alive only during the operator) is given as both operands.
    /// With `outputAliasesScratch` the output has as many channels as the scratch has bytes and
    /// is declared an alias of it (valid as a tensor record: same bytes, quantization, lifetime).
    static func packedIm2col(rows: Int32 = 3, channels: Int = 2, scratchShort: Int = 0, outputIsScratch: Bool = false,
                             outputAliasesScratch: Bool = false,
                             adjust: (inout ModelWriter, _ scratch: Int32) -> Void = { _, _ in }) -> [UInt8] {
        let tile = Qs8GemmTile(mr: 1, nr: 16, kr: 4), k = 9 * channels
        let config = Qs8GemmConfig.select(for: .thisBuild, packedNR: 16, kr: 4)
        let needed = qs8ConvIm2colScratchBytes(config, kernelH: 3, kernelW: 3, inputChannels: channels)
        let n = outputAliasesScratch ? needed : 2
        var m = OneOpModel()
        let x = m.input([1, rows, 3, Int32(channels)]), y = m.output([1, 1, 1, Int32(n)])
        let scratch = outputIsScratch ? y : m.output([Int32(needed - scratchShort)])
        m.w.tensors[Int(scratch)].liveTo = 0
        if outputAliasesScratch {
            m.w.tensors[Int(y)].storageCode = Storage.alias.rawValue
            m.w.tensors[Int(y)].location = UInt32(scratch)
            m.w.tensors[Int(y)].liveTo = 0
        }
        let packed = m.constant(.int8, [Int32(tile.packedBytes(n: n, k: k))],
                                (0..<tile.groups(n: n)).flatMap { _ in Self.packedGroup(tile, k: k) })
        let conv = ConvParamRecord(strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padTop: 0, padLeft: 0,
                                   padBottom: 0, padRight: 0, activation: clamp)
        let r = PackedConvIm2colParamRecord(conv: conv, layout: .nr16kr4, kernelH: 3, kernelW: 3)
        adjust(&m.w, scratch)
        return m.bytes(.packedConvIm2col, inputs: [x, packed], outputs: [y, scratch], params: r.words)
    }

    @Test func packedIm2colRules() {
        func expect(_ e: ModelError?, _ expected: ModelError) { #expect(isExactly(e, expected), "\(String(describing: e))") }
        #expect(verifyError(Self.packedIm2col()) == nil)
        // #113: 2 input rows under a 3-row filter, no padding.
        expect(verifyError(Self.packedIm2col(rows: 2)),
               ModelError(.shapeMismatch, .operators, index: 0, value: 2, limit: 3, field: "input smaller than filter"))
        // #114: depth 3·3·c past the accumulator proof (c = 3,684 gives 33,156), the deepest allowed verifies.
        let c = maxAccumulationDepth / 9
        #expect(verifyError(Self.packedIm2col(channels: c)) == nil)
        expect(verifyError(Self.packedIm2col(channels: c + 1)),
               ModelError(.accumulatorBound, .operators, index: 0, value: 9 * (c + 1), limit: maxAccumulationDepth, field: "depth"))
        // #115: the scratch kept alive after its operator (index 2: x, y, scratch).
        expect(verifyError(Self.packedIm2col { w, s in w.tensors[Int(s)].liveTo = 1 }),
               ModelError(.badLifetime, .operators, index: 0, value: 2, limit: 0,
                          field: "im2col scratch (arena, alive only during its operator)"))
        // #117: the output (tensor 1) given as its own scratch.
        expect(verifyError(Self.packedIm2col(outputIsScratch: true)),
               ModelError(.arenaOverlap, .operators, index: 0, value: 1, field: "im2col scratch"))
        // #116: the output an alias of the scratch (tensor 2).
        expect(verifyError(Self.packedIm2col(outputAliasesScratch: true)),
               ModelError(.arenaOverlap, .operators, index: 0, value: 2, field: "im2col scratch"))
        // #118: a scratch one byte smaller than this build's microkernel needs.
        let config = Qs8GemmConfig.select(for: .thisBuild, packedNR: 16, kr: 4)
        let needed = qs8ConvIm2colScratchBytes(config, kernelH: 3, kernelW: 3, inputChannels: 2)
        expect(verifyError(Self.packedIm2col(scratchShort: 1)),
               ModelError(.shapeMismatch, .operators, index: 0, value: needed - 1, limit: needed, field: "im2col scratch size"))
    }

    /// #100: BatchMatMul [1, 1, 2, k] × [1, 1, k, 2] past the depth its int32 sums are proved for.
    @Test func batchMatMulDepthBound() {
        func model(depth: Int) -> [UInt8] {
            var m = OneOpModel()
            let a = m.input([1, 1, 2, Int32(depth)]), b = m.input([1, 1, Int32(depth), 2]), y = m.output([1, 1, 2, 2])
            let r = BatchMatMulParamRecord(output: Self.unit, activation: Self.clamp, leftAxes: .rowMajor,
                                           rightAxes: .rowMajor, outputAxes: .rowMajor)
            return m.bytes(.batchMatMul, inputs: [a, b], outputs: [y], params: r.words)
        }
        #expect(verifyError(model(depth: maxMatMulDepth)) == nil)
        let e = verifyError(model(depth: maxMatMulDepth + 1))
        #expect(isExactly(e, ModelError(.accumulatorBound, .operators, index: 0, value: maxMatMulDepth + 1,
                                        limit: maxMatMulDepth, field: "depth")), "\(String(describing: e))")
    }

    /// #129: a max-pool window of 2,897² cells (the input as large, records only) passes the
    /// 2^23 its int32 window sum is exact for; 2,896² verifies.
    @Test func poolWindowBound() {
        func model(side: Int32) -> [UInt8] {
            var m = OneOpModel()
            let x = m.input([1, side, side, 1]), y = m.output([1, 1, 1, 1])
            let p = PoolParamRecord(strideH: 1, strideW: 1, filterH: side, filterW: side, padTop: 0, padLeft: 0,
                                    padBottom: 0, padRight: 0, activation: Self.clamp, countIncludePad: false)
            return m.bytes(.maxPool, inputs: [x], outputs: [y], params: p.words)
        }
        #expect(verifyError(model(side: 2896)) == nil)
        let e = verifyError(model(side: 2897))
        #expect(isExactly(e, ModelError(.accumulatorBound, .operators, index: 0, value: 2897 * 2897, limit: 1 << 23,
                                        field: "window")), "\(String(describing: e))")
    }

    /// #130, #131: Reshape's output is an alias of its input (here a graph input alive to the end).
    @Test func reshapeOperands() {
        func model(input: Int32? = nil, alias: Bool = true) -> [UInt8] {
            var m = OneOpModel()
            let x = m.input([1, 4]), y = m.output([4])
            m.w.tensors[Int(x)].liveTo = 1
            if alias {
                m.w.tensors[Int(y)].storageCode = Storage.alias.rawValue
                m.w.tensors[Int(y)].location = UInt32(x)
            }
            return m.bytes(.reshape, inputs: [input ?? x], outputs: [y], params: [])
        }
        #expect(verifyError(model()) == nil)
        // #130: the input given as "absent" (-1), which the operand walk lets through for optional inputs.
        var e = verifyError(model(input: -1))
        #expect(isExactly(e, ModelError(.tensorIndexOutOfRange, .operators, index: 0, value: -1, field: "input")),
                "\(String(describing: e))")
        // #131: an output with bytes of its own.
        e = verifyError(model(alias: false))
        #expect(isExactly(e, ModelError(.badStorage, .operators, index: 0, value: Int(Storage.arena.rawValue),
                                        field: "output must alias the input")), "\(String(describing: e))")
    }

    /// #138, #139: Softmax over the last dim up to 65,536 values; LogSoftmax's fixed output scale.
    @Test func softmaxRules() {
        func model(depth: Int32, log: Bool = false, outputScale: Float? = nil) -> [UInt8] {
            var m = OneOpModel()
            let x = m.input([1, depth])
            let y = log ? m.output([1, depth], scale: outputScale ?? logSoftmaxOutputScale, zeroPoint: logSoftmaxOutputZeroPoint)
                        : m.output([1, depth], scale: 1.0 / 256, zeroPoint: -128)
            return m.bytes(log ? .logSoftmax : .softmax, inputs: [x], outputs: [y],
                           params: SoftmaxParamRecord(input: Self.unit, diffMin: -1).words)
        }
        #expect(verifyError(model(depth: Int32(softmaxMaxDepth))) == nil)
        var e = verifyError(model(depth: Int32(softmaxMaxDepth) + 1))
        #expect(isExactly(e, ModelError(.accumulatorBound, .operators, index: 0, value: softmaxMaxDepth + 1,
                                        limit: softmaxMaxDepth, field: "depth")), "\(String(describing: e))")
        #expect(verifyError(model(depth: 10, log: true)) == nil)
        e = verifyError(model(depth: 10, log: true, outputScale: 1.0 / 8))
        #expect(isExactly(e, ModelError(.badQuantization, .operators, index: 0, value: Int((Float(1) / 8).bitPattern),
                                        field: "output scale")), "\(String(describing: e))")
    }

    /// #135, #136: Slice of [1, 1, 1, 8] to 4 values from `begin` in steps of 1; Slice copies codes,
    /// so the output keeps the input's scale.
    @Test func sliceRules() {
        func model(begin: Int32, outputScale: Float = 1.0 / 64) -> [UInt8] {
            var m = OneOpModel()
            let x = m.input([1, 1, 1, 8]), y = m.output([1, 1, 1, 4], scale: outputScale)
            return m.bytes(.slice, inputs: [x], outputs: [y],
                           params: SliceParamRecord(begin: (0, 0, 0, begin), step: (1, 1, 1, 1)).words)
        }
        #expect(verifyError(model(begin: 4)) == nil)
        var e = verifyError(model(begin: 5))   // last index 8 of 8
        #expect(isExactly(e, ModelError(.shapeMismatch, .operators, index: 0, value: 8, limit: 8,
                                        field: "slice index outside the input")), "\(String(describing: e))")
        e = verifyError(model(begin: 0, outputScale: 1.0 / 32))
        #expect(isExactly(e, ModelError(.shapeMismatch, .operators, index: 0, field: "scale differs from the input's")),
                "\(String(describing: e))")
    }

    /// #137: Gather along C of [1, 1, 1, 8] at indices 0, 7 and `last`.
    @Test func gatherIndexOutsideTheInput() {
        func model(last: Int32) -> [UInt8] {
            var m = OneOpModel()
            let x = m.input([1, 1, 1, 8]), y = m.output([1, 1, 1, 3])
            let indices = m.int32s([0, 7, last])
            return m.bytes(.gather, inputs: [x, indices], outputs: [y], params: GatherParamRecord(axis: 3).words)
        }
        #expect(verifyError(model(last: 2)) == nil)
        let e = verifyError(model(last: 8))
        #expect(isExactly(e, ModelError(.tapOutOfRange, .operators, index: 0, value: 8, limit: 8, field: "gather index")),
                "\(String(describing: e))")
    }

    /// #132–#134: bilinear Resize [1, 2, 2, 1] → [1, 4, 4, 1] with taps (index, index, weight) per
    /// output row then column; `patch` edits the taps.
    @Test func resizeRules() {
        func model(outputScale: Float = 1.0 / 64, patch: (inout [Int32]) -> Void = { _ in }) -> [UInt8] {
            var m = OneOpModel()
            let x = m.input([1, 2, 2, 1]), y = m.output([1, 4, 4, 1], scale: outputScale)
            var taps = [Int32]()
            for _ in 0..<2 { for k in 0..<4 { taps += [0, 1, Int32(k * 256)] } }
            patch(&taps)
            let t = m.int32s(taps)
            return m.bytes(.resize, inputs: [x, t], outputs: [y], params: ResizeParamRecord(bilinear: true).words)
        }
        #expect(verifyError(model()) == nil)
        #expect(verifyError(model { $0[2] = 1024 }) == nil)
        var e = verifyError(model(outputScale: 1.0 / 32))
        #expect(isExactly(e, ModelError(.shapeMismatch, .operators, index: 0, field: "scale differs from the input's")),
                "\(String(describing: e))")
        e = verifyError(model { $0[3 * 5 + 1] = 2 })   // second index of column 1: the input is 2 wide
        #expect(isExactly(e, ModelError(.tapOutOfRange, .operators, index: 0, value: 2, limit: 2, field: "taps index")),
                "\(String(describing: e))")
        e = verifyError(model { $0[3 * 2 + 2] = 1025 })
        #expect(isExactly(e, ModelError(.tapOutOfRange, .operators, index: 0, value: 1025, limit: 1024, field: "taps weight")),
                "\(String(describing: e))")
    }

    @Test func layerNormDepthBound() {
        #expect(verifyError(Self.layerNorm(depth: maxLayerNormDepth)) == nil)
        let e = verifyError(Self.layerNorm(depth: maxLayerNormDepth + 1))
        #expect(isExactly(e, ModelError(.accumulatorBound, .operators, index: 0, value: maxLayerNormDepth + 1,
                                        limit: maxLayerNormDepth, field: "depth")), "\(String(describing: e))")
    }

    /// #160: ε·C² (two words) at most 2^60: a high word of 2^28 passes the word's own range
    /// check (#159), and with a low word above 0 the term passes 2^60.
    @Test func layerNormEpsilonTermBound() {
        #expect(verifyError(Self.layerNorm(depth: 4, epsilonTerm: 1 << 60)) == nil)
        let e = verifyError(Self.layerNorm(depth: 4, epsilonTerm: (1 << 60) + 1))
        #expect(isExactly(e, ModelError(.badParameter, .operators, index: 0, value: 1 << 28, limit: 1 << 28,
                                        field: "epsilonTermHigh")), "\(String(describing: e))")
    }

    @Test func layerNormConstants() {
        #expect(verifyError(Self.layerNorm(depth: 4)) == nil)
        #expect(verifyError(Self.layerNorm(depth: 4, multiplier: -(1 << 30), bias: -layerNormBiasBound)) == nil)
        var e = verifyError(Self.layerNorm(depth: 4, multipliers: 3))
        #expect(isExactly(e, ModelError(.notPerChannelLength, .operators, index: 0, value: 3, limit: 4, field: "multipliers")),
                "\(String(describing: e))")
        e = verifyError(Self.layerNorm(depth: 4, multiplier: Int32.min))
        #expect(isExactly(e, ModelError(.badMultiplier, .operators, index: 0, value: Int(Int32.min), limit: 1 << 30,
                                        field: "multipliers")), "\(String(describing: e))")
        e = verifyError(Self.layerNorm(depth: 4, bias: layerNormBiasBound + 1))
        #expect(isExactly(e, ModelError(.biasOutOfRange, .operators, index: 0, value: Int(layerNormBiasBound) + 1,
                                        limit: Int(layerNormBiasBound), field: "bias")), "\(String(describing: e))")
    }
}

/// Rules of the sparse-matrix check (`Verifier+Sparse.swift`) and of the exit criteria's tables
/// (`Verifier+Exits.swift`) that only stage 2's converter suites reached, and none exactly.
@Suite struct VerifierTableRuleTests {
    /// #36, #37, #40, #42: a SparseFullyConnected [1, 8] → [1, 4] whose 1×4-block matrix is
    /// `padding` bytes into the sparse section, its header patched by `patch`.
    /// `everyBlock`: both 1×4 blocks of every row stored (counts 2, 2, 2, 2: header 16 bytes, counts
    /// at 16, 8 one-byte column deltas at 24, 8 × 4 values at 32; 64 bytes); otherwise only the
    /// first (counts 1, 1, 1, 1, deltas at 24, values at 28; 44 bytes). `extraSize` is added to the
    /// size the parameter record declares.
    static func sparseFC(padding: Int = 0, inputRank: Int = 2, outputRank: Int = 2, everyBlock: Bool = true,
                         extraSize: Int32 = 0, patch: (inout [UInt8]) -> Void = { _ in }) -> [UInt8] {
        var m = OneOpModel()
        let x = m.input(inputRank == 0 ? [] : [1, 8]), y = m.output(outputRank == 0 ? [] : [1, 4], scale: 1.0 / 16)
        let bias = m.int32s([0, 0, 0, 0]), mults = m.int32s(Array(repeating: 1 << 30, count: 4))
        let shifts = m.int32s([0, 0, 0, 0])
        let weights = (0..<32).map { $0 % (everyBlock ? 4 : 8) == 0 ? Int8(1) : 0 }
        var matrix = SparseMatrixCodec.encode(weights, rows: 4, cols: 8, blockRows: 1, blockCols: 4)
        patch(&matrix)
        m.w.sparse = Array(repeating: 0, count: padding) + matrix
        let record = SparseFullyConnectedParamRecord(
            activation: ActivationClamp(min: -128, max: 127),
            matrix: SparseMatrixLocation(offset: Int32(padding), size: Int32(matrix.count) + extraSize))
        return m.bytes(.sparseFullyConnected, inputs: [x, bias, mults, shifts], outputs: [y], params: record.words)
    }

    @Test func sparseMatrixRules() {
        #expect(verifyError(Self.sparseFC()) == nil)
        #expect(verifyError(Self.sparseFC(padding: 16)) == nil)
        func expect(_ e: ModelError?, _ expected: ModelError) {
            #expect(isExactly(e, expected), "\(String(describing: e))")
        }
        // #36: the matrix 8 bytes into the section (its fields would be read unaligned).
        expect(verifyError(Self.sparseFC(padding: 8)),
               ModelError(.sparseMisaligned, .operators, index: 0, value: 8, limit: 16, field: "matrixOffset"))
        // #37: block rows of 3 (not a power of two up to 16).
        expect(verifyError(Self.sparseFC { $0[SparseMatrixField.blockRows] = 3 }),
               ModelError(.badBlockShape, .operators, index: 0, value: 3, limit: 16, field: "blockRows"))
        // #40: the header claims 12 columns for an input of depth 8.
        expect(verifyError(Self.sparseFC { $0[SparseMatrixField.cols] = 12 }),
               ModelError(.shapeMismatch, .operators, index: 0, value: 12, limit: 8, field: "sparse cols"))
        // #42: 16-wide blocks (a valid edge) across 8 columns.
        expect(verifyError(Self.sparseFC { $0[SparseMatrixField.blockCols] = 16 }),
               ModelError(.badBlockShape, .operators, index: 0, value: 8, limit: 16, field: "cols not a multiple of blockCols"))
        // #35: a declared size 16 bytes past the end of the 64-byte section.
        expect(verifyError(Self.sparseFC(extraSize: 16)),
               ModelError(.sparseOutOfBounds, .operators, index: 0, value: 0, limit: 64, field: "matrixOffset"))
        // #38: blocks 3 columns wide.
        expect(verifyError(Self.sparseFC { $0[SparseMatrixField.blockCols] = 3 }),
               ModelError(.badBlockShape, .operators, index: 0, value: 3, limit: 16, field: "blockCols"))
        // #39: the header claims 5 rows for an output of 4.
        expect(verifyError(Self.sparseFC { $0[SparseMatrixField.rows] = 5 }),
               ModelError(.shapeMismatch, .operators, index: 0, value: 5, limit: 4, field: "sparse rows"))
        // #41: 8-row blocks (a valid edge) over 4 rows.
        expect(verifyError(Self.sparseFC { $0[SparseMatrixField.blockRows] = 8 }),
               ModelError(.badBlockShape, .operators, index: 0, value: 4, limit: 8, field: "rows not a multiple of blockRows"))
        // #44: 3-byte column indices.
        expect(verifyError(Self.sparseFC { $0[SparseMatrixField.indexWidth] = 3 }),
               ModelError(.badIndexWidth, .operators, index: 0, value: 3, limit: 2, field: "indexWidth"))
        // #45: 1,000 blocks claimed in a 64-byte matrix.
        expect(verifyError(Self.sparseFC { Self.storeUInt32(1000, at: SparseMatrixField.blockCount, in: &$0) }),
               ModelError(.sparseSizeMismatch, .operators, index: 0, value: 1000, limit: 64, field: "blockCount"))
        // #46: 7 blocks claimed instead of 8: the layout implies 16 + 8 + 7 + 7 × 4 = 59 bytes, not 64.
        expect(verifyError(Self.sparseFC { Self.storeUInt32(7, at: SparseMatrixField.blockCount, in: &$0) }),
               ModelError(.sparseSizeMismatch, .operators, index: 0, value: 64, limit: 59, field: "matrixSize"))
        // #47: 3 blocks in the first block row, which has 2 block columns.
        expect(verifyError(Self.sparseFC { $0[16] = 3 }),
               ModelError(.sparseCountMismatch, .operators, index: 0, value: 3, limit: 2, field: "block-row count"))
        // #48: one block per row; the last row's count raised to 2 makes 5 blocks of the 4 stored.
        expect(verifyError(Self.sparseFC(everyBlock: false) { $0[22] = 2 }),
               ModelError(.sparseCountMismatch, .operators, index: 0, value: 5, limit: 4, field: "counts exceed blockCount"))
        // #49: the first column delta 2 puts the block at column 2 of 2.
        expect(verifyError(Self.sparseFC { $0[24] = 2 }),
               ModelError(.sparseIndexOutOfRange, .operators, index: 0, value: 2, limit: 2, field: "block column"))
        // #50: the last row's count lowered to 0: the counts add up to 3 of the 4 stored blocks.
        expect(verifyError(Self.sparseFC(everyBlock: false) { $0[22] = 0 }),
               ModelError(.sparseCountMismatch, .operators, index: 0, value: 3, limit: 4, field: "sum of counts"))
        // #51: value 5 (second block, second column) set to −128.
        expect(verifyError(Self.sparseFC { $0[32 + 5] = 0x80 }),
               ModelError(.weightOutOfRange, .operators, index: 0, value: 5, field: "sparse values"))
    }

    static func storeUInt32(_ v: UInt32, at offset: Int, in bytes: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { for i in 0..<4 { bytes[offset + i] = $0[i] } }
    }

    /// #140, #141: a rank-0 input or output (without the rule its last dim, read as 1, fails the
    /// matrix's shape check instead).
    @Test func sparseFCScalarOperands() {
        var e = verifyError(Self.sparseFC(inputRank: 0))
        #expect(isExactly(e, ModelError(.wrongRank, .operators, index: 0, value: 0, limit: 1, field: "input")), "\(String(describing: e))")
        e = verifyError(Self.sparseFC(outputRank: 0))
        #expect(isExactly(e, ModelError(.wrongRank, .operators, index: 0, value: 0, limit: 1, field: "output")), "\(String(describing: e))")
    }

    /// TinyConvNet with an early exit after the Mean (op 2) on its 3 int8 values t3, made a second
    /// graph output, and the final exit after op 4; `adjust` breaks one thing.
    static func exitModel(_ adjust: (inout ModelWriter, _ table: Int) -> Void = { _, _ in }) -> [UInt8] {
        TinyConvNet(seed: 11).bytes { w in
            // The criterion's tables for the logits' scale s (Docs/early-exit.md), computed in
            // Double: E[d] = 2^16·e^(−s·d), G[d] = 2^16·e^(−s·d)·s·d.
            let s = Double(TinyConvNet.meanScale)
            let e = (0..<256).map { d in Int32((65536 * exp(-s * Double(d))).rounded()) }
            let g = (0..<256).map { d in Int32((65536 * exp(-s * Double(d)) * s * Double(d)).rounded()) }
            let data = (e + g).flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }
            w.tensors.append(TensorRecord(dtype: .int32, dims: (2, 256, 1, 1), rank: 2, storage: .constant,
                                          location: w.addConstant(data), byteSize: UInt32(data.count)))
            let table = w.tensors.count - 1
            w.tensors[3].liveTo = 5
            w.outputs = [5, 3]
            w.exits = [ExitRecord(tensor: 3, afterOp: 2, criterion: .maxProbability, threshold: 60000, macsToHere: 0,
                                  outputIndex: 1, table: UInt32(table)),
                       ExitRecord(tensor: 4, afterOp: 4, criterion: .final, threshold: 0, macsToHere: 0, outputIndex: 0)]
            adjust(&w, table)
        }
    }

    @Test func exitTableRules() {
        #expect(verifyError(Self.exitModel()) == nil)
        func expect(_ e: ModelError?, _ expected: ModelError) {
            #expect(isExactly(e, expected), "\(String(describing: e))")
        }
        // #0: the exit reads t1 (the quantized input), overwritten after op 1, after op 2.
        expect(verifyError(Self.exitModel { w, _ in w.exits[0].tensor = 1 }),
               ModelError(.badExitTensor, .exits, index: 0, value: 1, limit: 2, field: "logits dead before the exit test"))
        // #1: one logit: an extra 1-byte graph input t15 alive to the end, past the other tensors.
        expect(verifyError(Self.exitModel { w, _ in
            w.arenaSize = 288
            w.tensors.append(TensorRecord(dtype: .int8, dims: (1, 1, 1, 1), rank: 1, storage: .arena, location: 272,
                                          byteSize: 1, quant: .perTensor, zeroPoint: 0, scale: 1, liveFrom: -1, liveTo: 5))
            w.inputs.append(15)
            w.exits[0].tensor = 15
        }), ModelError(.badExitTensor, .exits, index: 0, value: 1, limit: ExitCriteria.maxClasses, field: "class count"))
        // #2: a table index past the tensor table.
        expect(verifyError(Self.exitModel { w, _ in w.exits[0].table = 99 }),
               ModelError(.badExitTable, .exits, index: 0, value: 99, limit: 15, field: "table"))
        // #3: the conv's int32 bias t7 (3 entries) as the table.
        expect(verifyError(Self.exitModel { w, _ in w.exits[0].table = 7 }),
               ModelError(.badExitTable, .exits, index: 0, value: 7, field: "table tensor"))
        // #5: G[0] (the entropy term at d = 0) must be 0.
        expect(verifyError(Self.exitModel { w, table in
            let at = Int(w.tensors[table].location) + 256 * 4
            withUnsafeBytes(of: Int32(5).littleEndian) { for i in 0..<4 { w.constants[at + i] = $0[i] } }
        }), ModelError(.badExitTable, .exits, index: 0, value: 5, field: "G[0]"))
        // #4, #6, #7: E[0] must be 2^16, E non-increasing and non-negative, G in [0, maxEntropyTerm].
        func table(_ entry: Int, _ value: Int32) -> [UInt8] {
            Self.exitModel { w, table in
                let at = Int(w.tensors[table].location) + entry * 4
                withUnsafeBytes(of: value.littleEndian) { for i in 0..<4 { w.constants[at + i] = $0[i] } }
            }
        }
        expect(verifyError(table(0, 65535)), ModelError(.badExitTable, .exits, index: 0, value: 65535, limit: 65536, field: "E[0]"))
        expect(verifyError(table(1, -1)),
               ModelError(.badExitTable, .exits, index: 0, value: -1, limit: 65536, field: "E not non-increasing"))
        expect(verifyError(table(256 + 1, -1)),
               ModelError(.badExitTable, .exits, index: 0, value: -1, limit: Int(ExitCriteria.maxEntropyTerm), field: "G"))
        // #8: a max-probability threshold above 2^16 + 1 ("never exit").
        expect(verifyError(Self.exitModel { w, _ in w.exits[0].threshold = 65538 }),
               ModelError(.badExitThreshold, .exits, index: 0, value: 65538, limit: 65537, field: "threshold"))
    }

    /// #93–#98: the exit records' own rules (order, tensor, graph output, last exit final).
    @Test func exitRecordRules() {
        func expect(_ e: ModelError?, _ expected: ModelError) {
            #expect(isExactly(e, expected), "\(String(describing: e))")
        }
        // #93: an exit after operator 99 of 5.
        expect(verifyError(Self.exitModel { w, _ in w.exits[0].afterOp = 99 }),
               ModelError(.badExitOrder, .exits, index: 0, value: 99, limit: 5))
        // #94: logits tensor 99 of 15.
        expect(verifyError(Self.exitModel { w, _ in w.exits[0].tensor = 99 }),
               ModelError(.badExitTensor, .exits, index: 0, value: 99, limit: 15))
        // #95: the conv's int32 bias t7 (a constant) as the logits.
        expect(verifyError(Self.exitModel { w, _ in w.exits[0].tensor = 7 }),
               ModelError(.badExitTensor, .exits, index: 0, value: 7))
        // #96: graph output 5 of 2.
        expect(verifyError(Self.exitModel { w, _ in w.exits[0].outputIndex = 5 }),
               ModelError(.badExitOutput, .exits, index: 0, value: 5, limit: 2))
        // #97: graph output 0 (t5, written by op 4) for the exit after op 2.
        expect(verifyError(Self.exitModel { w, _ in w.exits[0].outputIndex = 0 }),
               ModelError(.badExitOutput, .exits, index: 0, value: 0, field: "output written after the exit"))
        // #98: without the final exit, the last exit is the confidence test after op 2.
        expect(verifyError(Self.exitModel { w, _ in w.exits.removeLast() }),
               ModelError(.badExitOrder, .exits, index: 0, value: 2, limit: 4, field: "last exit must be final at the last operator"))
    }
}
