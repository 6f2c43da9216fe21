import SparrowFormat
import SparrowKernels

// Dispatch of the block-sparse operators: operands as verified, the matrix in place in the
// sparse section.

extension Interpreter {
    func runSparse(_ o: OperatorRecord, _ opcode: OpCode, _ x: TensorRecord, _ y: TensorRecord) {
        let m = model
        let biasIndex = m.input(o, 1)
        let isConv = opcode == .sparseConv1x1
        let minWord = isConv ? SparseConv1x1Param.activationMin : SparseFullyConnectedParam.activationMin
        let offsetWord = isConv ? SparseConv1x1Param.matrixOffset : SparseFullyConnectedParam.matrixOffset
        let q = SparseRequant(bias: biasIndex >= 0 ? s32(m.tensor(biasIndex)) : nil,
                              multipliers: s32(m.tensor(m.input(o, 2))), shifts: s32(m.tensor(m.input(o, 3))),
                              inputZeroPoint: x.zeroPoint, outputZeroPoint: y.zeroPoint,
                              activationMin: m.param(o, minWord), activationMax: m.param(o, minWord + 1))
        let matrix = m.sparseMatrix(at: Int(m.param(o, offsetWord)))
        if isConv {
            sparseConv1x1S8(q, strideH: Int(m.param(o, SparseConv1x1Param.strideH)),
                            strideW: Int(m.param(o, SparseConv1x1Param.strideW)), input: s8(x), inputShape: shape4Of(x),
                            weights: matrix, output: outS8(y), outputShape: shape4Of(y))
        } else {
            sparseFullyConnectedS8(q, input: s8(x), batches: Int(x.byteSize) / matrix.cols, weights: matrix, output: outS8(y))
        }
    }
}
