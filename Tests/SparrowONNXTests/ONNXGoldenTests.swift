import Foundation
import Testing
@testable import SparrowONNX

/// Models written by onnx.helper (Tests/Fixtures/onnx/make_onnx_fixtures.py) read back exactly as
/// the onnx Python package reports them in expected.json.
@Suite struct ONNXGoldenTests {
    static func expected() throws -> [String: Any] {
        try #require(try Fixtures.json("onnx/expected.json") as? [String: Any])
    }

    static func load(_ relative: String) throws -> ONNXModel {
        try ONNXModel.load(path: Fixtures.url(relative).path)
    }

    @Test(arguments: ["attributes.onnx", "initializers.onnx", "dynamic.onnx"])
    func modelMatchesOnnxPython(file: String) throws {
        let all = try #require(try Self.expected()["models"] as? [String: Any])
        let golden = try #require(all[file] as? [String: Any])
        let model = try Self.load("onnx/" + file)
        checkModel(model, golden, withValues: true, file)
    }

    @Test func digitsModelsMatchOnnxPython() throws {
        let digits = try #require(try Self.expected()["digits"] as? [String: Any])
        let onDisk = (try? FileManager.default.contentsOfDirectory(atPath: Fixtures.url("digits").path)) ?? []
        let models = onDisk.filter { $0.hasSuffix(".onnx") }.sorted()
        #expect(Set(models) == Set(digits.keys), "re-run make_onnx_fixtures.py after the digits models change")
        for file in models {
            guard let golden = digits[file] as? [String: Any] else { continue }
            let model = try Self.load("digits/" + file)
            checkModel(model, golden, withValues: false, file)
        }
    }

    @Test func attributeAccessorsOnKnownValues() throws {
        let model = try Self.load("onnx/attributes.onnx")
        let everything = try #require(model.graph.nodes.first)
        #expect(everything.domain == "test.sparrow")
        #expect(everything.attributes["i"]?.int == -42)
        #expect(everything.attributes["i"]?.float == nil)
        #expect(everything.attributes["s_utf8"]?.string == "héllo ✓")
        #expect(everything.attributes["empty_ints"] == .ints([]))
        #expect(everything.attributes["sparse"] == .unsupported(typeCode: 11))
        #expect(everything.attributes["sparse"]?.typeName == "SPARSE_TENSOR")
        #expect(everything.attributes["g"]?.graph?.nodes.map(\.opType) == ["Identity"])
        #expect(try everything.attributes["t"]?.tensor?.floats() == [1, -2, 0.25, 3e-5])
        let conv = model.graph.nodes[1]
        #expect(conv.attributes["pads"]?.ints == [1, 1, 1, 1])
        #expect(conv.attributes["auto_pad"]?.string == "NOTSET")
        #expect(model.defaultOpsetVersion == 13)
    }

    @Test func typedAccessorsRefuseOtherTypesAndExternalData() throws {
        let model = try Self.load("onnx/initializers.onnx")
        let byName = Dictionary(uniqueKeysWithValues: model.graph.initializers.map { ($0.name, $0) })
        let f32 = try #require(byName["raw_f32"])
        #expect(throws: ONNXError.self) { try f32.int64s() }
        do { _ = try f32.int8s() } catch { #expect(error.kind == .wrongType) }
        #expect(try byName["raw_u8"]!.uint8s() == [0, 128, 255])
        #expect(try byName["typed_i8"]!.int8s() == [-128, -5, 0, 127])
        #expect(try byName["raw_bool"]!.uint8s() == [1, 0, 1, 1])
        #expect(throws: ONNXError.self, "INT64 must not narrow to Int32") { try byName["raw_i64"]!.int32s() }
        let external = try #require(byName["external_w"])
        #expect(external.data == .external(location: "weights.bin"))
        do {
            _ = try external.floats()
            Issue.record("external data decoded")
        } catch {
            #expect(error.kind == .unsupported)
            #expect(error.description.contains("weights.bin") && error.description.contains("save_as_external_data=False"))
        }
    }

    // MARK: comparison against the JSON

    func checkModel(_ model: ONNXModel, _ json: [String: Any], withValues: Bool, _ file: String) {
        #expect(model.irVersion == (json["ir_version"] as! NSNumber).int64Value, "\(file)")
        #expect(model.producerName == json["producer_name"] as! String, "\(file)")
        #expect(model.producerVersion == json["producer_version"] as! String, "\(file)")
        #expect(model.opsetImports == (json["opset_imports"] as! [String: Int]), "\(file)")
        #expect(model.metadata == (json["metadata"] as! [String: String]), "\(file)")
        checkGraph(model.graph, json["graph"] as! [String: Any], withValues: withValues, "\(file): graph")
    }

    func checkGraph(_ graph: ONNXGraph, _ json: [String: Any], withValues: Bool, _ at: String) {
        #expect(graph.name == json["name"] as! String, "\(at)")
        let nodes = json["nodes"] as! [[String: Any]]
        #expect(graph.nodes.count == nodes.count, "\(at): node count")
        for (i, (node, n)) in zip(graph.nodes, nodes).enumerated() {
            let where_ = "\(at).node[\(i)]"
            #expect(node.name == n["name"] as! String, "\(where_)")
            #expect(node.opType == n["op_type"] as! String, "\(where_)")
            #expect(node.domain == n["domain"] as! String, "\(where_)")
            #expect(node.inputs == n["inputs"] as! [String], "\(where_)")
            #expect(node.outputs == n["outputs"] as! [String], "\(where_)")
            let attributes = n["attributes"] as! [String: [String: Any]]
            #expect(Set(node.attributes.keys) == Set(attributes.keys), "\(where_)")
            for (name, a) in attributes {
                guard let attribute = node.attributes[name] else { continue }
                checkAttribute(attribute, a, withValues: withValues, "\(where_).\(name)")
            }
        }
        let initializers = json["initializers"] as! [[String: Any]]
        #expect(graph.initializers.count == initializers.count, "\(at): initializer count")
        for (t, j) in zip(graph.initializers, initializers) { checkTensor(t, j, "\(at).initializer \(t.name)") }
        for (key, infos) in [("inputs", graph.inputs), ("outputs", graph.outputs), ("value_info", graph.valueInfo)] {
            let js = json[key] as! [[String: Any]]
            #expect(infos.count == js.count, "\(at).\(key)")
            for (vi, j) in zip(infos, js) { checkValueInfo(vi, j, "\(at).\(key) \(vi.name)") }
        }
    }

    func checkAttribute(_ a: ONNXAttribute, _ json: [String: Any], withValues: Bool, _ at: String) {
        #expect(a.typeName == json["type"] as! String, "\(at)")
        let value = json["value"]
        switch a {
        case .float(let f): #expect(f == Float((value as! NSNumber).doubleValue), "\(at)")
        case .int(let i): #expect(i == (value as! NSNumber).int64Value, "\(at)")
        case .string: #expect(a.string == value as? String, "\(at)")
        case .tensor(let t): checkTensor(t, value as! [String: Any], at)
        case .graph(let g): checkGraph(g, value as! [String: Any], withValues: withValues, at)
        case .floats(let fs): #expect(fs == (value as! [NSNumber]).map { Float($0.doubleValue) }, "\(at)")
        case .ints(let xs): #expect(xs == (value as! [NSNumber]).map(\.int64Value), "\(at)")
        case .strings: #expect(a.strings == value as? [String], "\(at)")
        case .tensors(let ts):
            let js = value as! [[String: Any]]
            #expect(ts.count == js.count, "\(at)")
            for (t, j) in zip(ts, js) { checkTensor(t, j, at) }
        case .graphs(let gs):
            let js = value as! [[String: Any]]
            #expect(gs.count == js.count, "\(at)")
            for (g, j) in zip(gs, js) { checkGraph(g, j, withValues: withValues, at) }
        case .unsupported(let code):
            #expect(Int(code) == json["type_code"] as! Int, "\(at)")
        }
    }

    func checkTensor(_ t: ONNXTensor, _ json: [String: Any], _ at: String) {
        #expect(t.name == json["name"] as! String, "\(at)")
        #expect(Int(t.dataType.rawValue) == json["data_type"] as! Int, "\(at)")
        #expect(t.dims == json["dims"] as! [Int], "\(at)")
        let storage = json["storage"] as! String
        #expect(t.data.fieldName == (storage == "external" ? "external_data" : storage), "\(at)")
        if storage == "external" { return }
        let isFloat = [.float, .float16, .bfloat16, .double].contains(t.dataType)
        if let values = json["values"] as? [NSNumber] {
            do {
                if t.dataType == .double {
                    // Foundation's JSON parser can be off in the last bit of a double; allow that.
                    let got = try t.doubles()
                    #expect(got.count == values.count, "\(at)")
                    for (g, v) in zip(got, values.map(\.doubleValue)) {
                        #expect(abs(g - v) <= 4 * v.ulp, "\(at): \(g) vs \(v)")
                    }
                } else if isFloat {
                    #expect(try t.floats() == values.map { Float($0.doubleValue) }, "\(at)")
                } else {
                    #expect(try t.int64s() == values.map(\.int64Value), "\(at)")
                }
            } catch {
                Issue.record("\(at): \(error)")
            }
        } else {
            // Large tensors: element count, sum and first elements (numpy's float64 sum).
            do {
                let values = isFloat ? try t.doubles() : try t.int64s().map { Double($0) }
                #expect(values.count == json["count"] as! Int, "\(at)")
                let sum = (json["sum"] as! NSNumber).doubleValue
                #expect(abs(values.reduce(0, +) - sum) <= 1e-9 * max(1, abs(sum)), "\(at)")
                // Compared as Float: the values are float32 (or integers), and Foundation's JSON
                // parser can be off in the last bit of a double.
                #expect(values.prefix(4).map { Float($0) } == (json["first"] as! [NSNumber]).map { Float($0.doubleValue) }, "\(at)")
            } catch {
                Issue.record("\(at): \(error)")
            }
        }
    }

    func checkValueInfo(_ vi: ONNXValueInfo, _ json: [String: Any], _ at: String) {
        #expect(vi.name == json["name"] as! String, "\(at)")
        #expect(vi.isTensor == json["is_tensor"] as! Bool, "\(at)")
        #expect(vi.elemType.map { Int($0.rawValue) } == json["elem_type"] as? Int, "\(at)")
        let shape = (json["shape"] as? [[String: Any]])?.map { d -> ONNXDim in
            if let v = d["value"] as? Int { return .value(v) }
            if let p = d["param"] as? String { return .param(p) }
            return .unknown
        }
        #expect(vi.shape == shape, "\(at)")
    }
}
