// Issue 3's acceptance test: the digits models converted to int8 (calibrated on
// digits_calib.npy) and run by the interpreter keep their top-1 accuracy on the held-out test
// split within 1.0 point of the float accuracy onnxruntime measured (summary.json).
import Foundation
import SparrowNPY
import SparrowRuntime
import SparrowTestSupport
import Testing
@testable import SparrowConverter

private enum DigitsData {
    static func path(_ name: String) -> String { TestFixtures.digits(name) }

    static func floatAccuracy(_ model: String) throws -> Double {
        let data = try Data(contentsOf: URL(fileURLWithPath: path("summary.json")))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let models = try #require(json["models"] as? [String: Any])
        let entry = try #require(models[model] as? [String: Any])
        return try #require(entry["float_test_acc"] as? Double)
    }
}

private func argmax<C: Collection>(_ v: C) -> Int where C.Element == Float, C.Index == Int {
    var best = v.startIndex
    for i in v.indices where v[i] > v[best] { best = i }
    return best - v.startIndex
}

@Suite(.serialized) struct DigitsInt8Tests {
    @Test(arguments: [("digits_cnn", ActivationRangeMethod.minMax), ("digits_mlp", .minMax), ("digits_mbv3", .minMax),
                      ("digits_cnn", .percentile(99.99)), ("digits_mbv3", .mse)])
    func int8AccuracyWithinOnePointOfFloat(model: String, method: ActivationRangeMethod) throws {
        let result = try convert(onnxPath: DigitsData.path("\(model).onnx"),
                                 options: ConversionOptions(calibrationPath: DigitsData.path("digits_calib.npy"),
                                                            activationRange: method))
        let x = try NPYArray.read(path: DigitsData.path("digits_test_x.npy"))
        let labels = try #require(try NPYArray.read(path: DigitsData.path("digits_test_y.npy")).int64s())
        let port = result.graph.inputPorts[0]
        let runs = try port.irLayoutRuns(from: x)
        #expect(runs.count == labels.count)

        let runner = try HostModel(bytes: result.bytes)
        defer { withExtendedLifetime(runner) {} }
        let executor = FloatExecutor(graph: result.graph)
        var int8Correct = 0, floatCorrect = 0, agree = 0
        var maxError: Float = 0
        for (i, input) in runs.enumerated() {
            // The file takes the ONNX layout; the float executor the IR layout.
            let q = runner.run([port.toONNXLayout(input)])[0]
            let f = try executor.run(inputs: [input])[0]
            let qClass = argmax(q), fClass = argmax(f)
            if qClass == Int(labels[i]) { int8Correct += 1 }
            if fClass == Int(labels[i]) { floatCorrect += 1 }
            if qClass == fClass { agree += 1 }
            for k in q.indices { maxError = max(maxError, abs(q[k] - f[k])) }
        }
        let n = Double(runs.count)
        let int8Accuracy = Double(int8Correct) / n * 100
        let floatAccuracy = try DigitsData.floatAccuracy(model) * 100
        print("\(model) [\(method)]: int8 top-1 \(String(format: "%.2f", int8Accuracy)) %, float (summary.json) "
              + "\(String(format: "%.2f", floatAccuracy)) %, float executor \(floatCorrect)/\(runs.count), "
              + "int8/float top-1 agreement \(agree)/\(runs.count), max |int8 − float| \(maxError)")
        print(result.summary)
        #expect(abs(int8Accuracy - floatAccuracy) <= 1.0, "\(model): int8 \(int8Accuracy) % vs float \(floatAccuracy) %")
        #expect(result.summary.arenaBytes >= result.summary.arenaLowerBound)
    }

    /// A QDQ model (onnxruntime quantize_static, Tests/Fixtures/make_qdq_fixture.py) converts
    /// without calibration data, using its own scales.
    @Test func qdqModelUsesItsOwnScales() throws {
        let result = try convert(onnxPath: DigitsData.path("digits_cnn_qdq.onnx"))
        #expect(result.summary.quantizationSource == .qdq)
        let port = result.graph.inputPorts[0]
        let hint = try #require(result.graph.values[port.value].quantization)
        #expect(result.quantization[port.value] == ActivationQuantizer.perTensor(hint))

        let x = try NPYArray.read(path: DigitsData.path("digits_test_x.npy"))
        let labels = try #require(try NPYArray.read(path: DigitsData.path("digits_test_y.npy")).int64s())
        let runner = try HostModel(bytes: result.bytes)
        defer { withExtendedLifetime(runner) {} }
        var correct = 0
        for (i, input) in try port.irLayoutRuns(from: x).enumerated() where argmax(runner.run([port.toONNXLayout(input)])[0]) == Int(labels[i]) {
            correct += 1
        }
        let accuracy = Double(correct) / Double(labels.count) * 100
        let floatAccuracy = try DigitsData.floatAccuracy("digits_cnn") * 100
        print("digits_cnn_qdq: int8 top-1 \(String(format: "%.2f", accuracy)) % (QDQ scales, no calibration), "
              + "float \(String(format: "%.2f", floatAccuracy)) %")
        #expect(abs(accuracy - floatAccuracy) <= 1.0)
    }
}
