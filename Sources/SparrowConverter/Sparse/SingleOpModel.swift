// One-operator int8 models (FullyConnected or 1×1 Conv, dense or block-sparse) built directly with
// the format writer: the benchmark times them through the real verifier and interpreter, and the
// tests corrupt their sparse matrices.
import SparrowFormat
import SparrowKernels

public struct SingleOpModel {
    public enum Kind: Sendable { case fullyConnected, conv1x1 }

    public var kind: Kind
    /// Weights [rows = output channels, cols = input depth], row-major, in [−127, 127].
    public var weights: [Int8]
    public var rows: Int
    public var cols: Int
    /// FC: batches; conv: input height and width (stride 1).
    public var batches: Int = 1
    public var height: Int = 1
    public var width: Int = 1
    public var inputZeroPoint: Int32 = -3
    public var outputZeroPoint: Int32 = 5
    public var bias: [Int32]?
    public var multipliers: [Int32]
    public var shifts: [Int32]
    public var activationMin: Int32 = -128
    public var activationMax: Int32 = 127

    public init(kind: Kind, weights: [Int8], rows: Int, cols: Int, bias: [Int32]?, multipliers: [Int32], shifts: [Int32]) {
        self.kind = kind
        self.weights = weights
        self.rows = rows
        self.cols = cols
        self.bias = bias
        self.multipliers = multipliers
        self.shifts = shifts
    }

    public var inputCount: Int { kind == .fullyConnected ? batches * cols : height * width * cols }
    public var outputCount: Int { kind == .fullyConnected ? batches * rows : height * width * rows }

    static func words(_ v: [Int32]) -> [UInt8] { v.flatMap { w in withUnsafeBytes(of: w.littleEndian) { Array($0) } } }

    /// The model file; `sparse` = block shape (R, C) for the sparse operator, nil for the dense one.
    public func bytes(sparse: (Int, Int)?) -> [UInt8] {
        var w = ModelWriter()
        let xShape: (Int32, Int32, Int32, Int32), yShape: (Int32, Int32, Int32, Int32), rank: Int
        switch kind {
        case .fullyConnected:
            xShape = (Int32(batches), Int32(cols), 1, 1); yShape = (Int32(batches), Int32(rows), 1, 1); rank = 2
        case .conv1x1:
            xShape = (1, Int32(height), Int32(width), Int32(cols)); yShape = (1, Int32(height), Int32(width), Int32(rows)); rank = 4
        }
        let xBytes = inputCount, yBytes = outputCount
        let yOffset = (xBytes + 15) / 16 * 16
        w.tensors.append(TensorRecord(dtype: .int8, dims: xShape, rank: rank, storage: .arena, location: 0,
                                      byteSize: UInt32(xBytes), quant: .perTensor, zeroPoint: inputZeroPoint, scale: 0.05,
                                      liveFrom: -1, liveTo: 0))
        w.tensors.append(TensorRecord(dtype: .int8, dims: yShape, rank: rank, storage: .arena, location: UInt32(yOffset),
                                      byteSize: UInt32(yBytes), quant: .perTensor, zeroPoint: outputZeroPoint, scale: 0.1,
                                      liveFrom: 0, liveTo: 1))
        func constant(_ data: [UInt8], _ dims: (Int32, Int32, Int32, Int32), _ rank: Int, _ dtype: DType) -> Int32 {
            let offset = w.addConstant(data)
            w.tensors.append(TensorRecord(dtype: dtype, dims: dims, rank: rank, storage: .constant, location: offset,
                                          byteSize: UInt32(data.count)))
            return Int32(w.tensors.count - 1)
        }
        let biasTensor: Int32 = bias.map { constant(Self.words($0), (Int32(rows), 1, 1, 1), 1, .int32) } ?? -1
        let m = constant(Self.words(multipliers), (Int32(rows), 1, 1, 1), 1, .int32)
        let s = constant(Self.words(shifts), (Int32(rows), 1, 1, 1), 1, .int32)
        let macs = UInt64(outputCount / rows * cols * rows)
        let clamp = ActivationClamp(min: activationMin, max: activationMax)
        if let (R, C) = sparse {
            let matrix = SparseMatrixCodec.encode(weights, rows: rows, cols: cols, blockRows: R, blockCols: C)
            let location = SparseMatrixLocation(offset: Int32(w.addSparseMatrix(matrix)), size: Int32(matrix.count))
            if kind == .fullyConnected {
                w.addOperator(.sparseFullyConnected, inputs: [0, biasTensor, m, s], outputs: [1],
                              params: SparseFullyConnectedParamRecord(activation: clamp, matrix: location), macs: macs)
            } else {
                w.addOperator(.sparseConv1x1, inputs: [0, biasTensor, m, s], outputs: [1],
                              params: SparseConv1x1ParamRecord(strideH: 1, strideW: 1, activation: clamp, matrix: location),
                              macs: macs)
            }
        } else {
            let data = weights.map { UInt8(bitPattern: $0) }
            if kind == .fullyConnected {
                let wt = constant(data, (Int32(rows), Int32(cols), 1, 1), 2, .int8)
                w.addOperator(.fullyConnected, inputs: [0, wt, biasTensor, m, s], outputs: [1],
                              params: FullyConnectedParamRecord(activation: clamp), macs: macs)
            } else {
                let wt = constant(data, (Int32(rows), 1, 1, Int32(cols)), 4, .int8)
                w.addOperator(.conv2D, inputs: [0, wt, biasTensor, m, s], outputs: [1],
                              params: ConvParamRecord(strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padTop: 0,
                                                      padLeft: 0, padBottom: 0, padRight: 0, activation: clamp),
                              macs: macs)
            }
        }
        w.inputs = [0]
        w.outputs = [1]
        w.arenaSize = UInt32(yOffset + (yBytes + 15) / 16 * 16)
        w.totalMacs = macs
        return w.serialize()
    }
}
