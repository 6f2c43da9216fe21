// The CTC text-recognizer fixture (Tests/Fixtures/recognizer/make_recognizer.py: a PyTorch export
// trained here on lines of sklearn digits) converts as shipped, and its int8 run, greedily
// CTC-decoded, agrees with onnxruntime's float decode at least as often as onnxruntime's own int8.
import Foundation
import SparrowRuntime
import Testing
@testable import SparrowConverter

@Suite struct RecognizerModelTests {
    static func path(_ name: String) -> String {
        IRFixtures.root.appendingPathComponent("recognizer").appendingPathComponent(name).path
    }

    static let blank = 10

    /// Greedy CTC decoding of one line's [steps, classes] scores: the best class per step, repeats
    /// merged, blanks dropped.
    static func greedyDecode(_ scores: [Float], classes: Int) -> [Int] {
        var digits: [Int] = [], previous = -1
        for t in 0..<(scores.count / classes) {
            let row = scores[(t * classes)..<((t + 1) * classes)]
            let best = row.indices.max { row[$0] < row[$1] }! - row.startIndex
            if best != blank && best != previous { digits.append(best) }
            previous = best
        }
        return digits
    }

    /// The rows of a [lines, width] int64 file holding one string per line, -1 padded.
    static func strings(_ name: String) throws -> [[Int]] {
        let array = try IRFixtures.int64s(path(name))
        let lines = try IRFixtures.floats(path("ctc_digits_test_x.npy")).shape[0], width = array.count / lines
        return (0..<lines).map { i in array[(i * width)..<((i + 1) * width)].filter { $0 >= 0 }.map { Int($0) } }
    }

    static func editDistance(_ a: [Int], _ b: [Int]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }

    /// Conv stem collapsing the height, one encoder block (LayerNormalization, 2-head attention,
    /// GELU MLP), Linear, LogSoftmax over 11 classes at each of 32 steps. Measured on the 200
    /// held-out lines: decoded string equal to float's on 199/200 (onnxruntime int8 198/200),
    /// character errors against float's decode 1/797 (onnxruntime int8 2/797); on 1,000 lines
    /// see Docs/results.md (compare_int8.py).
    @Test func ctcRecognizerAgreesAtLeastAsWellAsOnnxruntimeInt8() throws {
        let result = try convert(onnxPath: Self.path("ctc_digits.onnx"),
                                 options: ConversionOptions(calibrationPath: Self.path("ctc_digits_calib.npy")))
        let ops = result.summary.opCounts
        #expect(ops["LayerNorm"] == 3 && ops["BatchMatMul"] == 2 && ops["LogSoftmax"] == 1, "\(ops)")
        let x = try IRFixtures.floats(Self.path("ctc_digits_test_x.npy"))
        let float = try Self.strings("ctc_digits_ref_strings.npy")
        let ortInt8 = try Self.strings("ctc_digits_ort_int8_strings.npy")
        let model = try HostModel(bytes: result.bytes)
        let n = x.shape[0], perSample = x.data.count / n
        var decoded: [[Int]] = []
        withExtendedLifetime(model) {
            for i in 0..<n {
                let y = model.run([Array(x.data[(i * perSample)..<((i + 1) * perSample)])])[0]
                decoded.append(Self.greedyDecode(y, classes: 11))
            }
        }
        #expect(decoded.count == float.count && float.count == n)
        let characters = float.reduce(0) { $0 + $1.count }
        #expect(characters >= 3 * n, "the float decodes hold the lines' digits")
        let agree = zip(decoded, float).filter { $0 == $1 }.count
        let ortAgree = zip(ortInt8, float).filter { $0 == $1 }.count
        let errors = zip(decoded, float).reduce(0) { $0 + Self.editDistance($1.0, $1.1) }
        let ortErrors = zip(ortInt8, float).reduce(0) { $0 + Self.editDistance($1.0, $1.1) }
        print("ctc_digits: string agreement with float \(agree)/\(n) (onnxruntime int8 \(ortAgree)/\(n)); "
              + "character errors \(errors)/\(characters) (onnxruntime int8 \(ortErrors)/\(characters))")
        #expect(agree >= ortAgree)
        #expect(errors <= ortErrors)
    }
}
