// The closed operator table. Each opcode fixes its inputs, outputs and parameter words;
// the verifier (SparrowRuntime) checks every one before anything runs.

public enum OpCode: UInt8 {
    /// inputs: x, filter[outC,kh,kw,inC], bias[outC] int32 (or none), multipliers[outC], shifts[outC]
    case conv2D = 0
    /// inputs as conv2D; filter [1,kh,kw,inC*depthMultiplier]
    case depthwiseConv2D = 1
    /// inputs: x[batches, depth] (any shape whose last dim is depth), weights[outDepth, depth], bias, multipliers, shifts
    case fullyConnected = 2
    /// inputs: a, b (broadcasting)
    case add = 3
    case sub = 4
    case mul = 5
    case maxPool = 6
    case averagePool = 7
    /// Mean over H and W (global average pool); output [n,1,1,c].
    case mean = 8
    /// Along the last axis; output scale 1/256, zero point -128.
    case softmax = 9
    /// inputs: any number of tensors, joined along `axis` (a Shape4 axis 0...3).
    case concat = 10
    /// Constant padding with the output zero point.
    case pad = 11
    /// Output is an alias of the input (zero-copy).
    case reshape = 12
    /// float32 → int8 at the model input.
    case quantize = 13
    /// int8 → float32 at the model output.
    case dequantize = 14
    /// inputs: x, table[256] int8 (any unary function: sigmoid, hard-swish, …)
    case lookup = 15
    case transpose = 16
    /// Rescale int8 to another scale/zero point.
    case requantize = 17
    /// inputs: x[..., depth], bias[outDepth] int32 (or none), multipliers, shifts; the weights are a
    /// block-sparse matrix [outDepth, depth] in the sparse section (SparseMatrix.swift). Format 1.1.
    case sparseFullyConnected = 18
    /// inputs: x[n,h,w,inC], bias[outC] (or none), multipliers, shifts; 1×1 filter [outC, inC] as a
    /// block-sparse matrix in the sparse section; no padding. Format 1.1.
    case sparseConv1x1 = 19

    public var name: StaticString {
        switch self {
        case .conv2D: return "Conv2D"
        case .depthwiseConv2D: return "DepthwiseConv2D"
        case .fullyConnected: return "FullyConnected"
        case .add: return "Add"
        case .sub: return "Sub"
        case .mul: return "Mul"
        case .maxPool: return "MaxPool"
        case .averagePool: return "AveragePool"
        case .mean: return "Mean"
        case .softmax: return "Softmax"
        case .concat: return "Concat"
        case .pad: return "Pad"
        case .reshape: return "Reshape"
        case .quantize: return "Quantize"
        case .dequantize: return "Dequantize"
        case .lookup: return "Lookup"
        case .transpose: return "Transpose"
        case .requantize: return "Requantize"
        case .sparseFullyConnected: return "SparseFullyConnected"
        case .sparseConv1x1: return "SparseConv1x1"
        }
    }
}

/// Parameter word layouts (Int32 words in the params section), per opcode family.
/// Zero points and scales are not repeated here: they are read from the tensor records.
public enum ConvParam {
    public static let strideH = 0, strideW = 1, dilationH = 2, dilationW = 3
    public static let padTop = 4, padLeft = 5, padBottom = 6, padRight = 7
    public static let activationMin = 8, activationMax = 9
    /// Depthwise only.
    public static let depthMultiplier = 10
    public static let countConv = 10
    public static let countDepthwise = 11
}

public enum FullyConnectedParam {
    public static let activationMin = 0, activationMax = 1
    public static let count = 2
}

/// Add and Sub: the integer parameters of the left-shift-20 scheme (Docs/quantization.md).
public enum AddParam {
    public static let leftShift = 0
    public static let input1Multiplier = 1, input1Shift = 2
    public static let input2Multiplier = 3, input2Shift = 4
    public static let outputMultiplier = 5, outputShift = 6
    public static let activationMin = 7, activationMax = 8
    public static let count = 9
}

public enum MulParam {
    public static let outputMultiplier = 0, outputShift = 1
    public static let activationMin = 2, activationMax = 3
    public static let count = 4
}

public enum PoolParam {
    public static let strideH = 0, strideW = 1, filterH = 2, filterW = 3
    public static let padTop = 4, padLeft = 5, padBottom = 6, padRight = 7
    public static let activationMin = 8, activationMax = 9
    /// 1 = padded cells count in the average's divisor (ONNX count_include_pad).
    public static let countIncludePad = 10
    public static let count = 11
}

public enum MeanParam {
    public static let multiplier = 0, shift = 1
    public static let count = 2
}

public enum SoftmaxParam {
    /// Fixed-point beta·scale multiplier and shift, and the smallest difference that still counts.
    public static let inputMultiplier = 0, inputShift = 1, diffMin = 2
    public static let count = 3
}

/// Concat: axis, then (multiplier, shift) per input (multiplier 0 = identity copy).
public enum ConcatParam {
    public static let axis = 0
    public static let firstInput = 1
    public static let wordsPerInput = 2
}

public enum PadParam {
    /// Padding before each Shape4 axis (n, h, w, c); after-padding follows from the output shape.
    public static let beforeN = 0, beforeH = 1, beforeW = 2, beforeC = 3
    public static let count = 4
}

public enum TransposeParam {
    /// output axis i takes input axis perm[i] (Shape4 axes).
    public static let perm0 = 0
    public static let count = 4
}

public enum RequantizeParam {
    public static let multiplier = 0, shift = 1
    public static let count = 2
}

/// SparseFullyConnected: clamps, then where the weight matrix lies in the sparse section.
public enum SparseFullyConnectedParam {
    public static let activationMin = 0, activationMax = 1
    /// Byte offset (multiple of 16) and byte size of the matrix within the sparse section.
    public static let matrixOffset = 2, matrixSize = 3
    public static let count = 4
}

/// SparseConv1x1: strides, clamps, matrix location (no padding, no dilation: a 1×1 filter).
public enum SparseConv1x1Param {
    public static let strideH = 0, strideW = 1
    public static let activationMin = 2, activationMax = 3
    public static let matrixOffset = 4, matrixSize = 5
    public static let count = 6
}
