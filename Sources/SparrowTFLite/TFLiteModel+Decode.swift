// Decoding Model and everything under it from flatbuffer bytes. Field indices are those of
// schema.fbs (declaration order; a union takes two: type, then value). Fields Sparrow does not
// need are skipped, so newer files still load; structure that would make the model mean
// something else (sparse tensors, custom quantization) is reported, not dropped.
import Foundation

extension TFLiteModel {
    /// Reads a .tflite file.
    public static func load(path: String) throws(TFLiteError) -> TFLiteModel {
        guard let data = FileManager.default.contents(atPath: path) else {
            var error = TFLiteError(.fileUnreadable, path: "", offset: nil,
                                    "cannot read the file (missing or not readable); pass the path of a .tflite model")
            error.file = path
            throw error
        }
        do throws(TFLiteError) {
            return try TFLiteModel(bytes: [UInt8](data))
        } catch {
            var error = error
            error.file = path
            throw error
        }
    }

    /// Decodes a serialized Model.
    public init(bytes: [UInt8]) throws(TFLiteError) {
        let buffer = FlatBuffer(bytes: bytes)
        let root = try buffer.root(identifier: "TFL3")
        let version = try root.uint32(0, "version")
        let codes = try (root.tables(1, "operator_codes") ?? []).map { t throws(TFLiteError) in try TFLiteOperatorCode(decoding: t) }
        let subgraphs = try root.tables(2, "subgraphs") ?? []
        guard let main = subgraphs.first else {
            throw TFLiteError(.invalidValue, path: "subgraphs", offset: root.position,
                              "the model has no subgraph (is the file complete?)")
        }
        let description = try root.string(3, "description") ?? ""
        let buffers = try (root.tables(4, "buffers") ?? []).map { t throws(TFLiteError) in try TFLiteBuffer(decoding: t) }
        let metadata = try (root.tables(6, "metadata") ?? []).map { t throws(TFLiteError) in try t.string(0, "name") ?? "" }
        let graph = try TFLiteSubgraph(decoding: main, operatorCodes: codes, buffers: buffers, bytes: bytes)
        var signatures: [TFLiteSignature] = []
        for t in try root.tables(7, "signature_defs") ?? [] {
            let signature = try TFLiteSignature(decoding: t)
            if signature.subgraphIndex == 0 {
                for (name, tensor) in signature.inputs + signature.outputs where tensor >= graph.tensors.count {
                    throw t.error(.invalidValue, "signature '\(signature.key)' maps '\(name)' to tensor \(tensor), but subgraph 0 has \(graph.tensors.count) tensors")
                }
            }
            signatures.append(signature)
        }
        self.init(bytes: bytes, version: version, description: description, operatorCodes: codes, graph: graph,
                  subgraphCount: subgraphs.count, buffers: buffers, signatures: signatures, metadataNames: metadata)
    }
}

extension TFLiteOperatorCode {
    init(decoding t: FlatTable) throws(TFLiteError) {
        let deprecated = try t.int8(0, "deprecated_builtin_code")
        let extended = try t.int32(3, "builtin_code")
        // LiteRT's GetBuiltinCode: the larger of the two fields is the real code.
        let code = Swift.max(extended, Int32(deprecated))
        guard code >= 0 else {
            throw t.error(.invalidValue, "builtin code \(code) is negative (the file is corrupt)")
        }
        self.init(builtin: TFLiteBuiltinOperator(rawValue: code), customCode: try t.string(1, "custom_code"),
                  version: try t.int32(2, "version", default: 1))
    }
}

extension TFLiteBuffer {
    init(decoding t: FlatTable) throws(TFLiteError) {
        let data = try t.byteRange(0, "data")
        let offset = try t.uint64(1, "offset")
        let size = try t.uint64(2, "size")
        // offset/size are only meaningful when offset > 1 (schema.fbs: "only valid if > 1").
        guard offset > 1 else {
            self.init(range: data ?? 0..<0, isExternal: false)
            return
        }
        if let data, !data.isEmpty {
            throw t.error(.invalidValue, "buffer has both inline data (\(data.count) bytes) and an external offset \(offset); the file is corrupt")
        }
        let fileSize = UInt64(t.buffer.count)
        guard offset <= fileSize, size <= fileSize - offset else {
            throw t.error(.outOfBounds, "external buffer of \(size) bytes at offset \(offset) lies outside the file of \(fileSize) bytes (file truncated?)")
        }
        self.init(range: Int(offset)..<Int(offset + size), isExternal: true)
    }
}

extension TFLiteSignature {
    init(decoding t: FlatTable) throws(TFLiteError) {
        func maps(_ index: Int, _ name: String) throws(TFLiteError) -> [(name: String, tensor: Int)] {
            try (t.tables(index, name) ?? []).map { m throws(TFLiteError) in
                (try m.string(0, "name") ?? "", Int(try m.uint32(1, "tensor_index")))
            }
        }
        self.init(key: try t.string(2, "signature_key") ?? "", subgraphIndex: Int(try t.uint32(4, "subgraph_index")),
                  inputs: try maps(0, "inputs"), outputs: try maps(1, "outputs"))
    }
}

extension TFLiteSubgraph {
    init(decoding t: FlatTable, operatorCodes: [TFLiteOperatorCode], buffers: [TFLiteBuffer], bytes: [UInt8]) throws(TFLiteError) {
        let tensorTables = try t.tables(0, "tensors") ?? []
        var tensors: [TFLiteTensor] = []
        tensors.reserveCapacity(tensorTables.count)
        for table in tensorTables {
            tensors.append(try TFLiteTensor(decoding: table, buffers: buffers))
        }
        func tensorIndices(_ index: Int, _ name: String, optional: Bool) throws(TFLiteError) -> [Int] {
            let raw = try t.int32s(index, name) ?? []
            for (i, v) in raw.enumerated() where !(0 <= v && Int(v) < tensors.count) && !(optional && v == -1) {
                throw t.error(.invalidValue, "\(name)[\(i)] is tensor \(v), but the subgraph has \(tensors.count) tensors")
            }
            return raw.map(Int.init)
        }
        let inputs = try tensorIndices(1, "inputs", optional: false)
        let outputs = try tensorIndices(2, "outputs", optional: false)
        var operators: [TFLiteOperator] = []
        for (index, table) in (try t.tables(3, "operators") ?? []).enumerated() {
            do throws(TFLiteError) {
                operators.append(try TFLiteOperator(decoding: table, operatorCodes: operatorCodes, tensorCount: tensors.count))
            } catch {
                // Every problem inside an operator names the operator and its opcode.
                var error = error
                error.operatorIndex = index
                if error.opcodeName == nil, let code = try? table.uint32(0, "opcode_index"), Int(code) < operatorCodes.count {
                    error.opcodeName = operatorCodes[Int(code)].displayName
                }
                throw error
            }
        }
        self.init(name: try t.string(4, "name") ?? "", tensors: tensors, inputs: inputs, outputs: outputs, operators: operators)
    }
}

extension TFLiteTensor {
    init(decoding t: FlatTable, buffers: [TFLiteBuffer]) throws(TFLiteError) {
        let name = try t.string(3, "name") ?? ""
        let shape32 = try t.int32s(0, "shape") ?? []
        for (i, d) in shape32.enumerated() where d < 0 {
            throw t.error(.invalidValue, "tensor '\(name)' has dimension \(i) = \(d); shapes must be static (a dynamic model must be given a fixed input size before conversion)")
        }
        let shape = shape32.map(Int.init)
        var elements = 1
        for d in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: d)
            guard !overflow, product <= Int(Int32.max) else {
                throw t.error(.invalidValue, "tensor '\(name)' has shape \(shape), over 2^31 elements")
            }
            elements = product
        }
        let rawType = try t.int8(1, "type")
        guard let type = TFLiteTensorType(rawValue: rawType) else {
            throw t.error(.invalidValue, "tensor '\(name)' has type \(rawType), not a TensorType (0...18)")
        }
        let bufferIndex = Int(try t.uint32(2, "buffer"))
        guard bufferIndex < buffers.count else {
            throw t.error(.invalidValue, "tensor '\(name)' refers to buffer \(bufferIndex), but the model has \(buffers.count) buffers")
        }
        if try t.table(6, "sparsity") != nil {
            throw t.error(.unsupported, "tensor '\(name)' is stored sparse (TFLite sparsity); Sparrow reads dense tensors: convert the model without sparsity")
        }
        let data = buffers[bufferIndex].range
        if !data.isEmpty, let size = type.byteSize, data.count != elements * size {
            throw t.error(.invalidValue, "tensor '\(name)' is \(type.name) \(shape) (\(elements * size) bytes) but its buffer \(bufferIndex) holds \(data.count) bytes")
        }
        var quantization: TFLiteQuantization? = nil
        if let q = try t.table(4, "quantization") {
            quantization = try TFLiteQuantization(decoding: q, tensorName: name, shape: shape)
        }
        self.init(name: name, shape: shape, shapeSignature: try t.int32s(7, "shape_signature")?.map(Int.init),
                  type: type, buffer: bufferIndex, quantization: quantization, isVariable: try t.bool(5, "is_variable"))
    }
}

extension TFLiteQuantization {
    /// Nil when the table holds no scale (LiteRT then treats the tensor as not quantized).
    init?(decoding t: FlatTable, tensorName name: String, shape: [Int]) throws(TFLiteError) {
        let (detailsType, _) = try t.union(4, "details")
        if detailsType != 0 {
            throw t.error(.unsupported, "tensor '\(name)' uses custom quantization (details type \(detailsType)); Sparrow reads affine scale/zero-point quantization")
        }
        let scales = try t.floats(2, "scale") ?? []
        guard !scales.isEmpty else { return nil }
        let zeroPoints = try t.int64s(3, "zero_point") ?? []
        guard zeroPoints.count == scales.count else {
            throw t.error(.invalidValue, "tensor '\(name)' has \(scales.count) scales but \(zeroPoints.count) zero points")
        }
        for (i, s) in scales.enumerated() where !(s.isFinite && s >= 0) {
            throw t.error(.invalidValue, "tensor '\(name)' has scale[\(i)] = \(s); scales must be finite and not negative")
        }
        let dimension = Int(try t.int32(6, "quantized_dimension"))
        if scales.count > 1 {
            guard dimension >= 0, dimension < shape.count, shape[dimension] == scales.count else {
                throw t.error(.invalidValue, "tensor '\(name)' \(shape) has \(scales.count) scales along quantized_dimension \(dimension), which does not match its shape")
            }
        }
        self.init(scales: scales, zeroPoints: zeroPoints, quantizedDimension: dimension,
                  min: try t.floats(0, "min") ?? [], max: try t.floats(1, "max") ?? [])
    }
}

extension TFLiteOperator {
    init(decoding t: FlatTable, operatorCodes: [TFLiteOperatorCode], tensorCount: Int) throws(TFLiteError) {
        let opcodeIndex = Int(try t.uint32(0, "opcode_index"))
        guard opcodeIndex < operatorCodes.count else {
            throw t.error(.invalidValue, "opcode_index \(opcodeIndex) is out of range (the model has \(operatorCodes.count) operator codes)")
        }
        let code = operatorCodes[opcodeIndex]
        func indices(_ index: Int, _ name: String, optional: Bool) throws(TFLiteError) -> [Int] {
            let raw = try t.int32s(index, name) ?? []
            for (i, v) in raw.enumerated() where !(0 <= v && Int(v) < tensorCount) && !(optional && v == -1) {
                throw t.error(.invalidValue, "\(name)[\(i)] is tensor \(v), but the subgraph has \(tensorCount) tensors")
            }
            return raw.map(Int.init)
        }
        let (unionType, optionsTable) = try t.union(3, "builtin_options")
        let options = try TFLiteOptions.decode(op: code.builtin, unionType: unionType, table: optionsTable,
                                               path: t.path + ".builtin_options")
        var custom = try t.byteRange(5, "custom_options")
        let largeOffset = try t.uint64(9, "large_custom_options_offset")
        if largeOffset > 1 {
            let size = try t.uint64(10, "large_custom_options_size")
            let fileSize = UInt64(t.buffer.count)
            guard largeOffset <= fileSize, size <= fileSize - largeOffset else {
                throw t.error(.outOfBounds, "custom options of \(size) bytes at offset \(largeOffset) lie outside the file of \(fileSize) bytes")
            }
            custom = Int(largeOffset)..<Int(largeOffset + size)
        }
        self.init(opcodeIndex: opcodeIndex, inputs: try indices(1, "inputs", optional: true),
                  outputs: try indices(2, "outputs", optional: false), options: options, customOptions: custom,
                  intermediates: try indices(8, "intermediates", optional: false))
    }
}
