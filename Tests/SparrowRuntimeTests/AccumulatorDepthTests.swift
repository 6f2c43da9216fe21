import Testing
import SparrowFormat
import SparrowKernels
@testable import SparrowRuntime

/// The int32 accumulator proof of the conv/FC kernels holds only up to `maxAccumulationDepth`
/// products per output. Each model here is well formed except for its depth, so the depth rule
/// is the only one that can reject it: at the limit it verifies, one block past it it must fail
/// with `accumulatorBound` on the depth (dense and sparse storage each have their own guard).
@Suite struct AccumulatorDepthTests {
    /// x int8 [1, depth] (graph input) → FullyConnected or SparseFullyConnected → y int8 [1, 4].
    static func fullyConnected(depth: Int, sparse: Bool) -> [UInt8] {
        var w = ModelWriter()
        let outDepth = 4
        func i32(_ v: [Int32]) -> [UInt8] { v.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) } }
        func constant(_ dtype: DType, _ dims: (Int32, Int32, Int32, Int32), rank: Int, _ data: [UInt8]) -> Int32 {
            w.tensors.append(TensorRecord(dtype: dtype, dims: dims, rank: rank, storage: .constant,
                                          location: w.addConstant(data), byteSize: UInt32(data.count)))
            return Int32(w.tensors.count - 1)
        }
        let outOffset = UInt32((depth + 15) / 16 * 16)
        w.tensors.append(TensorRecord(dtype: .int8, dims: (1, Int32(depth), 1, 1), rank: 2, storage: .arena, location: 0,
                                      byteSize: UInt32(depth), quant: .perTensor, zeroPoint: 0, scale: 1.0 / 64,
                                      liveFrom: -1, liveTo: 0))
        w.tensors.append(TensorRecord(dtype: .int8, dims: (1, Int32(outDepth), 1, 1), rank: 2, storage: .arena,
                                      location: outOffset, byteSize: UInt32(outDepth), quant: .perTensor, zeroPoint: 0,
                                      scale: 1.0 / 16, liveFrom: 0, liveTo: 1))
        // Weights 1 in every fourth column: magnitude within the proof, sparse blocks 1×4.
        let weights = (0..<outDepth * depth).map { $0 % 4 == 0 ? Int8(1) : 0 }
        let bias = constant(.int32, (Int32(outDepth), 1, 1, 1), rank: 1, i32(Array(repeating: 0, count: outDepth)))
        let m = quantizeMultiplier(1.0 / 64 / 127 / (1.0 / 16))
        let mults = constant(.int32, (Int32(outDepth), 1, 1, 1), rank: 1, i32(Array(repeating: m.multiplier, count: outDepth)))
        let shifts = constant(.int32, (Int32(outDepth), 1, 1, 1), rank: 1, i32(Array(repeating: m.shift, count: outDepth)))
        let clamp = ActivationClamp(min: -128, max: 127)
        if sparse {
            let encoded = SparseMatrixCodec.encode(weights, rows: outDepth, cols: depth, blockRows: 1, blockCols: 4)
            w.sparse = encoded
            let record = SparseFullyConnectedParamRecord(activation: clamp,
                                                         matrix: SparseMatrixLocation(offset: 0, size: Int32(encoded.count)))
            w.addOperator(.sparseFullyConnected, inputs: [0, bias, mults, shifts], outputs: [1], params: record, name: "fc")
        } else {
            let wt = constant(.int8, (Int32(outDepth), Int32(depth), 1, 1), rank: 2, weights.map { UInt8(bitPattern: $0) })
            w.addOperator(.fullyConnected, inputs: [0, wt, bias, mults, shifts], outputs: [1],
                          params: FullyConnectedParamRecord(activation: clamp), name: "fc")
        }
        w.inputs = [0]
        w.outputs = [1]
        w.arenaSize = outOffset + 16
        return w.serialize()
    }

    @Test(arguments: [false, true])
    func depthAtTheLimitVerifies(sparse: Bool) {
        let e = verifyError(Self.fullyConnected(depth: maxAccumulationDepth / 4 * 4, sparse: sparse))
        #expect(e == nil, "\(String(describing: e))")
    }

    @Test(arguments: [false, true])
    func depthPastTheLimitIsRejected(sparse: Bool) {
        let depth = (maxAccumulationDepth / 4 + 1) * 4
        let e = verifyError(Self.fullyConnected(depth: depth, sparse: sparse))
        #expect(e?.reason == .accumulatorBound, "\(String(describing: e))")
        #expect(e?.section == .operators && e?.index == 0)
        #expect(e?.value == depth && e?.limit == maxAccumulationDepth)
        #expect(e.map { "\($0.field)" } == "depth")
    }
}
