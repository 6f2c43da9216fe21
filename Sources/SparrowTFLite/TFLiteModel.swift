// The parts of a TFLite model Sparrow reads (tensorflow/lite/schema/schema.fbs: Model, SubGraph,
// Tensor, QuantizationParameters, Buffer, OperatorCode, Operator, SignatureDef), as plain values.
// Constant data is not copied: buffers are byte ranges of the file, read with `data(of:)`.

/// Model. Only subgraph 0 (the main graph) is decoded; other subgraphs (bodies of WHILE, IF,
/// CALL_ONCE) are counted, since no operator Sparrow supports refers to them.
public struct TFLiteModel: Sendable {
    /// The whole file: buffer ranges point into it.
    public var bytes: [UInt8]
    /// Schema version (3 for every current model).
    public var version: UInt32
    public var description: String
    public var operatorCodes: [TFLiteOperatorCode]
    /// Subgraph 0.
    public var graph: TFLiteSubgraph
    public var subgraphCount: Int
    public var buffers: [TFLiteBuffer]
    public var signatures: [TFLiteSignature]
    /// Names of the model's metadata entries (e.g. "min_runtime_version", "TFLITE_METADATA").
    public var metadataNames: [String]

    /// The constant data of a tensor: empty for activations (buffer 0 or an empty buffer).
    public func data(of tensor: TFLiteTensor) -> ArraySlice<UInt8> {
        bytes[buffers[tensor.buffer].range]
    }

    /// The opcode of an operator of the main graph (its index was checked when reading).
    public func opcode(of op: TFLiteOperator) -> TFLiteOperatorCode { operatorCodes[op.opcodeIndex] }
}

/// SubGraph.
public struct TFLiteSubgraph: Sendable {
    public var name: String
    public var tensors: [TFLiteTensor]
    /// Tensor indices of the graph inputs and outputs.
    public var inputs: [Int]
    public var outputs: [Int]
    /// In execution order.
    public var operators: [TFLiteOperator]
}

/// Buffer: where a constant's bytes are. Small models keep them inside the flatbuffer
/// (`data`); models over 2 GB (and converters asked to) store them after it, addressed by
/// `offset`/`size` from the start of the file. Either way `range` is a range of the file.
public struct TFLiteBuffer: Equatable, Sendable {
    public var range: Range<Int>
    /// True when the bytes were found through offset/size, outside the flatbuffer.
    public var isExternal: Bool
}

/// TensorType.
public enum TFLiteTensorType: Int8, Sendable, CaseIterable {
    case float32 = 0, float16 = 1, int32 = 2, uint8 = 3, int64 = 4, string = 5, bool = 6, int16 = 7,
         complex64 = 8, int8 = 9, float64 = 10, complex128 = 11, uint64 = 12, resource = 13,
         variant = 14, uint32 = 15, uint16 = 16, int4 = 17, bfloat16 = 18

    /// Bytes per element; nil for types without a fixed size (string, resource, variant, int4).
    public var byteSize: Int? {
        switch self {
        case .bool, .int8, .uint8: return 1
        case .float16, .int16, .uint16, .bfloat16: return 2
        case .float32, .int32, .uint32: return 4
        case .int64, .uint64, .float64, .complex64: return 8
        case .complex128: return 16
        case .string, .resource, .variant, .int4: return nil
        }
    }

    /// The schema's name, e.g. "INT8".
    public var name: String {
        switch self {
        case .float32: return "FLOAT32"
        case .float16: return "FLOAT16"
        case .int32: return "INT32"
        case .uint8: return "UINT8"
        case .int64: return "INT64"
        case .string: return "STRING"
        case .bool: return "BOOL"
        case .int16: return "INT16"
        case .complex64: return "COMPLEX64"
        case .int8: return "INT8"
        case .float64: return "FLOAT64"
        case .complex128: return "COMPLEX128"
        case .uint64: return "UINT64"
        case .resource: return "RESOURCE"
        case .variant: return "VARIANT"
        case .uint32: return "UINT32"
        case .uint16: return "UINT16"
        case .int4: return "INT4"
        case .bfloat16: return "BFLOAT16"
        }
    }
}

/// Tensor.
public struct TFLiteTensor: Equatable, Sendable {
    public var name: String
    /// Static shape ([] for a scalar).
    public var shape: [Int]
    /// Shape with -1 for dimensions unknown at conversion time (e.g. a dynamic batch); nil if absent.
    public var shapeSignature: [Int]?
    public var type: TFLiteTensorType
    /// Index into `TFLiteModel.buffers`; 0 is the always-empty sentinel.
    public var buffer: Int
    public var quantization: TFLiteQuantization?
    public var isVariable: Bool

    public var elementCount: Int { shape.reduce(1, *) }
}

/// QuantizationParameters (affine: real = scale * (q - zeroPoint)).
public struct TFLiteQuantization: Equatable, Sendable {
    /// One per tensor, or one per slice along `quantizedDimension`.
    public var scales: [Float]
    public var zeroPoints: [Int64]
    /// Axis of per-axis quantization (meaningful when there is more than one scale).
    public var quantizedDimension: Int
    /// The calibration range the converter recorded, when it kept it.
    public var min: [Float]
    public var max: [Float]

    public var isPerAxis: Bool { scales.count > 1 }
}

/// OperatorCode, resolved: `builtin` is the larger of builtin_code and deprecated_builtin_code,
/// as LiteRT resolves it (old files only set the byte-sized deprecated field; new files set
/// both, with the deprecated one saturated at 127 for codes that do not fit).
public struct TFLiteOperatorCode: Equatable, Sendable {
    public var builtin: TFLiteBuiltinOperator
    /// The name of a custom operator (builtin == CUSTOM), e.g. "Convolution2DTransposeBias".
    public var customCode: String?
    public var version: Int32

    /// "CONV_2D", or "CUSTOM 'name'" for custom operators.
    public var displayName: String {
        if builtin == .custom, let customCode { return "CUSTOM '\(customCode)'" }
        return builtin.name
    }
}

/// Operator.
public struct TFLiteOperator: Equatable, Sendable {
    /// Index into `TFLiteModel.operatorCodes` (checked).
    public var opcodeIndex: Int
    /// Tensor indices; -1 marks an omitted optional input.
    public var inputs: [Int]
    public var outputs: [Int]
    public var options: TFLiteOptions
    /// Custom options bytes (a range of the file), for custom operators.
    public var customOptions: Range<Int>?
    public var intermediates: [Int]
}

/// SignatureDef: named entry points (LiteRT's `get_signature_runner`).
public struct TFLiteSignature: Equatable, Sendable {
    public var key: String
    public var subgraphIndex: Int
    /// Signature input/output names and the tensor each maps to.
    public var inputs: [(name: String, tensor: Int)]
    public var outputs: [(name: String, tensor: Int)]

    public static func == (a: Self, b: Self) -> Bool {
        a.key == b.key && a.subgraphIndex == b.subgraphIndex
            && a.inputs.elementsEqual(b.inputs, by: { $0 == $1 })
            && a.outputs.elementsEqual(b.outputs, by: { $0 == $1 })
    }
}
