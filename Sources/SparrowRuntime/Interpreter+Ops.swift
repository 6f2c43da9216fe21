import SparrowFormat
import SparrowKernels

// Operator dispatch: one line per opcode; each family's `run` (in Ops/<Family>.swift) reads its
// verified operands and parameter record and calls its kernel. No checks here — the verifier
// has made them all.

extension Interpreter {
    func run(_ o: OperatorRecord, _ opcode: OpCode) {
        switch opcode {
        case .conv2D: runConvolution(o, depthwise: false)
        case .depthwiseConv2D: runConvolution(o, depthwise: true)
        case .fullyConnected: runFullyConnected(o)
        case .add: runAdd(o, subtract: false)
        case .sub: runAdd(o, subtract: true)
        case .mul: runMul(o)
        case .maxPool: runPool(o, max: true)
        case .averagePool: runPool(o, max: false)
        case .mean: runMean(o)
        case .softmax: runSoftmax(o)
        case .logSoftmax: runSoftmax(o, logarithm: true)
        case .concat: runConcat(o)
        case .pad: runPad(o)
        case .reshape: break  // The output aliases the input's bytes.
        case .quantize: runQuantize(o)
        case .dequantize: runDequantize(o)
        case .lookup: runLookup(o)
        case .transpose: runTranspose(o)
        case .requantize: runRequantize(o)
        case .sparseFullyConnected: runSparseFullyConnected(o)
        case .sparseConv1x1: runSparseConv1x1(o)
        case .prelu: runPRelu(o)
        case .resize: runResize(o)
        case .transposeConv2D: runTransposeConvolution(o, depthwise: false)
        case .depthwiseTransposeConv2D: runTransposeConvolution(o, depthwise: true)
        case .slice: runSlice(o)
        case .gather: runGather(o)
        case .argMax: runArgMax(o)
        case .layerNorm: runLayerNorm(o)
        case .batchMatMul: runBatchMatMul(o)
        case .maximum: runMaxMin(o, maximum: true)
        case .minimum: runMaxMin(o, maximum: false)
        case .maxPoolArgmax: runMaxPoolArgmax(o)
        case .maxUnpool: runMaxUnpool(o)
        case .packedGemm: runPackedGemm(o)
        case .packedDepthwise3x3: runPackedDepthwise3x3(o)
        case .packedConvIm2col: runPackedConvIm2col(o)
        }
    }

    /// The record of input `k` of `o` (present: optional inputs are read through `model.input`).
    @inline(__always)
    func operand(_ o: OperatorRecord, _ k: Int) -> TensorRecord { model.tensor(model.input(o, k)) }
    /// The record of the (single) output of `o`.
    @inline(__always)
    func result(_ o: OperatorRecord) -> TensorRecord { model.tensor(model.output(o, 0)) }

    @inline(__always)
    func s8(_ t: TensorRecord) -> UnsafePointer<Int8> { address(t).assumingMemoryBound(to: Int8.self) }
    @inline(__always)
    func s32(_ t: TensorRecord) -> UnsafePointer<Int32> { address(t).assumingMemoryBound(to: Int32.self) }
    @inline(__always)
    func outS8(_ t: TensorRecord) -> UnsafeMutablePointer<Int8> { arenaAddress(t).assumingMemoryBound(to: Int8.self) }

    /// Whether exit `e`'s confidence test passes on its logits against `threshold`
    /// (ExitCriteria.swift; the verifier has checked the table and class count).
    func exitCriterionHolds(_ e: ExitRecord, threshold: Int32) -> Bool {
        let criterion = ExitCriterion(rawValue: e.criterionRaw)!
        if criterion == .final { return true }
        let t = model.tensor(Int(e.tensor))
        let value = ExitCriteria.value(criterion, logits: s8(t), count: Int(t.byteSize),
                                       table: s32(model.tensor(Int(e.table))))
        return ExitCriteria.passes(criterion, value: value, threshold: threshold)
    }
}
