import Foundation
import Testing
@testable import SparrowONNX

/// Malformed input gives a specific ONNXError naming the field path and byte offset — never a
/// crash, an out-of-bounds read or a hang.
@Suite struct ONNXRobustnessTests {
    static func parse(_ bytes: [UInt8]) -> Result<ONNXModel, ONNXError> {
        Result { () throws(ONNXError) in try ONNXModel(bytes: bytes) }
    }

    static func graphRange(_ file: String) throws -> Range<Int> {
        let json = try #require(try Fixtures.json("onnx/expected.json") as? [String: Any])
        let models = (json["models"] as? [String: Any] ?? [:]).merging(json["digits"] as? [String: Any] ?? [:]) { a, _ in a }
        let model = try #require(models[file] as? [String: Any])
        let r = try #require(model["graph_range"] as? [Int])
        return r[0]..<r[1]
    }

    @Test(arguments: ["attributes.onnx", "initializers.onnx", "dynamic.onnx"])
    func everyTruncationInsideTheGraphIsAnError(file: String) throws {
        let bytes = try Fixtures.bytes("onnx/" + file)
        let graph = try Self.graphRange(file)  // where onnx (Python) says the GraphProto lies
        #expect((try? Self.parse(bytes).get()) != nil)
        for n in 0..<bytes.count {
            let result = Self.parse(Array(bytes[..<n]))
            if n < graph.upperBound {
                guard let error = result.failure else { Issue.record("\(file): \(n)-byte prefix accepted"); continue }
                #expect(error.offset.map { $0 >= 0 && $0 <= n } ?? true, "\(file) cut at \(n): \(error)")
                if n > graph.lowerBound {
                    #expect(error.kind == .truncated, "\(file) cut at \(n): \(error)")
                    #expect(error.path.hasPrefix("graph"), "\(file) cut at \(n): \(error)")
                }
            }
        }
    }

    @Test func truncatedDigitsModelsAreErrors() throws {
        for file in ["digits_mlp.onnx", "digits_mbv3.onnx"] {
            guard let bytes = try? Fixtures.bytes("digits/" + file) else { continue }
            let graph = try Self.graphRange(file)
            for n in stride(from: 0, to: graph.upperBound, by: 37) {
                #expect(Self.parse(Array(bytes[..<n])).failure != nil, "\(file) cut at \(n)")
            }
        }
    }

    @Test(arguments: ["attributes.onnx", "initializers.onnx", "dynamic.onnx"])
    func everySingleBitFlipIsHandled(file: String) throws {
        let bytes = try Fixtures.bytes("onnx/" + file)
        var rejected = 0
        var accepted = 0
        for i in 0..<bytes.count {
            for bit in 0..<8 {
                var flipped = bytes
                flipped[i] ^= 1 << bit
                switch Self.parse(flipped) {
                case .success: accepted += 1
                case .failure(let e):
                    rejected += 1
                    #expect(e.offset.map { $0 >= 0 && $0 <= bytes.count } ?? true)
                    #expect(!e.message.isEmpty)
                }
            }
        }
        // Flips inside names or float payloads leave valid protobuf; flips in tags and lengths must not.
        #expect(rejected > bytes.count, "\(file): \(rejected) rejected, \(accepted) accepted")
    }

    @Test func bitFlipsInADigitsModel() throws {
        guard let bytes = try? Fixtures.bytes("digits/digits_mbv3.onnx") else { return }
        var rejected = 0
        for i in stride(from: 0, to: bytes.count, by: 5) {
            var flipped = bytes
            flipped[i] ^= 1 << (i % 8)
            if Self.parse(flipped).failure != nil { rejected += 1 }
        }
        #expect(rejected > 0)
    }

    @Test func garbageIsNotAModel() {
        #expect(Self.parse([]).failure?.kind == .invalidValue)  // no graph
        #expect(Self.parse(Array("not an onnx file\n".utf8)).failure != nil)
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let junk = (0..<Int.random(in: 0..<64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = Self.parse(junk)  // must return, whatever it returns
        }
    }

    // MARK: hand-built files with one known defect each

    @Test func wrongWireTypeNamesFieldPathAndOffset() throws {
        var attr = ProtoWriter()
        attr.varint(1, 5)  // name sent as a varint
        let good = ONNXProto.node("Relu", name: "r0")
        let bad = ONNXProto.node("Conv", name: "conv_3", attributes: [attr])
        let bytes = ONNXProto.model(graph: ONNXProto.graph(nodes: [good, bad]))
        let error = try #require(Self.parse(bytes).failure)
        #expect(error.kind == .malformedField)
        #expect(error.path == "graph.node[1].attribute[0]")
        #expect(error.message.hasPrefix("node 'conv_3' (Conv): "))
        #expect(error.message.contains("field 1 (name) has wire type 0, expected 2"))
        // The offset is the byte after the tag: the value that has the wrong type.
        let needle: [UInt8] = [0x08, 0x05]  // tag (field 1, varint) + value 5
        let at = try #require((0...(bytes.count - 2)).first { Array(bytes[$0..<$0 + 2]) == needle })
        #expect(error.offset == at + 1)
        #expect(error.description == "graph.node[1].attribute[0] (byte \(at + 1)): \(error.message)")
    }

    @Test func packedAndUnpackedIntsAndDimsReadTheSame() throws {
        let values: [Int64] = [1, -1, 0, 1 << 40]
        var packedTensor = ProtoWriter()
        packedTensor.packedVarints(1, [2, 2])
        packedTensor.varint(2, 7)  // INT64
        packedTensor.string(8, "p")
        packedTensor.packedVarints(7, values)
        var plainTensor = ProtoWriter()
        plainTensor.varint(1, 2); plainTensor.varint(1, 2); plainTensor.varint(2, 7); plainTensor.string(8, "p")
        for v in values { plainTensor.varint(7, v) }
        let nodeP = ONNXProto.node("Pad", name: "n", attributes: [ONNXProto.intsAttribute("pads", values, packed: true)])
        let nodeU = ONNXProto.node("Pad", name: "n", attributes: [ONNXProto.intsAttribute("pads", values, packed: false)])
        let a = try Self.parse(ONNXProto.model(graph: ONNXProto.graph(nodes: [nodeP], initializers: [packedTensor]))).get()
        let b = try Self.parse(ONNXProto.model(graph: ONNXProto.graph(nodes: [nodeU], initializers: [plainTensor]))).get()
        #expect(a == b)
        #expect(a.graph.nodes[0].attributes["pads"]?.ints == values)
        #expect(a.graph.initializers[0].dims == [2, 2])
        #expect(try a.graph.initializers[0].int64s() == values)
    }

    @Test func unknownFieldsOfEveryWireTypeAreSkipped() throws {
        func withJunk(_ w: ProtoWriter) -> ProtoWriter {
            var j = w
            j.varint(999, 1); j.fixed64(998, 2); j.fixed32(997, 3); j.string(996, "x")
            j.tag(995, 3); j.varint(1, 1); j.tag(995, 4)
            return j
        }
        let tensor = ONNXProto.floatTensor("w", dims: [2], raw: [1.5, -2])
        let node = ONNXProto.node("Relu", name: "r", attributes: [ONNXProto.intsAttribute("k", [3], packed: false)])
        let plain = try Self.parse(ONNXProto.model(graph: ONNXProto.graph(nodes: [node], initializers: [tensor]))).get()
        let junk = try Self.parse(ONNXProto.model(graph: withJunk(ONNXProto.graph(
            nodes: [withJunk(node)], initializers: [withJunk(tensor)])))).get()
        #expect(plain == junk)
        #expect(try junk.graph.initializers[0].floats() == [1.5, -2])
    }

    @Test func rawDataThatDoesNotMatchDimsIsReportedAtLoad() throws {
        let tensor = ONNXProto.floatTensor("w", dims: [2, 3], raw: [1, 2, 3, 4, 5])
        let error = try #require(Self.parse(ONNXProto.model(graph: ONNXProto.graph(initializers: [tensor]))).failure)
        #expect(error.kind == .dataSizeMismatch)
        #expect(error.path == "graph.initializer[0]")
        #expect(error.message.contains("needs 24 bytes of raw_data but has 20"))
    }

    /// Found by Tests/Fixtures/fuzz/mutate_convert.py: dims whose element count fits in Int but
    /// whose byte count (× 8 for INT64) does not trapped in the raw_data size check.
    @Test func rawDataByteCountOverflowIsAnError() throws {
        var t = ProtoWriter(); t.varint(1, 1 << 61); t.varint(2, 7); t.string(8, "huge"); t.bytes(9, [1, 0, 0, 0, 0, 0, 0, 0])
        let error = try #require(Self.parse(ONNXProto.model(graph: ONNXProto.graph(initializers: [t]))).failure)
        #expect(error.kind == .dataSizeMismatch)
        #expect(error.message.contains("tensor 'huge'"))
        #expect(error.message.contains("more bytes of raw_data than fit in memory"))
    }

    @Test func invalidTensorsHaveSpecificErrors() throws {
        func firstError(_ t: ProtoWriter) -> ONNXError? {
            Self.parse(ONNXProto.model(graph: ONNXProto.graph(initializers: [t]))).failure
        }
        var unknownType = ProtoWriter(); unknownType.varint(2, 99); unknownType.string(8, "u")
        #expect(firstError(unknownType)?.kind == .invalidValue)
        #expect(firstError(unknownType)?.message.contains("data_type 99") == true)
        var negative = ProtoWriter(); negative.varint(1, -3); negative.varint(2, 1); negative.string(8, "n")
        #expect(firstError(negative)?.kind == .invalidValue)
        var overflow = ProtoWriter(); overflow.varint(1, 1 << 40); overflow.varint(1, 1 << 40); overflow.varint(2, 1)
        #expect(firstError(overflow)?.kind == .invalidValue)
        var both = ProtoWriter(); both.varint(1, 1); both.varint(2, 1); both.packedFloats(4, [1]); both.bytes(9, [0, 0, 128, 63])
        #expect(firstError(both)?.kind == .conflictingFields)
        var short = ProtoWriter(); short.varint(1, 3); short.varint(2, 1); short.packedFloats(4, [1, 2])
        #expect(firstError(short)?.kind == .dataSizeMismatch)

        var int8OutOfRange = ProtoWriter(); int8OutOfRange.varint(1, 1); int8OutOfRange.varint(2, 3); int8OutOfRange.packedVarints(5, [200])
        let model = try Self.parse(ONNXProto.model(graph: ONNXProto.graph(initializers: [int8OutOfRange]))).get()
        do { _ = try model.graph.initializers[0].int8s(); Issue.record("200 accepted as int8") } catch {
            #expect(error.kind == .invalidValue)
        }
    }

    @Test func invalidUTF8AndDuplicatesAndMissingValues() throws {
        var badName = ProtoWriter(); badName.bytes(3, [0xC3, 0x28]); badName.string(4, "Relu")
        #expect(Self.parse(ONNXProto.model(graph: ONNXProto.graph(nodes: [badName]))).failure?.kind == .invalidUTF8)

        let twice = ONNXProto.node("Pad", name: "p", attributes: [ONNXProto.intsAttribute("pads", [1], packed: false),
                                                                   ONNXProto.intsAttribute("pads", [2], packed: false)])
        let dup = try #require(Self.parse(ONNXProto.model(graph: ONNXProto.graph(nodes: [twice]))).failure)
        #expect(dup.kind == .conflictingFields && dup.message.contains("'pads' appears twice"))

        var noTensor = ProtoWriter(); noTensor.string(1, "value"); noTensor.varint(20, 4)  // TENSOR without t
        let node = ONNXProto.node("Constant", name: "c", attributes: [noTensor])
        let missing = try #require(Self.parse(ONNXProto.model(graph: ONNXProto.graph(nodes: [node]))).failure)
        #expect(missing.kind == .invalidValue && missing.message.contains("node 'c' (Constant)"))

        let opsets = ONNXProto.model(graph: ONNXProto.graph(), opsets: [("", 13), ("", 14)])
        #expect(Self.parse(opsets).failure?.kind == .conflictingFields)
        #expect(Self.parse(ONNXProto.model(graph: ONNXProto.graph(), opsets: [])).failure?.kind == .invalidValue)
    }

    @Test func untypedAttributesFromOldFilesAreInferred() throws {
        var f = ProtoWriter(); f.string(1, "alpha"); f.fixed32(2, Float(0.25).bitPattern)
        var ints = ProtoWriter(); ints.string(1, "perm"); ints.varint(8, 0); ints.varint(8, 2); ints.varint(8, 1)
        let node = ONNXProto.node("Op", name: "n", attributes: [f, ints])
        let model = try Self.parse(ONNXProto.model(graph: ONNXProto.graph(nodes: [node]), irVersion: 1, opsets: [])).get()
        #expect(model.graph.nodes[0].attributes["alpha"] == .float(0.25))
        #expect(model.graph.nodes[0].attributes["perm"] == .ints([0, 2, 1]))
    }

    @Test func aiOnnxDomainCountsAsTheDefaultOpset() throws {
        let model = try Self.parse(ONNXProto.model(graph: ONNXProto.graph(), opsets: [("ai.onnx", 18)])).get()
        #expect(model.defaultOpsetVersion == 18)
    }

    @Test func subgraphsNestedTooDeeplyAreAnErrorNotAStackOverflow() {
        var graph = ONNXProto.graph(nodes: [ONNXProto.node("Relu", name: "leaf")])
        for level in 0..<200 {
            var attr = ProtoWriter(); attr.string(1, "body"); attr.message(6, graph); attr.varint(20, 5)
            graph = ONNXProto.graph(nodes: [ONNXProto.node("Loop", name: "l\(level)", attributes: [attr])])
        }
        let error = Self.parse(ONNXProto.model(graph: graph)).failure
        #expect(error?.kind == .nestingTooDeep)
    }

    @Test func missingFileNamesTheFile() {
        do {
            _ = try ONNXModel.load(path: "/nonexistent/model.onnx")
            Issue.record("loaded a missing file")
        } catch {
            #expect(error.kind == .fileUnreadable)
            #expect(error.file == "/nonexistent/model.onnx")
            #expect(error.description.hasPrefix("/nonexistent/model.onnx: "))
        }
    }

    @Test func fileErrorsCarryTheFileName() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sparrow-bad-\(UUID()).onnx")
        defer { try? FileManager.default.removeItem(at: url) }
        let bytes = try Fixtures.bytes("onnx/attributes.onnx")
        try Data(bytes[..<(bytes.count / 2)]).write(to: url)
        do { _ = try ONNXModel.load(path: url.path); Issue.record("half a file loaded") } catch {
            #expect(error.file == url.path)
            #expect(error.description.hasPrefix(url.path + ": graph"))
        }
    }
}
