// The reader on hand-built models: every field it decodes, operator-code resolution, the
// options of each imported operator, external buffers, signatures, and errors that name the
// operator at fault.
import XCTest
@testable import SparrowTFLite

final class TFLiteReaderTests: XCTestCase {
    func testConvModelDecodesTensorsQuantizationBuffersAndSignatures() throws {
        let model = try TFLiteModel(bytes: TF.bytes(TF.convModel()))
        XCTAssertEqual(model.version, 3)
        XCTAssertEqual(model.description, "hand-built")
        XCTAssertEqual(model.subgraphCount, 1)
        XCTAssertEqual(model.graph.name, "main")
        XCTAssertEqual(model.graph.inputs, [0])
        XCTAssertEqual(model.graph.outputs, [3])
        XCTAssertEqual(model.graph.tensors.map(\.name), ["input", "filter", "bias", "output"])
        XCTAssertEqual(model.graph.tensors[0].shape, [1, 4, 4, 2])
        XCTAssertEqual(model.graph.tensors[0].type, .int8)
        XCTAssertEqual(model.graph.tensors[2].type, .int32)
        XCTAssertEqual(model.graph.tensors[0].quantization?.scales, [0.5])
        XCTAssertEqual(model.graph.tensors[0].quantization?.zeroPoints, [-3])
        let filterQ = try XCTUnwrap(model.graph.tensors[1].quantization)
        XCTAssertTrue(filterQ.isPerAxis)
        XCTAssertEqual(filterQ.scales, [0.25, 0.125, 0.0625])
        XCTAssertEqual(filterQ.quantizedDimension, 0)
        XCTAssertEqual(Array(model.data(of: model.graph.tensors[1])).map { Int8(bitPattern: $0) }, [-3, -2, -1, 0, 1, 2])
        XCTAssertEqual(Array(model.data(of: model.graph.tensors[2])), [1, 0, 0, 0, 0xFE, 0xFF, 0xFF, 0xFF, 3, 0, 0, 0])
        XCTAssertTrue(model.data(of: model.graph.tensors[0]).isEmpty)

        let op = model.graph.operators[0]
        XCTAssertEqual(model.opcode(of: op).builtin, .conv2D)
        XCTAssertEqual(op.inputs, [0, 1, 2])
        XCTAssertEqual(op.outputs, [3])
        XCTAssertEqual(op.options, .conv2D(TFLiteConv2DOptions(padding: .valid, strideW: 1, strideH: 1, dilationW: 1,
                                                               dilationH: 1, activation: .relu6, quantizedBiasType: nil)))
        XCTAssertEqual(model.signatures.count, 1)
        XCTAssertEqual(model.signatures[0].key, "serving_default")
        XCTAssertEqual(model.signatures[0].inputs.map(\.name), ["x"])
        XCTAssertEqual(model.signatures[0].outputs.map(\.tensor), [3])
        XCTAssertNoThrow(try model.checkSupported())
    }

    func testOperatorCodeResolution() throws {
        // Old files: only the byte-sized deprecated field. New files with codes >= 127: the
        // deprecated field holds the placeholder 127 and builtin_code the real code.
        var root = TF.convModel()
        root[1] = .tables([
            FBTable([0: .int8(3)]),                                 // deprecated only: CONV_2D
            TF.opcode(150, deprecated: 127),                        // GELU
            TF.opcode(32, custom: "Convolution2DTransposeBias"),    // custom
            FBTable([0: .int8(4), 2: .int32(2), 3: .int32(0)]),     // builtin_code 0 (absent), deprecated 4
        ])
        let model = try TFLiteModel(bytes: TF.bytes(root))
        XCTAssertEqual(model.operatorCodes.map(\.builtin), [.conv2D, TFLiteBuiltinOperator(rawValue: 150), .custom, .depthwiseConv2D])
        XCTAssertEqual(model.operatorCodes[1].builtin.name, "GELU")
        XCTAssertEqual(model.operatorCodes[2].displayName, "CUSTOM 'Convolution2DTransposeBias'")
        XCTAssertEqual(model.operatorCodes[3].version, 2)
        XCTAssertEqual(model.operatorCodes[0].version, 1, "version defaults to 1")
        XCTAssertEqual(TFLiteBuiltinOperator(rawValue: 205).name, "REDUCE_WINDOW")
        XCTAssertEqual(TFLiteBuiltinOperator(rawValue: 999).name, "BUILTIN_999")
        XCTAssertEqual(TFLiteBuiltinOperator(name: "HARD_SWISH"), .hardSwish)
    }

    /// Decodes one operator with the given opcode and options union (type, table).
    private func options(_ code: Int32, _ union: (UInt8, FBTable)?, inputs: [Int32] = [0]) throws -> TFLiteOptions {
        let root = TF.model(opcodes: [TF.opcode(code)],
                            tensors: [TF.tensor("x", [1, 2, 2, 1]), TF.tensor("y", [1, 2, 2, 1])],
                            operators: [TF.op(0, inputs: inputs, outputs: [1], options: union)],
                            buffers: [TF.buffer()], inputs: [0], outputs: [1])
        return try TFLiteModel(bytes: TF.bytes(root)).graph.operators[0].options
    }

    func testOptionsOfEveryImportedOperator() throws {
        XCTAssertEqual(try options(4, (2, FBTable([0: .int8(0), 1: .int32(2), 2: .int32(3), 3: .int32(2), 4: .int8(1), 5: .int32(2)]))),
                       .depthwiseConv2D(TFLiteDepthwiseConv2DOptions(padding: .same, strideW: 2, strideH: 3, depthMultiplier: 2,
                                                                     dilationW: 2, dilationH: 1, activation: .relu)))
        XCTAssertEqual(try options(17, (5, FBTable([0: .int8(1), 1: .int32(2), 2: .int32(2), 3: .int32(3), 4: .int32(2), 5: .int8(2)]))),
                       .pool2D(TFLitePool2DOptions(padding: .valid, strideW: 2, strideH: 2, filterW: 3, filterH: 2, activation: .reluN1To1)))
        XCTAssertEqual(try options(9, (8, FBTable([0: .int8(1), 2: .bool(true)]))),
                       .fullyConnected(TFLiteFullyConnectedOptions(activation: .relu, weightsFormat: 0, keepNumDims: true,
                                                                   asymmetricQuantizeInputs: false, quantizedBiasType: nil)))
        XCTAssertEqual(try options(67, (49, FBTable([0: .int8(0), 1: .int32(2), 2: .int32(2), 3: .int8(3), 4: .int8(7)]))),
                       .transposeConv(TFLiteTransposeConvOptions(padding: .same, strideW: 2, strideH: 2, activation: .relu6,
                                                                 quantizedBiasType: .int16)))
        XCTAssertEqual(try options(0, (11, FBTable([0: .int8(1)]))), .add(activation: .relu, potScaleInt16: true))
        XCTAssertEqual(try options(41, (28, FBTable([0: .int8(3), 1: .bool(false)]))), .sub(activation: .relu6, potScaleInt16: false))
        XCTAssertEqual(try options(18, (21, FBTable([0: .int8(2)]))), .mul(activation: .reluN1To1))
        XCTAssertEqual(try options(2, (10, FBTable([0: .int32(-1), 1: .int8(0)]))), .concatenation(axis: -1, activation: TFLiteActivation.none))
        XCTAssertEqual(try options(25, (9, FBTable([0: .float(0.5)]))), .softmax(beta: 0.5))
        XCTAssertEqual(try options(40, (27, FBTable([0: .bool(true)]))), .reducer(keepDims: true))
        XCTAssertEqual(try options(22, (17, FBTable([0: .int32s([1, -1])]))), .reshape(newShape: [1, -1]))
        XCTAssertEqual(try options(22, nil), .reshape(newShape: nil))
        XCTAssertEqual(try options(43, (30, FBTable([0: .int32s([1, 2])]))), .squeeze(dims: [1, 2]))
        XCTAssertEqual(try options(45, (32, FBTable([0: .int32(1), 1: .int32(2), 2: .int32(0), 3: .int32(0), 4: .int32(8), 5: .bool(true)]))),
                       .stridedSlice(TFLiteStridedSliceOptions(beginMask: 1, endMask: 2, ellipsisMask: 0, newAxisMask: 0,
                                                               shrinkAxisMask: 8, offset: true)))
        // ResizeBilinear: fields 0/1 are the deprecated new_height/new_width.
        XCTAssertEqual(try options(23, (15, FBTable([0: .int32(9), 1: .int32(9), 3: .bool(true)]))),
                       .resizeBilinear(TFLiteResizeOptions(alignCorners: false, halfPixelCenters: true)))
        XCTAssertEqual(try options(97, (74, FBTable([0: .bool(true)]))),
                       .resizeNearestNeighbor(TFLiteResizeOptions(alignCorners: true, halfPixelCenters: false)))
        XCTAssertEqual(try options(56, (40, FBTable([0: .int8(2)]))), .argMax(outputType: .int32))
        XCTAssertEqual(try options(56, (40, FBTable())), .argMax(outputType: nil))
        XCTAssertEqual(try options(98, (75, FBTable([0: .float(0.2)]))), .leakyRelu(alpha: 0.2))
        for (code, type) in [(34, 22), (60, 43), (114, 89), (6, 38), (55, 39), (57, 39), (117, 91)] as [(Int32, UInt8)] {
            XCTAssertEqual(try options(code, (type, FBTable())), .empty, "opcode \(code)")
        }
        for code: Int32 in [14, 28, 19, 21, 54] {
            XCTAssertEqual(try options(code, nil), TFLiteOptions.none, "opcode \(code)")
        }
        // Absent options give the schema defaults.
        XCTAssertEqual(try options(0, nil), .add(activation: .none, potScaleInt16: true))
        XCTAssertEqual(try options(2, nil), .concatenation(axis: 0, activation: .none))
    }

    func testOptionErrorsNameTheOperatorAndField() throws {
        // A convolution without options has stride 0.
        XCTAssertThrowsError(try options(3, nil)) { error in
            let e = error as! TFLiteError
            XCTAssertEqual(e.kind, .invalidValue)
            XCTAssertEqual(e.operatorIndex, 0)
            XCTAssertEqual(e.opcodeName, "CONV_2D")
            XCTAssertTrue(e.description.contains("operator 0 (CONV_2D)"), e.description)
            XCTAssertTrue(e.message.contains("stride_w is 0"), e.message)
        }
        // CONV_2D carrying Pool2DOptions.
        XCTAssertThrowsError(try options(3, (5, FBTable([1: .int32(1)])))) { error in
            let e = error as! TFLiteError
            XCTAssertEqual(e.opcodeName, "CONV_2D")
            XCTAssertTrue(e.message.contains("takes Conv2DOptions (type 1)"), e.message)
        }
        XCTAssertThrowsError(try options(0, (11, FBTable([0: .int8(9)])))) { error in
            XCTAssertTrue((error as! TFLiteError).message.contains("fused_activation_function 9"), "\(error)")
        }
        XCTAssertThrowsError(try options(3, (1, FBTable([0: .int8(2), 1: .int32(1), 2: .int32(1)])))) { error in
            XCTAssertTrue((error as! TFLiteError).message.contains("padding 2"), "\(error)")
        }
        // An input tensor index out of range; -1 (omitted optional input) is fine.
        XCTAssertThrowsError(try options(0, nil, inputs: [0, 7])) { error in
            let e = error as! TFLiteError
            XCTAssertEqual(e.operatorIndex, 0)
            XCTAssertEqual(e.opcodeName, "ADD")
            XCTAssertTrue(e.message.contains("inputs[1] is tensor 7"), e.message)
        }
        XCTAssertNoThrow(try options(0, nil, inputs: [0, -1]))
    }

    func testBufferStoredAfterTheFlatbuffer() throws {
        // Large models keep constants after the flatbuffer, addressed by offset/size from the
        // start of the file. Build the model, then append the data and point the buffer at it.
        let payload: [UInt8] = [7, 6, 5, 4, 3, 2]
        var root = TF.convModel()
        let placeholder = UInt64(0xABCD_EF01_2345)
        root[4] = .tables([TF.buffer(), FBTable([1: .uint64(placeholder), 2: .uint64(6)]), TF.buffer([1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0])])
        var bytes = TF.bytes(root)
        let offset = bytes.count
        bytes += payload
        let at = try XCTUnwrap(findUInt64(placeholder, in: bytes))
        for i in 0..<8 { bytes[at + i] = UInt8(truncatingIfNeeded: UInt64(offset) >> (8 * UInt64(i))) }
        let model = try TFLiteModel(bytes: bytes)
        XCTAssertTrue(model.buffers[1].isExternal)
        XCTAssertEqual(Array(model.data(of: model.graph.tensors[1])), payload)

        // The same offset one byte further runs past the end of the file.
        for i in 0..<8 { bytes[at + i] = UInt8(truncatingIfNeeded: UInt64(offset + 1) >> (8 * UInt64(i))) }
        XCTAssertThrowsError(try TFLiteModel(bytes: bytes)) { error in
            XCTAssertEqual((error as! TFLiteError).kind, .outOfBounds)
            XCTAssertEqual((error as! TFLiteError).path, "buffers[1]")
        }
    }

    func testTensorConsistencyErrors() throws {
        func tensorError(_ tensor: FBTable, buffers: [FBTable] = [TF.buffer()]) -> TFLiteError? {
            let root = TF.model(opcodes: [TF.opcode(19)], tensors: [tensor, TF.tensor("y", [1])],
                                operators: [TF.op(0, inputs: [0], outputs: [1])], buffers: buffers, inputs: [0], outputs: [1])
            do { _ = try TFLiteModel(bytes: TF.bytes(root)); return nil } catch { return error }
        }
        XCTAssertTrue(tensorError(TF.tensor("w", [2, 3], buffer: 1), buffers: [TF.buffer(), TF.buffer([1, 2, 3])])?
            .message.contains("holds 3 bytes") ?? false)
        XCTAssertTrue(tensorError(TF.tensor("w", [2], buffer: 5))?.message.contains("refers to buffer 5") ?? false)
        XCTAssertTrue(tensorError(TF.tensor("w", [2, -1]))?.message.contains("dimension 1 = -1") ?? false)
        XCTAssertTrue(tensorError(TF.tensor("w", [65536, 65536, 2]))?.message.contains("over 2^31 elements") ?? false)
        XCTAssertTrue(tensorError(TF.tensor("w", [2], type: 42))?.message.contains("type 42") ?? false)
        XCTAssertTrue(tensorError(TF.tensor("w", [2, 3], quantization: TF.quantization(scales: [1, 2], zeroPoints: [0, 0], dimension: 1)))?
            .message.contains("quantized_dimension 1") ?? false)
        XCTAssertTrue(tensorError(TF.tensor("w", [2], quantization: TF.quantization(scales: [1], zeroPoints: [])))?
            .message.contains("1 scales but 0 zero points") ?? false)
        XCTAssertEqual(tensorError(FBTable([0: .int32s([2]), 3: .string("s"), 6: .table(FBTable())]))?.kind, .unsupported)
        // No scale: not quantized.
        let root = TF.model(opcodes: [TF.opcode(19)], tensors: [TF.tensor("x", [1], quantization: FBTable([3: .int64s([])])), TF.tensor("y", [1])],
                            operators: [TF.op(0, inputs: [0], outputs: [1])], buffers: [TF.buffer()], inputs: [0], outputs: [1])
        XCTAssertNil(try TFLiteModel(bytes: TF.bytes(root)).graph.tensors[0].quantization)
    }

    func testUnsupportedOperatorsAreListedAllAtOnce() throws {
        let root = TF.model(
            opcodes: [TF.opcode(36), TF.opcode(3), TF.opcode(32, custom: "MaxPoolingWithArgmax2D"), TF.opcode(150, deprecated: 127)],
            tensors: [TF.tensor("x", [1]), TF.tensor("y", [1])],
            operators: [TF.op(0, inputs: [0], outputs: [1]), TF.op(2, inputs: [0], outputs: [1]),
                        TF.op(0, inputs: [0], outputs: [1]), TF.op(3, inputs: [0], outputs: [1])],
            buffers: [TF.buffer()], inputs: [0], outputs: [1])
        let model = try TFLiteModel(bytes: TF.bytes(root))
        XCTAssertEqual(model.unsupportedOperators().map(\.name), ["GATHER", "CUSTOM 'MaxPoolingWithArgmax2D'", "GELU"])
        XCTAssertEqual(model.unsupportedOperators().map(\.operators), [[0, 2], [1], [3]])
        XCTAssertThrowsError(try model.checkSupported()) { error in
            let e = error as! TFLiteError
            XCTAssertEqual(e.kind, .unsupported)
            XCTAssertTrue(e.message.hasPrefix("4 of 4 operators are not supported by Sparrow: GATHER (operators 0, 2); CUSTOM 'MaxPoolingWithArgmax2D' (operator 1); GELU (operator 3)."), e.message)
            XCTAssertTrue(e.message.contains("CONV_2D"), "lists what is supported")
        }
    }

    func testNotATFLiteFile() {
        XCTAssertThrowsError(try TFLiteModel(bytes: [1, 2, 3])) { XCTAssertEqual(($0 as! TFLiteError).kind, .notTFLite) }
        XCTAssertThrowsError(try TFLiteModel(bytes: FlatBufferBuilder.build(root: FBTable(), identifier: "ONNX"))) { error in
            XCTAssertEqual((error as! TFLiteError).kind, .notTFLite)
            XCTAssertTrue((error as! TFLiteError).message.contains("'ONNX'"))
        }
        XCTAssertThrowsError(try TFLiteModel(bytes: TF.bytes(FBTable([0: .uint32(3)])))) { error in
            XCTAssertTrue((error as! TFLiteError).message.contains("no subgraph"), "\(error)")
        }
        XCTAssertThrowsError(try TFLiteModel.load(path: "/nonexistent/model.tflite")) { error in
            XCTAssertEqual((error as! TFLiteError).kind, .fileUnreadable)
            XCTAssertTrue("\(error)".hasPrefix("/nonexistent/model.tflite: "))
        }
    }
}

func findUInt64(_ value: UInt64, in bytes: [UInt8]) -> Int? {
    let pattern = (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    guard bytes.count >= 8 else { return nil }
    return (0...(bytes.count - 8)).first { Array(bytes[$0..<($0 + 8)]) == pattern }
}
