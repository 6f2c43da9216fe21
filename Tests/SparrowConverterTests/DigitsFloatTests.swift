// The digits models end to end in float: import + passes + float executor against onnxruntime's
// outputs (digits/<model>_ref_out8.npy) and against summary.json's float test accuracy.
import Foundation
import Testing
import SparrowConverter

@Suite struct DigitsFloatTests {
    static func summary() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: IRFixtures.digits("summary.json")))
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return json?["models"] as? [String: Any] ?? [:]
    }

    @Test(arguments: IRFixtures.digitsModels)
    func matchesOnnxruntime(model: String) throws {
        let imported = try ONNXImporter.importModel(path: IRFixtures.digits("\(model).onnx"))
        for graph in [imported, Passes.optimize(imported)] {
            let x = try IRFixtures.floats(IRFixtures.digits("digits_test_x.npy"))
            let ref = try IRFixtures.floats(IRFixtures.digits("\(model)_ref_out8.npy"))
            let out = try FloatExecutor.run(graph: graph, onnxLayoutInput: Array(x.data[..<(8 * 64)]), batch: 8)
            #expect(out.count == 1)
            #expect(out[0].count == ref.data.count)
            let maxError = zip(out[0], ref.data).map { abs($0 - $1) }.max() ?? .infinity
            #expect(maxError < 1e-4, "\(model): max abs error \(maxError) vs onnxruntime")
        }
    }

    @Test(arguments: IRFixtures.digitsModels)
    func testAccuracyMatchesSummary(model: String) throws {
        let graph = Passes.optimize(try ONNXImporter.importModel(path: IRFixtures.digits("\(model).onnx")))
        let x = try IRFixtures.floats(IRFixtures.digits("digits_test_x.npy"))
        let y = try IRFixtures.int64s(IRFixtures.digits("digits_test_y.npy"))
        let n = x.shape[0]
        let out = try FloatExecutor.run(graph: graph, onnxLayoutInput: x.data, batch: n)[0]
        var correct = 0
        for i in 0..<n where argmax(out[(i * 10)..<((i + 1) * 10)]) == Int(y[i]) { correct += 1 }
        let info = try #require(Self.summary()[model] as? [String: Any])
        let expected = try #require(info["float_test_correct"] as? Int)
        #expect(correct == expected, "\(model): \(correct)/\(n) correct, onnxruntime \(expected)")
    }
}

@Suite struct DigitsQDQImportTests {
    /// digits_cnn_qdq.onnx (onnxruntime quantize_static of digits_cnn, made by make_qdq_fixture.py).
    /// onnxruntime runs it at 358/360 correct on the test split; our float executor skips the
    /// rounding to int8 but keeps the Q/DQ clamps, so it must land within 1 point (3 samples).
    @Test func qdqModelImportsWithItsScalesAndClamps() throws {
        let g = Passes.optimize(try ONNXImporter.importModel(path: IRFixtures.digits("digits_cnn_qdq.onnx")))
        // The Relus onnxruntime removed (relying on the zero point) come back as fused clamps.
        let convActivations = g.nodes.compactMap { node -> Activation? in
            if case .conv(let a) = node.op { return a.activation } else { return nil }
        }
        #expect(convActivations.count == 4)
        #expect(convActivations.allSatisfy { $0.bounds.lower == 0 })
        #expect(g.values[g.inputs[0]].quantization != nil)
        #expect(g.nodes.allSatisfy { $0.outputs.allSatisfy { g.values[$0].quantization != nil } })
        let x = try IRFixtures.floats(IRFixtures.digits("digits_test_x.npy"))
        let y = try IRFixtures.int64s(IRFixtures.digits("digits_test_y.npy"))
        let out = try FloatExecutor.run(graph: g, onnxLayoutInput: x.data, batch: x.shape[0])[0]
        var correct = 0
        for i in 0..<x.shape[0] where argmax(out[(i * 10)..<((i + 1) * 10)]) == Int(y[i]) { correct += 1 }
        #expect(abs(correct - 358) <= 3, "\(correct)/360")
    }
}
