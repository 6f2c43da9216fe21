// Builtin options of the operators Sparrow imports, decoded from the Operator.builtin_options
// union. Field indices and defaults are those of schema.fbs; union type codes are the 1-based
// positions of the option tables in `union BuiltinOptions`.

/// Padding.
public enum TFLitePadding: Int8, Sendable {
    case same = 0, valid = 1
}

/// ActivationFunctionType: the clamp (or function) fused into an operator's output.
public enum TFLiteActivation: Int8, Sendable {
    case none = 0, relu = 1, reluN1To1 = 2, relu6 = 3, tanh = 4, signBit = 5

    public var name: String {
        switch self {
        case .none: return "NONE"
        case .relu: return "RELU"
        case .reluN1To1: return "RELU_N1_TO_1"
        case .relu6: return "RELU6"
        case .tanh: return "TANH"
        case .signBit: return "SIGN_BIT"
        }
    }
}

/// Conv2DOptions.
public struct TFLiteConv2DOptions: Equatable, Sendable {
    public var padding: TFLitePadding
    public var strideW: Int, strideH: Int
    public var dilationW: Int, dilationH: Int
    public var activation: TFLiteActivation
    /// When set, the type of bias and accumulator (int16x8 models); nil means the default.
    public var quantizedBiasType: TFLiteTensorType?
}

/// DepthwiseConv2DOptions.
public struct TFLiteDepthwiseConv2DOptions: Equatable, Sendable {
    public var padding: TFLitePadding
    public var strideW: Int, strideH: Int
    /// Redundant since TF 2.0 (LiteRT derives it from the filter shape); kept for checking.
    public var depthMultiplier: Int
    public var dilationW: Int, dilationH: Int
    public var activation: TFLiteActivation
}

/// Pool2DOptions (MAX_POOL_2D, AVERAGE_POOL_2D).
public struct TFLitePool2DOptions: Equatable, Sendable {
    public var padding: TFLitePadding
    public var strideW: Int, strideH: Int
    public var filterW: Int, filterH: Int
    public var activation: TFLiteActivation
}

/// FullyConnectedOptions.
public struct TFLiteFullyConnectedOptions: Equatable, Sendable {
    public var activation: TFLiteActivation
    /// 0 = DEFAULT; 1 = SHUFFLED4x16INT8 (a weight layout for one ARM kernel).
    public var weightsFormat: Int8
    /// Keep the input's leading dimensions instead of flattening them into one batch dimension.
    public var keepNumDims: Bool
    public var asymmetricQuantizeInputs: Bool
    public var quantizedBiasType: TFLiteTensorType?
}

/// TransposeConvOptions.
public struct TFLiteTransposeConvOptions: Equatable, Sendable {
    public var padding: TFLitePadding
    public var strideW: Int, strideH: Int
    public var activation: TFLiteActivation
    public var quantizedBiasType: TFLiteTensorType?
}

/// StridedSliceOptions (bit i of a mask refers to dimension i).
public struct TFLiteStridedSliceOptions: Equatable, Sendable {
    public var beginMask: Int32, endMask: Int32, ellipsisMask: Int32, newAxisMask: Int32, shrinkAxisMask: Int32
    /// When true, `end` is an offset from `begin`.
    public var offset: Bool
}

/// ResizeBilinearOptions / ResizeNearestNeighborOptions.
public struct TFLiteResizeOptions: Equatable, Sendable {
    public var alignCorners: Bool
    public var halfPixelCenters: Bool
}

/// The decoded builtin options of one operator.
public enum TFLiteOptions: Equatable, Sendable {
    /// The operator has no options (LOGISTIC, TANH, RELU, RELU6, PRELU) or none were stored.
    case none
    case conv2D(TFLiteConv2DOptions)
    case depthwiseConv2D(TFLiteDepthwiseConv2DOptions)
    case pool2D(TFLitePool2DOptions)
    case fullyConnected(TFLiteFullyConnectedOptions)
    case transposeConv(TFLiteTransposeConvOptions)
    /// ADD, SUB (pot_scale_int16 only matters for int16 models).
    case add(activation: TFLiteActivation, potScaleInt16: Bool)
    case sub(activation: TFLiteActivation, potScaleInt16: Bool)
    case mul(activation: TFLiteActivation)
    case div(activation: TFLiteActivation)
    case concatenation(axis: Int, activation: TFLiteActivation)
    case softmax(beta: Float)
    /// MEAN (ReducerOptions).
    case reducer(keepDims: Bool)
    /// The new shape as an option (LiteRT prefers the shape input tensor when there is one).
    case reshape(newShape: [Int]?)
    case squeeze(dims: [Int])
    case stridedSlice(TFLiteStridedSliceOptions)
    case resizeBilinear(TFLiteResizeOptions)
    case resizeNearestNeighbor(TFLiteResizeOptions)
    /// INT32 or INT64; nil when not stored (the output tensor's type decides).
    case argMax(outputType: TFLiteTensorType?)
    case leakyRelu(alpha: Float)
    /// An option table without fields (PadOptions, PadV2Options, QuantizeOptions,
    /// DequantizeOptions, MaximumMinimumOptions, HardSwishOptions).
    case empty
    /// Options of an operator Sparrow does not import, left undecoded (union type code).
    case other(unionType: UInt8)

    /// The fused activation, for options that carry one.
    public var activation: TFLiteActivation? {
        switch self {
        case .conv2D(let o): return o.activation
        case .depthwiseConv2D(let o): return o.activation
        case .pool2D(let o): return o.activation
        case .fullyConnected(let o): return o.activation
        case .transposeConv(let o): return o.activation
        case .add(let a, _), .sub(let a, _), .mul(let a), .div(let a), .concatenation(_, let a): return a
        default: return nil
        }
    }
}

extension TFLiteOptions {
    /// The BuiltinOptions union type (and table name) each imported operator carries; operators
    /// absent from this table take no options or are not decoded.
    static let expectedUnionType: [TFLiteBuiltinOperator: (code: UInt8, table: String)] = [
        .conv2D: (1, "Conv2DOptions"), .depthwiseConv2D: (2, "DepthwiseConv2DOptions"),
        .averagePool2D: (5, "Pool2DOptions"), .maxPool2D: (5, "Pool2DOptions"),
        .fullyConnected: (8, "FullyConnectedOptions"), .softmax: (9, "SoftmaxOptions"),
        .concatenation: (10, "ConcatenationOptions"), .add: (11, "AddOptions"),
        .resizeBilinear: (15, "ResizeBilinearOptions"), .reshape: (17, "ReshapeOptions"),
        .mul: (21, "MulOptions"), .pad: (22, "PadOptions"), .mean: (27, "ReducerOptions"),
        .sub: (28, "SubOptions"), .div: (29, "DivOptions"), .squeeze: (30, "SqueezeOptions"), .stridedSlice: (32, "StridedSliceOptions"),
        .dequantize: (38, "DequantizeOptions"), .maximum: (39, "MaximumMinimumOptions"),
        .minimum: (39, "MaximumMinimumOptions"), .argMax: (40, "ArgMaxOptions"), .padV2: (43, "PadV2Options"),
        .transposeConv: (49, "TransposeConvOptions"), .resizeNearestNeighbor: (74, "ResizeNearestNeighborOptions"),
        .leakyRelu: (75, "LeakyReluOptions"), .quantize: (89, "QuantizeOptions"), .hardSwish: (91, "HardSwishOptions"),
    ]

    /// Operators without options: any options they carry are ignored, as LiteRT ignores them.
    static let optionless: Set<TFLiteBuiltinOperator> = [.logistic, .tanh, .relu, .relu6, .reluN1To1, .prelu]

    /// Decodes the options union of an operator with opcode `op`. An absent table gives the
    /// schema defaults; a table of the wrong kind is an error.
    static func decode(op: TFLiteBuiltinOperator, unionType: UInt8, table: FlatTable?, path: String) throws(TFLiteError) -> TFLiteOptions {
        guard let expected = expectedUnionType[op] else {
            if optionless.contains(op) || unionType == 0 { return .none }
            return .other(unionType: unionType)
        }
        guard unionType == 0 || unionType == expected.code else {
            throw TFLiteError(.invalidValue, path: path, offset: table?.position,
                              "builtin_options has union type \(unionType), but \(op.name) takes \(expected.table) (type \(expected.code)); the file is corrupt")
        }
        if unionType != 0, table == nil {
            throw TFLiteError(.malformed, path: path, offset: nil,
                              "builtin_options_type says \(expected.table) but the options table is missing")
        }
        let r = OptionsReader(table: table)
        switch op {
        case .conv2D:
            return .conv2D(TFLiteConv2DOptions(
                padding: try r.padding(0), strideW: try r.positive(1, "stride_w"), strideH: try r.positive(2, "stride_h"),
                dilationW: try r.positive(4, "dilation_w_factor", default: 1),
                dilationH: try r.positive(5, "dilation_h_factor", default: 1),
                activation: try r.activation(3), quantizedBiasType: try r.optionalType(6, "quantized_bias_type")))
        case .depthwiseConv2D:
            return .depthwiseConv2D(TFLiteDepthwiseConv2DOptions(
                padding: try r.padding(0), strideW: try r.positive(1, "stride_w"), strideH: try r.positive(2, "stride_h"),
                depthMultiplier: Int(try r.int32(3, "depth_multiplier")),
                dilationW: try r.positive(5, "dilation_w_factor", default: 1),
                dilationH: try r.positive(6, "dilation_h_factor", default: 1),
                activation: try r.activation(4)))
        case .averagePool2D, .maxPool2D:
            return .pool2D(TFLitePool2DOptions(
                padding: try r.padding(0), strideW: try r.positive(1, "stride_w"), strideH: try r.positive(2, "stride_h"),
                filterW: try r.positive(3, "filter_width"), filterH: try r.positive(4, "filter_height"),
                activation: try r.activation(5)))
        case .fullyConnected:
            return .fullyConnected(TFLiteFullyConnectedOptions(
                activation: try r.activation(0), weightsFormat: try r.int8(1, "weights_format"),
                keepNumDims: try r.bool(2, "keep_num_dims"), asymmetricQuantizeInputs: try r.bool(3, "asymmetric_quantize_inputs"),
                quantizedBiasType: try r.optionalType(4, "quantized_bias_type")))
        case .transposeConv:
            return .transposeConv(TFLiteTransposeConvOptions(
                padding: try r.padding(0), strideW: try r.positive(1, "stride_w"), strideH: try r.positive(2, "stride_h"),
                activation: try r.activation(3), quantizedBiasType: try r.optionalType(4, "quantized_bias_type")))
        case .add:
            return .add(activation: try r.activation(0), potScaleInt16: try r.bool(1, "pot_scale_int16", default: true))
        case .sub:
            return .sub(activation: try r.activation(0), potScaleInt16: try r.bool(1, "pot_scale_int16", default: true))
        case .mul:
            return .mul(activation: try r.activation(0))
        case .div:
            return .div(activation: try r.activation(0))
        case .concatenation:
            return .concatenation(axis: Int(try r.int32(0, "axis")), activation: try r.activation(1))
        case .softmax:
            return .softmax(beta: try r.float(0, "beta"))
        case .mean:
            return .reducer(keepDims: try r.bool(0, "keep_dims"))
        case .reshape:
            return .reshape(newShape: try table?.int32s(0, "new_shape").map { $0.map(Int.init) })
        case .squeeze:
            return .squeeze(dims: (try table?.int32s(0, "squeeze_dims") ?? []).map(Int.init))
        case .stridedSlice:
            return .stridedSlice(TFLiteStridedSliceOptions(
                beginMask: try r.int32(0, "begin_mask"), endMask: try r.int32(1, "end_mask"),
                ellipsisMask: try r.int32(2, "ellipsis_mask"), newAxisMask: try r.int32(3, "new_axis_mask"),
                shrinkAxisMask: try r.int32(4, "shrink_axis_mask"), offset: try r.bool(5, "offset")))
        case .resizeBilinear:
            // Fields 0 and 1 (new_height, new_width) are deprecated: the size is an input tensor.
            return .resizeBilinear(TFLiteResizeOptions(alignCorners: try r.bool(2, "align_corners"),
                                                       halfPixelCenters: try r.bool(3, "half_pixel_centers")))
        case .resizeNearestNeighbor:
            return .resizeNearestNeighbor(TFLiteResizeOptions(alignCorners: try r.bool(0, "align_corners"),
                                                              halfPixelCenters: try r.bool(1, "half_pixel_centers")))
        case .argMax:
            // The schema default 0 (FLOAT32) is an index type ARG_MAX cannot produce: read it as
            // "not stored"; the output tensor's own type is what the kernel writes.
            return .argMax(outputType: try r.optionalType(0, "output_type"))
        case .leakyRelu:
            return .leakyRelu(alpha: try r.float(0, "alpha"))
        default:
            return .empty
        }
    }
}

/// Field readers with the validation the options need; an absent table reads as all defaults.
private struct OptionsReader {
    let table: FlatTable?

    func int32(_ i: Int, _ name: String, default value: Int32 = 0) throws(TFLiteError) -> Int32 {
        try table?.int32(i, name, default: value) ?? value
    }
    func int8(_ i: Int, _ name: String) throws(TFLiteError) -> Int8 { try table?.int8(i, name) ?? 0 }
    func bool(_ i: Int, _ name: String, default value: Bool = false) throws(TFLiteError) -> Bool {
        try table?.bool(i, name, default: value) ?? value
    }
    func float(_ i: Int, _ name: String) throws(TFLiteError) -> Float { try table?.float(i, name) ?? 0 }

    /// Strides, dilations and filter sizes: at least 1 (LiteRT would divide by them).
    func positive(_ i: Int, _ name: String, default value: Int32 = 0) throws(TFLiteError) -> Int {
        let v = try int32(i, name, default: value)
        guard v >= 1 else {
            throw TFLiteError(.invalidValue, path: table?.path ?? "builtin_options", offset: table?.position,
                              "\(name) is \(v)\(table == nil ? " (no options stored)" : ""); it must be at least 1")
        }
        return Int(v)
    }

    func padding(_ i: Int) throws(TFLiteError) -> TFLitePadding {
        let raw = try int8(i, "padding")
        guard let p = TFLitePadding(rawValue: raw) else {
            throw TFLiteError(.invalidValue, path: table?.path ?? "", offset: table?.position,
                              "padding \(raw) is neither SAME (0) nor VALID (1)")
        }
        return p
    }

    func activation(_ i: Int) throws(TFLiteError) -> TFLiteActivation {
        let raw = try int8(i, "fused_activation_function")
        guard let a = TFLiteActivation(rawValue: raw) else {
            throw TFLiteError(.invalidValue, path: table?.path ?? "", offset: table?.position,
                              "fused_activation_function \(raw) is not an ActivationFunctionType (0...5)")
        }
        return a
    }

    /// A TensorType field where absent (or 0 = FLOAT32 by schema default) means "not set".
    func optionalType(_ i: Int, _ name: String) throws(TFLiteError) -> TFLiteTensorType? {
        let raw = try int8(i, name)
        guard raw != 0 else { return nil }
        guard let t = TFLiteTensorType(rawValue: raw) else {
            throw TFLiteError(.invalidValue, path: table?.path ?? "", offset: table?.position,
                              "\(name) \(raw) is not a TensorType (0...18)")
        }
        return t
    }
}
