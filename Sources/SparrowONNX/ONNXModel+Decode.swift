// Decoding ModelProto and everything under it from protobuf bytes. Field numbers are those of
// onnx.proto (onnx 1.22). Unknown fields are skipped, so newer files still load; fields Sparrow
// would need but cannot represent (sparse initializers, external data) are reported, not dropped.
import Foundation

extension ONNXModel {
    /// Reads an .onnx file.
    public static func load(path: String) throws(ONNXError) -> ONNXModel {
        guard let data = FileManager.default.contents(atPath: path) else {
            var error = ONNXError(.fileUnreadable, path: "", offset: nil,
                                  "cannot read the file (missing or not readable); pass the path of an .onnx model")
            error.file = path
            throw error
        }
        let bytes = [UInt8](data)
        do throws(ONNXError) {
            if let foreign = foreignFileError(bytes) { throw foreign }
            do throws(ONNXError) {
                return try ONNXModel(bytes: bytes)
            } catch where !startsLikeModelProto(bytes) || error.message.hasPrefix("the model has no graph") {
                throw ONNXError(.notONNX, path: "", offset: 0,
                                "this is not an ONNX model (it starts with \(leadingBytes(bytes))); "
                                + "pass the .onnx file exported from PyTorch (torch.onnx.export) or TensorFlow (tf2onnx)")
            }
        } catch {
            var error = error
            error.file = path
            throw error
        }
    }

    /// Decodes a serialized ModelProto.
    public init(bytes: [UInt8]) throws(ONNXError) {
        var r = ProtobufReader(bytes: bytes)
        self.init()
        var graph: ONNXGraph? = nil
        var opsetCount = 0
        var metadataCount = 0
        while let (field, wireType) = try r.readTag() {
            switch field {
            case 1: irVersion = try r.int64Field(wireType, field, "ir_version")
            case 2: producerName = try r.stringField(wireType, field, "producer_name")
            case 3: producerVersion = try r.stringField(wireType, field, "producer_version")
            case 4: domain = try r.stringField(wireType, field, "domain")
            case 5: modelVersion = try r.int64Field(wireType, field, "model_version")
            case 7:
                let start = r.offset
                var sub = try r.messageField(wireType, field, "graph", path: "graph")
                guard graph == nil else {
                    throw r.error(.conflictingFields, at: start, "the model has two graph fields (the file is corrupt)")
                }
                graph = try ONNXGraph(decoding: &sub)
            case 8:
                let start = r.offset
                var sub = try r.messageField(wireType, field, "opset_import", path: "opset_import[\(opsetCount)]")
                opsetCount += 1
                var domain = ""
                var version: Int64 = 0
                while let (f, w) = try sub.readTag() {
                    switch f {
                    case 1: domain = try sub.stringField(w, f, "domain")
                    case 2: version = try sub.int64Field(w, f, "version")
                    default: try sub.skip(field: f, wireType: w)
                    }
                }
                guard opsetImports[domain] == nil else {
                    throw sub.error(.conflictingFields, at: start, "opset_import lists domain '\(domain)' twice")
                }
                opsetImports[domain] = Int(truncatingIfNeeded: version)
            case 14:
                var sub = try r.messageField(wireType, field, "metadata_props", path: "metadata_props[\(metadataCount)]")
                metadataCount += 1
                let (key, value) = try sub.stringStringEntry()
                metadata[key] = value
            default:
                try r.skip(field: field, wireType: wireType)
            }
        }
        guard let graph else {
            throw ONNXError(.invalidValue, path: "", offset: bytes.count,
                            "the model has no graph (is this an .onnx file, and is it complete?)")
        }
        self.graph = graph
        // Every model since IR version 3 must say which operator sets it uses; a missing list
        // usually means the file was cut short.
        if opsetImports.isEmpty && irVersion >= 3 {
            throw ONNXError(.invalidValue, path: "opset_import", offset: bytes.count,
                            "IR version \(irVersion) model declares no opset_import (file truncated?)")
        }
    }
}

extension ONNXGraph {
    /// Decodes a GraphProto from the message `r` reads.
    init(decoding r: inout ProtobufReader) throws(ONNXError) {
        self.init()
        let p = r.path
        while let (field, wireType) = try r.readTag() {
            switch field {
            case 1:
                var sub = try r.messageField(wireType, field, "node", path: "\(p).node[\(nodes.count)]")
                nodes.append(try ONNXNode(decoding: &sub))
            case 2: name = try r.stringField(wireType, field, "name")
            case 5:
                var sub = try r.messageField(wireType, field, "initializer", path: "\(p).initializer[\(initializers.count)]")
                initializers.append(try ONNXTensor(decoding: &sub))
            case 11:
                var sub = try r.messageField(wireType, field, "input", path: "\(p).input[\(inputs.count)]")
                inputs.append(try ONNXValueInfo(decoding: &sub))
            case 12:
                var sub = try r.messageField(wireType, field, "output", path: "\(p).output[\(outputs.count)]")
                outputs.append(try ONNXValueInfo(decoding: &sub))
            case 13:
                var sub = try r.messageField(wireType, field, "value_info", path: "\(p).value_info[\(valueInfo.count)]")
                valueInfo.append(try ONNXValueInfo(decoding: &sub))
            case 15:
                throw r.error(.unsupported, "graph '\(name)' has a sparse_initializer, which Sparrow does not read; "
                    + "store the tensor densely (onnx.numpy_helper.from_array) as an ordinary initializer")
            default:
                try r.skip(field: field, wireType: wireType)
            }
        }
    }
}

extension ONNXNode {
    init(decoding r: inout ProtobufReader) throws(ONNXError) {
        self.init()
        var attributeCount = 0
        while let (field, wireType) = try r.readTag() {
            switch field {
            case 1: inputs.append(try r.stringField(wireType, field, "input"))
            case 2: outputs.append(try r.stringField(wireType, field, "output"))
            case 3: name = try r.stringField(wireType, field, "name")
            case 4: opType = try r.stringField(wireType, field, "op_type")
            case 7: domain = try r.stringField(wireType, field, "domain")
            case 5:
                let start = r.offset
                do throws(ONNXError) {
                    var sub = try r.messageField(wireType, field, "attribute", path: "\(r.path).attribute[\(attributeCount)]")
                    attributeCount += 1
                    let (attributeName, value) = try decodeAttribute(&sub)
                    guard attributes[attributeName] == nil else {
                        throw sub.error(.conflictingFields, at: start, "attribute '\(attributeName)' appears twice")
                    }
                    attributes[attributeName] = value
                } catch {
                    // Name the node the way converter errors do: node 'conv_3' (Conv).
                    var error = error
                    error.message = "node '\(name)' (\(opType.isEmpty ? "op type not yet read" : opType)): " + error.message
                    throw error
                }
            default:
                try r.skip(field: field, wireType: wireType)
            }
        }
    }
}

/// Decodes one AttributeProto; returns its name and value.
private func decodeAttribute(_ r: inout ProtobufReader) throws(ONNXError) -> (String, ONNXAttribute) {
    var name = ""
    var typeCode: Int32? = nil
    var f: Float? = nil, i: Int64? = nil, s: [UInt8]? = nil
    var t: ONNXTensor? = nil, g: ONNXGraph? = nil
    var floats: [UInt32] = [], ints: [UInt64] = [], strings: [[UInt8]] = []
    var tensors: [ONNXTensor] = [], graphs: [ONNXGraph] = []
    var seenRepeated = Set<Int>()
    let p = r.path
    do throws(ONNXError) {
        while let (field, wireType) = try r.readTag() {
            switch field {
            case 1: name = try r.stringField(wireType, field, "name")
            case 20: typeCode = Int32(truncatingIfNeeded: try r.int64Field(wireType, field, "type"))
            case 2:
                try r.expect(wireType, is: .fixed32, field: field, name: "f")
                f = try r.readFloat()
            case 3: i = try r.int64Field(wireType, field, "i")
            case 4:
                try r.expect(wireType, is: .lengthDelimited, field: field, name: "s")
                s = try r.readBytes()
            case 5:
                var sub = try r.messageField(wireType, field, "t", path: "\(p).t")
                t = try ONNXTensor(decoding: &sub)
            case 6:
                var sub = try r.messageField(wireType, field, "g", path: "\(p).g")
                g = try ONNXGraph(decoding: &sub)
            case 7:
                seenRepeated.insert(field)
                try r.readRepeatedFixed32(wireType, field: field, into: &floats)
            case 8:
                seenRepeated.insert(field)
                try r.readRepeatedVarint(wireType, field: field, into: &ints)
            case 9:
                seenRepeated.insert(field)
                try r.expect(wireType, is: .lengthDelimited, field: field, name: "strings")
                strings.append(try r.readBytes())
            case 10:
                seenRepeated.insert(field)
                var sub = try r.messageField(wireType, field, "tensors", path: "\(p).tensors[\(tensors.count)]")
                tensors.append(try ONNXTensor(decoding: &sub))
            case 11:
                seenRepeated.insert(field)
                var sub = try r.messageField(wireType, field, "graphs", path: "\(p).graphs[\(graphs.count)]")
                graphs.append(try ONNXGraph(decoding: &sub))
            default:
                // sparse_tensor(s), tp, type_protos, ref_attr_name, doc_string: not read.
                try r.skip(field: field, wireType: wireType)
            }
        }
    } catch {
        var error = error
        if !name.isEmpty { error.message = "attribute '\(name)': " + error.message }
        throw error
    }

    func missing(_ what: String) -> ONNXError {
        r.error(.invalidValue, "attribute '\(name)' has type \(what) but no value")
    }
    let value: ONNXAttribute
    switch typeCode ?? 0 {
    case 1: value = .float(f ?? 0)
    case 2: value = .int(i ?? 0)
    case 3: value = .string(s ?? [])
    case 4: guard let t else { throw missing("TENSOR") }; value = .tensor(t)
    case 5: guard let g else { throw missing("GRAPH") }; value = .graph(g)
    case 6: value = .floats(floats.map { Float(bitPattern: $0) })
    case 7: value = .ints(ints.map { Int64(bitPattern: $0) })
    case 8: value = .strings(strings)
    case 9: value = .tensors(tensors)
    case 10: value = .graphs(graphs)
    case 11, 12, 13, 14: value = .unsupported(typeCode: typeCode!)
    case 0:
        // IR version 1 files may omit `type`; infer it from the one value field present.
        if let f { value = .float(f) }
        else if let i { value = .int(i) }
        else if let s { value = .string(s) }
        else if let t { value = .tensor(t) }
        else if let g { value = .graph(g) }
        else if seenRepeated.contains(7) { value = .floats(floats.map { Float(bitPattern: $0) }) }
        else if seenRepeated.contains(8) { value = .ints(ints.map { Int64(bitPattern: $0) }) }
        else if seenRepeated.contains(9) { value = .strings(strings) }
        else if seenRepeated.contains(10) { value = .tensors(tensors) }
        else if seenRepeated.contains(11) { value = .graphs(graphs) }
        else { throw r.error(.invalidValue, "attribute '\(name)' has neither a type nor a value") }
    default:
        throw r.error(.invalidValue, "attribute '\(name)' has unknown type code \(typeCode!)")
    }
    return (name, value)
}

extension ONNXTensor {
    init(decoding r: inout ProtobufReader) throws(ONNXError) {
        let messageStart = r.offset
        var name = ""
        var dims: [UInt64] = []
        var typeCode: Int32 = 0
        var floats: [UInt32] = [], int32s: [UInt64] = [], int64s: [UInt64] = []
        var doubles: [UInt64] = [], uint64s: [UInt64] = [], strings: [[UInt8]] = []
        var raw: [UInt8]? = nil
        var external: [(String, String)] = []
        var dataLocation: Int64 = 0
        var dataFields = Set<String>()
        while let (field, wireType) = try r.readTag() {
            switch field {
            case 1: try r.readRepeatedVarint(wireType, field: field, into: &dims)
            case 2: typeCode = Int32(truncatingIfNeeded: try r.int64Field(wireType, field, "data_type"))
            case 4: dataFields.insert("float_data"); try r.readRepeatedFixed32(wireType, field: field, into: &floats)
            case 5: dataFields.insert("int32_data"); try r.readRepeatedVarint(wireType, field: field, into: &int32s)
            case 6:
                dataFields.insert("string_data")
                try r.expect(wireType, is: .lengthDelimited, field: field, name: "string_data")
                strings.append(try r.readBytes())
            case 7: dataFields.insert("int64_data"); try r.readRepeatedVarint(wireType, field: field, into: &int64s)
            case 8: name = try r.stringField(wireType, field, "name")
            case 9:
                dataFields.insert("raw_data")
                try r.expect(wireType, is: .lengthDelimited, field: field, name: "raw_data")
                raw = try r.readBytes()
            case 10: dataFields.insert("double_data"); try r.readRepeatedFixed64(wireType, field: field, into: &doubles)
            case 11: dataFields.insert("uint64_data"); try r.readRepeatedVarint(wireType, field: field, into: &uint64s)
            case 13:
                var sub = try r.messageField(wireType, field, "external_data", path: "\(r.path).external_data[\(external.count)]")
                external.append(try sub.stringStringEntry())
            case 14: dataLocation = try r.int64Field(wireType, field, "data_location")
            default: try r.skip(field: field, wireType: wireType)
            }
        }
        let label = name.isEmpty ? "tensor" : "tensor '\(name)'"
        guard let dataType = ONNXDataType(rawValue: typeCode) else {
            throw r.error(.invalidValue, at: messageStart, "\(label) has data_type \(typeCode), "
                + (typeCode == 0 ? "UNDEFINED" : "which this ONNX reader does not know (onnx 1.22 defines 1...26)"))
        }
        var shape: [Int] = []
        var count = 1
        for d in dims {
            guard d <= UInt64(Int.max), case let (product, overflow) = count.multipliedReportingOverflow(by: Int(d)), !overflow else {
                throw r.error(.invalidValue, at: messageStart, "\(label) has dims \(dims.map { Int64(bitPattern: $0) }) "
                    + "(negative, or more elements than fit in memory)")
            }
            shape.append(Int(d))
            count = product
        }

        let data: ONNXTensorData
        if dataLocation == 1 || !external.isEmpty {
            data = .external(location: external.first(where: { $0.0 == "location" })?.1 ?? "")
        } else {
            guard dataFields.count <= 1 else {
                throw r.error(.conflictingFields, at: messageStart,
                              "\(label) stores data in several fields (\(dataFields.sorted().joined(separator: ", "))); ONNX allows one")
            }
            switch dataFields.first {
            case "float_data": data = .floatData(floats.map { Float(bitPattern: $0) })
            case "int32_data": data = .int32Data(int32s.map { Int32(truncatingIfNeeded: $0) })
            case "int64_data": data = .int64Data(int64s.map { Int64(bitPattern: $0) })
            case "double_data": data = .doubleData(doubles.map { Double(bitPattern: $0) })
            case "uint64_data": data = .uint64Data(uint64s)
            case "string_data": data = .stringData(strings)
            default: data = .raw(raw ?? [])
            }
        }
        self.init(name: name, dataType: dataType, dims: shape, data: data)
        try checkStoredCount(count, reader: r, at: messageStart)
    }

    /// Checks at load time, with the file position, that the stored elements match the dims for
    /// the layouts where one stored item is one element.
    private func checkStoredCount(_ count: Int, reader r: ProtobufReader, at offset: Int) throws(ONNXError) {
        let subByte: Set<ONNXDataType> = [.uint4, .int4, .float4e2m1, .uint2, .int2]
        let complex: Set<ONNXDataType> = [.complex64, .complex128]
        guard !subByte.contains(dataType), !complex.contains(dataType) else { return }
        let stored: Int
        switch data {
        case .raw(let b):
            guard let width = dataType.rawByteWidth else { return }
            if b.isEmpty && count > 0 {
                throw r.error(.dataSizeMismatch, at: offset, "tensor '\(name)' (\(dataType.name), dims \(dims)) has no data")
            }
            // count fits in Int, count × width may not (dims [2^62] of an 8-byte type).
            let (needed, overflow) = count.multipliedReportingOverflow(by: width)
            guard !overflow, b.count == needed else {
                throw r.error(.dataSizeMismatch, at: offset, "tensor '\(name)' (\(dataType.name), dims \(dims)) needs "
                    + (overflow ? "more bytes of raw_data than fit in memory" : "\(needed) bytes of raw_data")
                    + " but has \(b.count)")
            }
            return
        case .floatData(let v): stored = v.count
        case .int32Data(let v): stored = v.count
        case .int64Data(let v): stored = v.count
        case .doubleData(let v): stored = v.count
        case .uint64Data(let v): stored = v.count
        case .stringData(let v): stored = v.count
        case .external: return
        }
        guard stored == count else {
            throw r.error(.dataSizeMismatch, at: offset, "tensor '\(name)' (\(dataType.name), dims \(dims)) has \(count) "
                + "elements but \(data.fieldName) holds \(stored)")
        }
    }
}

extension ONNXValueInfo {
    init(decoding r: inout ProtobufReader) throws(ONNXError) {
        self.init()
        while let (field, wireType) = try r.readTag() {
            switch field {
            case 1: name = try r.stringField(wireType, field, "name")
            case 2:
                var typeProto = try r.messageField(wireType, field, "type", path: "\(r.path).type")
                while let (f, w) = try typeProto.readTag() {
                    guard f == 1 else { try typeProto.skip(field: f, wireType: w); continue }  // not a dense tensor
                    var tensorType = try typeProto.messageField(w, f, "tensor_type", path: "\(typeProto.path).tensor_type")
                    isTensor = true
                    try decodeTensorType(&tensorType)
                }
            default:
                try r.skip(field: field, wireType: wireType)
            }
        }
    }

    private mutating func decodeTensorType(_ r: inout ProtobufReader) throws(ONNXError) {
        while let (field, wireType) = try r.readTag() {
            switch field {
            case 1:
                let start = r.offset
                let code = Int32(truncatingIfNeeded: try r.int64Field(wireType, field, "elem_type"))
                guard code == 0 || ONNXDataType(rawValue: code) != nil else {
                    throw r.error(.invalidValue, at: start, "value '\(name)' has unknown elem_type \(code)")
                }
                elemType = ONNXDataType(rawValue: code)
            case 2:
                var shapeProto = try r.messageField(wireType, field, "shape", path: "\(r.path).shape")
                var dims: [ONNXDim] = []
                while let (f, w) = try shapeProto.readTag() {
                    guard f == 1 else { try shapeProto.skip(field: f, wireType: w); continue }
                    var dimProto = try shapeProto.messageField(w, f, "dim", path: "\(shapeProto.path).dim[\(dims.count)]")
                    var dim = ONNXDim.unknown
                    while let (df, dw) = try dimProto.readTag() {
                        switch df {
                        case 1:
                            let v = try dimProto.int64Field(dw, df, "dim_value")
                            dim = v >= 0 ? .value(Int(v)) : .unknown
                        case 2: dim = .param(try dimProto.stringField(dw, df, "dim_param"))
                        default: try dimProto.skip(field: df, wireType: dw)
                        }
                    }
                    dims.append(dim)
                }
                shape = dims
            default:
                try r.skip(field: field, wireType: wireType)
            }
        }
    }
}

// MARK: field helpers: check the wire type a declared field must have, then read it

extension ProtobufReader {
    mutating func stringField(_ wireType: ProtobufWireType, _ field: Int, _ name: String) throws(ONNXError) -> String {
        try expect(wireType, is: .lengthDelimited, field: field, name: name)
        return try readString()
    }

    mutating func int64Field(_ wireType: ProtobufWireType, _ field: Int, _ name: String) throws(ONNXError) -> Int64 {
        try expect(wireType, is: .varint, field: field, name: name)
        return try readInt64()
    }

    mutating func messageField(_ wireType: ProtobufWireType, _ field: Int, _ name: String,
                               path: String) throws(ONNXError) -> ProtobufReader {
        try expect(wireType, is: .lengthDelimited, field: field, name: name)
        return try readMessage(path: path)
    }

    /// StringStringEntryProto: key = 1, value = 2.
    mutating func stringStringEntry() throws(ONNXError) -> (String, String) {
        var key = "", value = ""
        while let (f, w) = try readTag() {
            switch f {
            case 1: key = try stringField(w, f, "key")
            case 2: value = try stringField(w, f, "value")
            default: try skip(field: f, wireType: w)
            }
        }
        return (key, value)
    }
}
