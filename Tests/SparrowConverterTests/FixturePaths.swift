// Locating Tests/Fixtures from the test sources, and small helpers shared by the IR tests.
import Foundation
import SparrowNPY
import SparrowConverter
import SparrowRuntime
import SparrowTestSupport
import Testing

enum IRFixtures {
    static let root = TestFixtures.root
    static func digits(_ name: String) -> String { TestFixtures.digits(name) }

    static func floats(_ path: String) throws -> (data: [Float], shape: [Int]) {
        let array = try NPYArray.read(path: path)
        guard let data = array.floats() else { throw ExecutorError("\(path) is not float32") }
        return (data, array.shape)
    }

    static func int64s(_ path: String) throws -> [Int64] {
        let array = try NPYArray.read(path: path)
        guard let data = array.int64s() else { throw ExecutorError("\(path) is not int64") }
        return data
    }

    static let digitsModels = ["digits_cnn", "digits_cnn_opset11", "digits_cnn_opset18", "digits_mlp",
                               "digits_mbv3", "digits_mbv3_opset11", "digits_mbv3_opset18"]
}

func argmax(_ row: ArraySlice<Float>) -> Int {
    var best = row.startIndex
    for i in row.indices where row[i] > row[best] { best = i }
    return best - row.startIndex
}

/// Runs a converted single-input model on every sample of `inputs` (samples first) and compares
/// its first output with `reference` (onnxruntime's float outputs for the same samples): the
/// largest and the mean absolute error, and the reference's range that bounds are scaled by.
func int8Error(of bytes: [UInt8], inputs x: (data: [Float], shape: [Int]), reference ref: (data: [Float], shape: [Int]))
    throws -> (max: Float, mean: Float, range: Float) {
    let n = x.shape[0], perSample = x.data.count / n, k = ref.data.count / n
    let runner = try HostModel(bytes: bytes)
    var maxError: Float = 0, sumError: Float = 0
    for i in 0..<n {
        let q = runner.run([Array(x.data[(i * perSample)..<((i + 1) * perSample)])])[0]
        let want = ref.data[(i * k)..<((i + 1) * k)]
        #expect(q.count == k)
        for (a, b) in zip(q, want) {
            maxError = max(maxError, abs(a - b))
            sumError += abs(a - b)
        }
    }
    let range = (ref.data.max() ?? 0) - (ref.data.min() ?? 0)
    return (maxError, sumError / Float(n * k), range)
}
