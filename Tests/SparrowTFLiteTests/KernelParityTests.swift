// Sparrow's existing int8 kernels, run with parameters prepared from a TFLite model's own
// scales, against LiteRT's reference outputs (byte for byte). Only operators that read a graph input and
// write a graph output are checked here (their goldens are their exact inputs and outputs);
// everything else waits for the importer. These pin down which kernels are already bit-exact
// with LiteRT (Docs/tflite-import.md).
import XCTest
import SparrowKernels
import SparrowNPY
@testable import SparrowTFLite

final class KernelParityTests: XCTestCase {
    /// (input samples, output samples) of operator `op` of a fixture whose input and output
    /// are graph input `i` and graph output `o`.
    struct Case {
        var model: TFLiteModel
        var op: TFLiteOperator
        var input: [Int8]
        var expected: [Int8]
        var samples: Int
        var inputTensor: TFLiteTensor { model.graph.tensors[op.inputs[0]] }
        var outputTensor: TFLiteTensor { model.graph.tensors[op.outputs[0]] }
    }

    func cases(_ stem: String, _ opcode: TFLiteBuiltinOperator) throws -> [Case] {
        let model = try TFLiteModel.load(path: TFLiteFixtures.path("models/\(stem).tflite"))
        var result: [Case] = []
        for op in model.graph.operators where model.opcode(of: op).builtin == opcode {
            guard let i = model.graph.inputs.firstIndex(of: op.inputs[0]),
                  let o = model.graph.outputs.firstIndex(of: op.outputs[0]) else { continue }
            let x = try NPYArray.read(path: TFLiteFixtures.path("golden/\(stem).in\(i).npy"))
            let y = try NPYArray.read(path: TFLiteFixtures.path("golden/\(stem).out\(o).npy"))
            result.append(Case(model: model, op: op, input: try XCTUnwrap(x.int8s()), expected: try XCTUnwrap(y.int8s()),
                               samples: x.shape[0]))
        }
        XCTAssertFalse(result.isEmpty, "\(stem) has no \(opcode.name) from input to output")
        return result
    }

    func scale(_ t: TFLiteTensor) -> Double { Double(t.quantization!.scales[0]) }
    func zero(_ t: TFLiteTensor) -> Int32 { Int32(t.quantization!.zeroPoints[0]) }

    func shape4(_ t: TFLiteTensor) -> Shape4 { Shape4(t.shape[0], t.shape[1], t.shape[2], t.shape[3]) }

    /// Runs `kernel` per sample; returns (equal bytes, total bytes).
    func run(_ c: Case, _ kernel: (UnsafePointer<Int8>, UnsafeMutablePointer<Int8>) -> Void) -> (Int, Int) {
        let inCount = c.input.count / c.samples, outCount = c.expected.count / c.samples
        var got = [Int8](repeating: 0, count: c.expected.count)
        c.input.withUnsafeBufferPointer { x in
            got.withUnsafeMutableBufferPointer { y in
                for s in 0..<c.samples { kernel(x.baseAddress! + s * inCount, y.baseAddress! + s * outCount) }
            }
        }
        return (zip(got, c.expected).filter { $0 == $1 }.count, got.count)
    }

    func testPoolingKernelsAreBitExact() throws {
        for c in try cases("pooling.int8", .maxPool2D) + (try cases("pooling.int8", .averagePool2D)) {
            guard case .pool2D(let o) = c.op.options else { return XCTFail() }
            let inS = shape4(c.inputTensor), outS = shape4(c.outputTensor)
            // SAME padding as TFLite computes it: the total split with the smaller half first.
            func pad(_ input: Int, _ output: Int, _ filter: Int, _ stride: Int) -> Int {
                o.padding == .valid ? 0 : max((output - 1) * stride + filter - input, 0) / 2
            }
            let p = PoolParams(strideH: o.strideH, strideW: o.strideW, filterH: o.filterH, filterW: o.filterW,
                               padTop: pad(inS.h, outS.h, o.filterH, o.strideH), padLeft: pad(inS.w, outS.w, o.filterW, o.strideW),
                               countIncludePad: false, zeroPoint: zero(c.inputTensor))
            let isMax = c.model.opcode(of: c.op).builtin == .maxPool2D
            let (equal, total) = run(c) { x, y in
                if isMax { maxPoolS8(p, input: x, inputShape: inS, output: y, outputShape: outS) }
                else { averagePoolS8(p, input: x, inputShape: inS, output: y, outputShape: outS) }
            }
            XCTAssertEqual(equal, total, "\(c.model.opcode(of: c.op).displayName)")
        }
    }

    /// MEAN with Sparrow's folded multiplier (exact here for an 81-element window; the MobileNet's
    /// 9-element mean shows where the fold must follow TFLite's, see the design note), the
    /// lookup tables of LOGISTIC/TANH, and softmaxS8.
    func testMeanLookupAndSoftmaxKernelsMatchLiteRT() throws {
        var report: [String] = []
        for c in try cases("pooling.int8", .mean) {
            let (m, s) = MeanHW.prepare(inputScale: scale(c.inputTensor), outputScale: scale(c.outputTensor),
                                        count: c.inputTensor.shape[1] * c.inputTensor.shape[2])
            let (equal, total) = run(c) { x, y in
                meanHWS8(input: x, inputShape: shape4(c.inputTensor), inputZeroPoint: zero(c.inputTensor),
                         outputZeroPoint: zero(c.outputTensor), multiplier: m, shift: s, output: y)
            }
            report.append("MEAN (MeanHW.prepare): \(equal)/\(total)")
            XCTAssertEqual(equal, total, "MEAN")
        }
        for (opcode, f) in [(TFLiteBuiltinOperator.logistic, { (x: Double) in 1 / (1 + exp(-x)) }), (.tanh, { (x: Double) in tanh(x) })] {
            for c in try cases("activations.int8", opcode) {
                var table = [Int8](repeating: 0, count: 256)
                fillLookupTable(&table, inputScale: scale(c.inputTensor), inputZeroPoint: zero(c.inputTensor),
                                outputScale: scale(c.outputTensor), outputZeroPoint: zero(c.outputTensor), f)
                let n = c.inputTensor.elementCount
                let (equal, total) = run(c) { x, y in table.withUnsafeBufferPointer { lookupS8(table: $0.baseAddress!, input: x, count: n, output: y) } }
                report.append("\(opcode.name) (fillLookupTable, Double, half-even): \(equal)/\(total)")
                XCTAssertEqual(equal, total, opcode.name)
            }
        }
        for c in try cases("activations.int8", .softmax) {
            guard case .softmax(let beta) = c.op.options else { return XCTFail() }
            let p = SoftmaxParams.prepare(inputScale: scale(c.inputTensor), beta: Double(beta))
            let depth = c.inputTensor.shape.last!
            let outer = c.inputTensor.elementCount / depth
            let (equal, total) = run(c) { x, y in softmaxS8(p, input: x, outer: outer, depth: depth, output: y) }
            report.append("SOFTMAX (softmaxS8): \(equal)/\(total)")
            XCTAssertEqual(scale(c.outputTensor), 1.0 / 256)
            XCTAssertEqual(zero(c.outputTensor), -128)
            XCTAssertEqual(equal, total, "SOFTMAX")
        }
        print("kernel parity with LiteRT BUILTIN_REF:\n  " + report.joined(separator: "\n  "))
    }

    /// softmaxS8 on the SOFTMAX operators that follow other operators (their inputs and outputs
    /// recorded by the fixture script from a reference run with all tensors kept).
    func testSoftmaxKernelMatchesLiteRTAfterOtherOperators() throws {
        let models = try XCTUnwrap(TFLiteFixtures.manifest()["models"] as? [String: [String: Any]])
        var checked = 0
        for (stem, entry) in models.sorted(by: { $0.key < $1.key }) {
            for record in entry["softmax_intermediates"] as? [[String: Any]] ?? [] {
                let model = try TFLiteModel.load(path: TFLiteFixtures.path(entry["file"] as! String))
                let op = model.graph.operators[record["op"] as! Int]
                guard case .softmax(let beta) = op.options else { return XCTFail("\(stem): not a softmax") }
                let x = try NPYArray.read(path: TFLiteFixtures.path(record["input"] as! String))
                let y = try NPYArray.read(path: TFLiteFixtures.path(record["output"] as! String))
                let c = Case(model: model, op: op, input: try XCTUnwrap(x.int8s()), expected: try XCTUnwrap(y.int8s()),
                             samples: x.shape[0])
                let p = SoftmaxParams.prepare(inputScale: scale(c.inputTensor), beta: Double(beta))
                let depth = c.inputTensor.shape.last!
                let (equal, total) = run(c) { x, y in
                    softmaxS8(p, input: x, outer: c.inputTensor.elementCount / depth, depth: depth, output: y)
                }
                print("\(stem) SOFTMAX op \(record["op"]!) depth \(depth): \(equal)/\(total)")
                XCTAssertEqual(equal, total, "\(stem) SOFTMAX op \(record["op"]!)")
                checked += 1
            }
        }
        XCTAssertEqual(checked, 2, "fully_connected and mobilenet each have one")
    }
}
