// Locating Tests/Fixtures from the test sources, and small helpers shared by the IR tests.
import Foundation
import SparrowNPY
import SparrowConverter
import SparrowTestSupport

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
