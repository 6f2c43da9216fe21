import SparrowFormat
import SparrowKernels
import SparrowRuntime
import Testing

/// argMaxS8 against hand-derived cases along every axis, and a hand-built format 1.3 file
/// (Quantize → ArgMax, int32 graph output) through the verifier and the interpreter.
@Suite struct ArgMaxTests {
    @Test func kernelPicksFirstOrLastMaximumAlongEachAxis() {
        // 1×2×1×3: rows [1, 5, 5] and [7, -2, 5].
        let x: [Int8] = [1, 5, 5, 7, -2, 5]
        var y = [Int32](repeating: -1, count: 2)
        argMaxS8(input: x, inputShape: Shape4(1, 2, 1, 3), axis: 3, selectLast: false, output: &y)
        #expect(y == [1, 0])
        argMaxS8(input: x, inputShape: Shape4(1, 2, 1, 3), axis: 3, selectLast: true, output: &y)
        #expect(y == [2, 0])
        var columns = [Int32](repeating: -1, count: 3)
        argMaxS8(input: x, inputShape: Shape4(1, 2, 1, 3), axis: 1, selectLast: false, output: &columns)
        #expect(columns == [1, 0, 0])
        argMaxS8(input: x, inputShape: Shape4(1, 2, 1, 3), axis: 1, selectLast: true, output: &columns)
        #expect(columns == [1, 0, 1])
    }

    func file(outputBytes: UInt32 = 4) -> [UInt8] {
        var w = ModelWriter()
        w.tensors.append(TensorRecord(dtype: .float32, dims: (1, 6, 1, 1), rank: 2, storage: .arena, location: 0,
                                      byteSize: 24, liveFrom: -1, liveTo: 0))
        w.tensors.append(TensorRecord(dtype: .int8, dims: (1, 6, 1, 1), rank: 2, storage: .arena, location: 32, byteSize: 6,
                                      quant: .perTensor, zeroPoint: 0, scale: 0.1, liveFrom: 0, liveTo: 1))
        w.tensors.append(TensorRecord(dtype: .int32, dims: (1, 1, 1, 1), rank: 1, storage: .arena, location: 0,
                                      byteSize: outputBytes, liveFrom: 1, liveTo: 2))
        w.addOperator(.quantize, inputs: [0], outputs: [1], params: [], name: "quantize")
        w.addOperator(.argMax, inputs: [1], outputs: [2], params: ArgMaxParamRecord(axis: 3, selectLast: false), name: "argmax")
        w.inputs = [0]
        w.outputs = [2]
        w.arenaSize = 48
        return w.serialize()
    }

    @Test func runsInAFormatThreeFile() throws {
        let bytes = file()
        #expect(bytes[HeaderField.versionMinor] == 3)
        let model = try HostModel(bytes: bytes)
        model.setInput(0, [0.1, -0.4, 0.35, 0.9, 0.2, 0.899] as [Float])
        _ = model.invoke()
        #expect(model.output(0, as: Int32.self) == [3])
    }

    @Test func verifierRejectsAWrongOutputSize() {
        let error = HostModel.verificationError(file(outputBytes: 8))
        #expect(error?.reason == .shapeMismatch || error?.reason == .byteSizeMismatch)
    }
}
