// Pow (constant exponent), Sqrt, Reciprocal, Log, Erf, Exp on computed tensors, GELU in its two
// decomposed forms and division by a computed tensor (as x · reciprocal(y)), end to end: ONNX
// models made by Tests/Fixtures/unary/make_unary.py, converted with their calibration data and
// run in int8, against onnxruntime's float outputs.
import Foundation
import SparrowONNX
import SparrowRuntime
import Testing
@testable import SparrowConverter

@Suite struct UnaryMathModelTests {
    static func path(_ name: String) -> String {
        IRFixtures.root.appendingPathComponent("unary").appendingPathComponent(name).path
    }

    static let singleOps = ["unary_sqrt", "unary_reciprocal", "unary_log", "unary_erf", "unary_exp",
                            "unary_pow2", "unary_pow3", "unary_pow_half"]

    /// Errors as fractions of the reference outputs' range (one int8 step is 1/255 ≈ 0.39 %).
    /// A single op is one 256-entry table: the input's rounding (½ input step times the function's
    /// slope) plus the output's (½ step). Where the slope is steep relative to the output range
    /// the input step dominates: 1/x near 0.1 moves 5.6 % of its range per input step, log 2.6 %,
    /// x² and x³ at ±2 about 1.6 %. Measured max 0.6–3.0 %, mean 0.14–0.21 %; bounds are about
    /// 1.5× the measured max and 0.3 % mean. The networks add two convs (measured max 0.9–1.1 %,
    /// mean 0.17–0.22 %; bounds twice that).
    @Test(arguments: [("unary_sqrt", 0.01, 0.003), ("unary_reciprocal", 0.045, 0.003), ("unary_log", 0.02, 0.003),
                      ("unary_erf", 0.01, 0.003), ("unary_exp", 0.013, 0.003), ("unary_pow2", 0.013, 0.003),
                      ("unary_pow3", 0.01, 0.003), ("unary_pow_half", 0.01, 0.003),
                      ("gelu_erf_net", 0.02, 0.004), ("gelu_tanh_net", 0.02, 0.004), ("div_net", 0.018, 0.004)])
    // layernorm_decomposed fuses into one LayerNorm operator: TransformerModelTests checks it.
    func int8AgreesWithOnnxruntime(model: String, maxFraction: Float, meanFraction: Float) throws {
        let result = try convert(onnxPath: Self.path("\(model).onnx"),
                                 options: ConversionOptions(calibrationPath: Self.path("\(model)_calib.npy")))
        #expect(result.summary.opCounts["Lookup", default: 0] >= 1)
        let x = try IRFixtures.floats(Self.path("\(model)_x.npy"))
        let ref = try IRFixtures.floats(Self.path("\(model)_ref.npy"))
        let n = x.shape[0], perSample = x.data.count / n, k = ref.data.count / n
        let runner = try HostModel(bytes: result.bytes)
        var maxError: Float = 0, sumError: Float = 0
        for i in 0..<n {
            let q = runner.run([Array(x.data[(i * perSample)..<((i + 1) * perSample)])])[0]
            #expect(q.count == k)
            for (a, b) in zip(q, ref.data[(i * k)..<((i + 1) * k)]) {
                maxError = max(maxError, abs(a - b))
                sumError += abs(a - b)
            }
        }
        let range = (ref.data.max() ?? 0) - (ref.data.min() ?? 0)
        let meanError = sumError / Float(n * k)
        print("\(model): |int8 − onnxruntime| mean \(meanError / range * 100) %, max \(maxError / range * 100) % "
              + "of the output range \(range), \(result.summary.opCounts)")
        #expect(maxError <= maxFraction * range, "\(model): max error \(maxError), output range \(range)")
        #expect(meanError <= meanFraction * range, "\(model): mean error \(meanError), output range \(range)")
    }

    /// Import and the float executor against onnxruntime.
    @Test(arguments: singleOps + ["gelu_erf_net", "gelu_tanh_net", "div_net", "layernorm_decomposed"])
    func floatExecutorMatchesOnnxruntime(model: String) throws {
        let graph = Passes.optimize(try ONNXImporter.importModel(path: Self.path("\(model).onnx")))
        let x = try IRFixtures.floats(Self.path("\(model)_x.npy"))
        let ref = try IRFixtures.floats(Self.path("\(model)_ref.npy"))
        let out = try FloatExecutor.run(graph: graph, onnxLayoutInput: x.data, batch: x.shape[0])[0]
        #expect(out.count == ref.data.count)
        let scale = max(1, ref.data.map { abs($0) }.max() ?? 1)
        let maxError = zip(out, ref.data).map { abs($0 - $1) }.max() ?? .infinity
        #expect(maxError <= 1e-5 * scale, "\(model): max error \(maxError)")
    }

    /// Both exported forms of GELU fuse into one lookup table (the erf form was 3 Mul, 1 Add,
    /// 1 Lookup; the tanh form 4 Mul, 2 Add, 2 Lookup).
    @Test(arguments: [("gelu_erf_net", false), ("gelu_tanh_net", true)])
    func decomposedGELUFuses(model: String, tanhForm: Bool) throws {
        let graph = Passes.optimize(try ONNXImporter.importModel(path: Self.path("\(model).onnx")))
        let ops = graph.nodes.map(\.op)
        #expect(ops.contains(.unary(.gelu(approximateTanh: tanhForm))))
        #expect(!ops.contains(.unary(.tanh)))
        #expect(!ops.contains { if case .mul = $0 { return true } else { return false } })
        #expect(!ops.contains(.unary(.erf)))
    }

    @Test func powWithComputedExponentIsRejected() throws {
        let m = model([ONNXNode(name: "sq", opType: "Abs", inputs: ["x"], outputs: ["a"]),
                       ONNXNode(name: "p", opType: "Pow", inputs: ["x", "a"], outputs: ["y"])], input: [1, 4])
        let error = #expect(throws: ImportError.self) { try ONNXImporter.importModel(m) }
        #expect(error?.description.contains("constant scalar exponent") == true)
        #expect(error?.description.contains("p") == true)
    }
}
