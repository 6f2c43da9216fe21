// ONNX backend node tests (from the onnx 1.22 wheel, allowlisted in Fixtures/onnx-node-allowlist.txt)
// run through import + passes + the float executor, compared with the ONNX project's expected
// outputs at rtol = atol = 1e-4. Sparrow needs weights at conversion time, so every graph input
// after the first is bound as a constant (the first stays a run-time input, in its ONNX layout).
import Foundation
import Testing
import SparrowConverter
import SparrowONNX

@Suite struct ONNXNodeConformanceTests {
    static let directory = IRFixtures.root.appendingPathComponent("onnx-node")

    /// (test name, bind every input as a constant).
    static func allowlist() throws -> [(name: String, foldAll: Bool)] {
        let text = try String(contentsOf: IRFixtures.root.appendingPathComponent("onnx-node-allowlist.txt"), encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            let name = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first?
                .trimmingCharacters(in: .whitespaces) ?? ""
            let words = name.split(separator: " ")
            guard let first = words.first else { return nil }
            return (String(first), words.dropFirst().contains("fold"))
        }
    }

    /// A standalone serialized TensorProto, decoded by wrapping it as the single initializer of a
    /// ModelProto (graph = field 7, GraphProto.initializer = field 5) for the SparrowONNX reader.
    static func readTensorProto(_ path: String) throws -> ONNXTensor {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        func lengthDelimited(field: UInt8, _ payload: [UInt8]) -> [UInt8] {
            var out: [UInt8] = [field << 3 | 2]
            var n = payload.count
            repeat {
                var byte = UInt8(n & 0x7F)
                n >>= 7
                if n > 0 { byte |= 0x80 }
                out.append(byte)
            } while n > 0
            return out + payload
        }
        let model = try ONNXModel(bytes: lengthDelimited(field: 7, lengthDelimited(field: 5, bytes)))
        guard let tensor = model.graph.initializers.first else { throw ExecutorError("\(path): no tensor") }
        return tensor
    }

    static func floatValues(_ t: ONNXTensor) throws -> [Float] {
        switch t.dataType {
        case .float, .double, .float16, .bfloat16: return try t.floats()
        default: return try t.int64s().map { Float($0) }
        }
    }

    /// Runs one node test; returns nil on success or a message saying what differed.
    static func run(_ name: String, foldAll: Bool) -> String? {
        do {
            let dir = directory.appendingPathComponent(name)
            let model = try ONNXModel.load(path: dir.appendingPathComponent("model.onnx").path)
            let data = dir.appendingPathComponent("test_data_set_0")
            let inputNames = model.graph.inputs.map(\.name).filter { n in !model.graph.initializers.contains { $0.name == n } }
            var inputs: [ONNXTensor] = []
            for i in inputNames.indices { inputs.append(try readTensorProto(data.appendingPathComponent("input_\(i).pb").path)) }
            var bound: [String: ONNXTensor] = [:]
            for i in inputNames.indices.dropFirst(foldAll ? 0 : 1) { bound[inputNames[i]] = inputs[i] }
            // The run-time input at the test data's shape (as `--input-shape` would give it).
            let shapes = foldAll || inputs.isEmpty ? [:] : [inputNames[0]: inputs[0].dims]
            let graph = Passes.optimize(try ONNXImporter.importModel(model, options: ImportOptions(constantInputs: bound, inputShapes: shapes)))
            var feeds: [[Float]] = []
            if let first = inputs.first, !graph.inputPorts.isEmpty {
                feeds.append(FloatExecutor.toIRLayout(try floatValues(first), port: graph.inputPorts[0]))
            }
            let outputs = try FloatExecutor(graph: graph).run(inputs: feeds)
            for (k, port) in graph.outputPorts.enumerated() {
                let expected = try readTensorProto(data.appendingPathComponent("output_\(k).pb").path)
                let want = try floatValues(expected)
                let got = FloatExecutor.toONNXLayout(outputs[k], port: port)
                guard port.onnxShape == expected.dims || port.onnxShape.reduce(1, *) == want.count && expected.dims.isEmpty else {
                    return "output \(k): shape \(port.onnxShape), expected \(expected.dims)"
                }
                guard got.count == want.count else { return "output \(k): \(got.count) elements, expected \(want.count)" }
                for i in want.indices where !(got[i] == want[i] || abs(got[i] - want[i]) <= 1e-4 + 1e-4 * abs(want[i])) && !(got[i].isNaN && want[i].isNaN) {
                    return "output \(k)[\(i)] = \(got[i]), expected \(want[i])"
                }
            }
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func allowlistedNodeTestsPass() throws {
        let names = try Self.allowlist()
        #expect(names.count > 100)
        var failures: [String] = []
        for (name, foldAll) in names {
            if let message = Self.run(name, foldAll: foldAll) { failures.append("\(name): \(message)") }
        }
        print("ONNX node tests: \(names.count - failures.count) passed, \(failures.count) failed")
        for f in failures { print("  FAIL \(f)") }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }
}
