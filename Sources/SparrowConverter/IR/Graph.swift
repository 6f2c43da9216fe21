// The float graph IR: what the ONNX importer produces, the passes rewrite, the float executor
// runs, and the quantizer lowers to the Sparrow file format.
//
// Conventions (stable; the quantizer and planner are written against them):
// - Layout: every 4-D activation is NHWC. 4-D ONNX tensors (NCHW) are transposed on import;
//   tensors of other ranks keep the ONNX axis order. `IRGraph.inputPorts/outputPorts` record the
//   permutation so callers can feed and read data in the ONNX model's own layout.
// - Element type: activations are float32. Constants hold float data in IR layout
//   (`IRValue.constant`, row-major over `shape`). Integer shape constants exist only inside the
//   importer and never reach an `IRGraph`.
// - Shapes are fully static. The batch dimension of graph inputs is fixed at import (default 1).
// - Values are addressed by index into `IRGraph.values` ("value id"); `-1` marks an absent
//   optional input (e.g. a conv without bias).
// - `IRGraph.nodes` is in topological order: a node only reads graph inputs, constants, or
//   outputs of earlier nodes.
// - Weight layouts after import: conv filter OHWI [outC, kh, kw, inC]; depthwise filter
//   [1, kh, kw, C*multiplier]; fully-connected weights [out, in]; biases [outC].
// - QDQ models: QuantizeLinear/DequantizeLinear pairs are removed on import and their scale and
//   zero point are kept as `IRValue.quantization` on the value they described; the saturation of
//   an activation's Q/DQ pair is kept as a Clip (usually fused into the producer's activation).
// - BatchNormalization imports as a per-channel `.mul` + `.add`; `Passes.foldAffineIntoLinear`
//   folds them into a preceding Conv/FullyConnected, otherwise they stay as Mul and Add.
// - Pipeline: `ONNXImporter.importModel` → `Passes.optimize` → `FloatExecutor` / quantizer.
import Foundation

/// A tensor in the graph: an activation (computed at run time) or a constant.
public struct IRValue: Equatable, Sendable {
    public var name: String
    /// IR-layout shape (NHWC for 4-D activations). `[]` is a scalar.
    public var shape: [Int]
    /// Float data in IR layout for constants; nil for activations and graph inputs.
    public var constant: [Float]?
    /// Quantization the source model prescribed for this value (QDQ models); nil otherwise.
    public var quantization: IRQuantization?

    public init(name: String, shape: [Int], constant: [Float]? = nil, quantization: IRQuantization? = nil) {
        self.name = name
        self.shape = shape
        self.constant = constant
        self.quantization = quantization
    }

    public var isConstant: Bool { constant != nil }
    public var elementCount: Int { shape.reduce(1, *) }
}

/// Scale and zero point taken from a QDQ model (ONNX QuantizeLinear/DequantizeLinear semantics:
/// real = (q - zeroPoint) * scale).
public struct IRQuantization: Equatable, Sendable {
    /// One per tensor, or one per channel along `axis`.
    public var scales: [Float]
    public var zeroPoints: [Int32]
    /// IR axis of per-channel quantization; nil for per-tensor.
    public var axis: Int?
    /// True for int8, false for uint8 (as the source model stored it).
    public var isSigned: Bool

    public init(scales: [Float], zeroPoints: [Int32], axis: Int? = nil, isSigned: Bool = true) {
        self.scales = scales
        self.zeroPoints = zeroPoints
        self.axis = axis
        self.isSigned = isSigned
    }
}

/// A clamp fused into the op that produces the value.
public enum Activation: Equatable, Sendable {
    case none
    case relu
    case relu6
    case clip(Float, Float)

    /// The clamp interval (infinite bounds where the activation does not clamp).
    public var bounds: (lower: Float, upper: Float) {
        switch self {
        case .none: return (-.infinity, .infinity)
        case .relu: return (0, .infinity)
        case .relu6: return (0, 6)
        case .clip(let lo, let hi): return (lo, hi)
        }
    }

    @inlinable public func apply(_ x: Float) -> Float {
        switch self {
        case .none: return x
        case .relu: return max(x, 0)
        case .relu6: return min(max(x, 0), 6)
        case .clip(let lo, let hi): return min(max(x, lo), hi)
        }
    }
}

/// Conv2D / DepthwiseConv2D parameters (NHWC). Inputs: x, filter constant, bias constant or -1.
public struct ConvAttributes: Equatable, Sendable {
    /// [strideH, strideW]
    public var strides: [Int]
    /// [dilationH, dilationW]
    public var dilations: [Int]
    /// [top, left, bottom, right]
    public var pads: [Int]
    /// True for ONNX group == input channels: filter is [1, kh, kw, inC * depthMultiplier].
    public var isDepthwise: Bool
    /// Output channels per input channel (depthwise only; 1 otherwise).
    public var depthMultiplier: Int
    public var activation: Activation

    public init(strides: [Int] = [1, 1], dilations: [Int] = [1, 1], pads: [Int] = [0, 0, 0, 0],
                isDepthwise: Bool = false, depthMultiplier: Int = 1, activation: Activation = .none) {
        self.strides = strides
        self.dilations = dilations
        self.pads = pads
        self.isDepthwise = isDepthwise
        self.depthMultiplier = depthMultiplier
        self.activation = activation
    }
}

/// MaxPool / AveragePool parameters (NHWC).
/// MaxUnpool's geometry: a position p of input cell (y, x) goes to output
/// (y·strides[0] − padTop + p / kernelW, x·strides[1] − padLeft + p mod kernelW).
public struct UnpoolAttributes: Equatable, Sendable {
    public var strides: [Int]
    public var kernelW: Int
    public var padTop: Int, padLeft: Int

    public init(strides: [Int], kernelW: Int, padTop: Int, padLeft: Int) {
        self.strides = strides
        self.kernelW = kernelW
        self.padTop = padTop
        self.padLeft = padLeft
    }
}

public struct PoolAttributes: Equatable, Sendable {
    /// [kh, kw]
    public var kernel: [Int]
    /// [strideH, strideW]
    public var strides: [Int]
    /// [top, left, bottom, right]
    public var pads: [Int]
    /// AveragePool: padded cells count in the divisor (ONNX count_include_pad = 1).
    public var countIncludePad: Bool
    public var activation: Activation

    public init(kernel: [Int], strides: [Int] = [1, 1], pads: [Int] = [0, 0, 0, 0],
                countIncludePad: Bool = false, activation: Activation = .none) {
        self.kernel = kernel
        self.strides = strides
        self.pads = pads
        self.countIncludePad = countIncludePad
        self.activation = activation
    }
}

/// A unary elementwise function. In int8 each becomes a 256-entry lookup table built with `apply`.
public enum UnaryFunction: Equatable, Sendable {
    case sigmoid
    /// max(0, min(1, alpha*x + beta))
    case hardSigmoid(alpha: Float, beta: Float)
    /// x * relu6(x + 3) / 6
    case hardSwish
    case tanh
    case relu
    case relu6
    case clip(Float, Float)
    /// x >= 0 ? x : alpha*x
    case leakyRelu(alpha: Float)
    /// x >= 0 ? x : alpha*(exp(x) - 1)
    case elu(alpha: Float)
    /// x * sigmoid(x)
    case silu
    case neg
    case abs
    case exp
    /// log(1 + exp(x))
    case softplus
    /// x / (1 + |x|)
    case softsign
    /// x * Phi(x) (exact, erf form) or its tanh approximation.
    case gelu(approximateTanh: Bool)
    case erf
    /// Real square root; NaN below 0 (the int8 table maps NaN to the zero point).
    case sqrt
    case reciprocal
    /// Natural logarithm; −∞ at 0 and NaN below (saturated / zero point in the int8 table).
    case log
    /// x^exponent for a constant exponent (ONNX Pow with a constant scalar exponent).
    case pow(exponent: Float)

    @inlinable public func apply(_ x: Float) -> Float {
        switch self {
        case .sigmoid: return 1 / (1 + Foundation.exp(-x))
        case .hardSigmoid(let alpha, let beta): return max(0, min(1, alpha * x + beta))
        case .hardSwish: return x * max(0, min(6, x + 3)) / 6
        case .tanh: return Foundation.tanh(x)
        case .relu: return max(x, 0)
        case .relu6: return min(max(x, 0), 6)
        case .clip(let lo, let hi): return min(max(x, lo), hi)
        case .leakyRelu(let alpha): return x >= 0 ? x : alpha * x
        case .elu(let alpha): return x >= 0 ? x : alpha * (Foundation.exp(x) - 1)
        case .silu: return x / (1 + Foundation.exp(-x))
        case .neg: return -x
        case .abs: return Swift.abs(x)
        case .exp: return Foundation.exp(x)
        case .softplus:
            // log1p(exp(x)) overflows for large x, where the result is x itself.
            return x > 20 ? x : Foundation.log1p(Foundation.exp(x))
        case .softsign: return x / (1 + Swift.abs(x))
        case .gelu(let approximateTanh):
            if approximateTanh {
                let inner = Float(0.7978845608028654) * (x + 0.044715 * x * x * x)
                return 0.5 * x * (1 + Foundation.tanh(inner))
            }
            return 0.5 * x * (1 + Foundation.erf(x * Float(0.7071067811865476)))
        case .erf: return Foundation.erf(x)
        case .sqrt: return x.squareRoot()
        case .reciprocal: return 1 / x
        case .log: return Foundation.log(x)
        case .pow(let exponent):
            // Squares (LayerNorm's variance) as a product: exact and sign-correct.
            return exponent == 2 ? x * x : Foundation.pow(x, exponent)
        }
    }
}

/// An operation. Input/output conventions are given per case; shapes are IR (NHWC) shapes.
public enum IROp: Equatable, Sendable {
    /// inputs: x [N,H,W,C], filter (OHWI, or [1,kh,kw,C*mult] when depthwise), bias [outC] or -1.
    case conv(ConvAttributes)
    /// inputs: x [..., in], weights [out, in], bias [out] or -1. Output [..., out].
    case fullyConnected(Activation)
    /// inputs: a, b (numpy broadcasting). Output shape = broadcast shape.
    case add(Activation)
    case sub(Activation)
    case mul(Activation)
    case div(Activation)
    /// inputs: a, b (numpy broadcasting): the larger / smaller of the two, elementwise.
    case maximum
    case minimum
    /// inputs: x [N,H,W,C].
    case maxPool(PoolAttributes)
    case averagePool(PoolAttributes)
    /// inputs: x [N,H,W,C]. Where MaxPool's maxima are: the window position ky·kernelW + kx (from
    /// the padded window's top-left) of the first largest value in row-major order, as MediaPipe's
    /// MaxPoolingWithArgmax2D records it (its values are a maxPool node). Integer values, read
    /// only by maxUnpool (the activation is not applied to positions).
    case maxPoolArgmax(PoolAttributes)
    /// inputs: x [N,h,w,C], positions [N,h,w,C] (a maxPoolArgmax output). Output all 0, then each x
    /// written where its position points, when inside (MediaPipe's MaxUnpooling2D).
    case maxUnpool(UnpoolAttributes)
    /// Mean over H and W of x [N,H,W,C]; output [N,1,1,C] when keepDims, else [N,C].
    case mean(keepDims: Bool)
    /// Softmax along the last axis.
    case softmax
    /// log(softmax(x)) along the last axis.
    case logSoftmax
    /// Index of the largest element along IR axis `axis` of x (the first, or the last with
    /// `selectLast`). The output holds integer indices (int64 in the file), in the ONNX model's own
    /// element order, with the ONNX output shape; it can only be a graph output.
    case argMax(axis: Int, selectLast: Bool)
    /// inputs: any number, joined along `axis` (an IR axis).
    case concat(axis: Int)
    /// Constant padding; `before`/`after` per IR axis.
    case pad(before: [Int], after: [Int], value: Float)
    /// Same elements, new IR shape (row-major order unchanged).
    case reshape(shape: [Int])
    /// Output axis i takes input axis perm[i].
    case transpose(perm: [Int])
    /// Elementwise function, input x.
    case unary(UnaryFunction)
    /// Output = input.
    case identity
    /// inputs: x, slope (constant broadcast along the last IR axis: one value, or one per channel).
    /// y = x for x >= 0, slope·x below.
    case prelu
    /// inputs: x [N,H,W,C]. Nearest or bilinear resampling of H and W to the output shape.
    case resize(ResizeAttributes)
    /// inputs: x [N,H,W,C], filter (OHWI [outC,kh,kw,inC], or [1,kh,kw,C*mult] when depthwise; not
    /// flipped), bias [outC] or -1. Transposed convolution: input pixel (iy, ix) adds x·w to output
    /// (iy·sH − padTop + ky·dH, ix·sW − padLeft + kx·dW); the output shape carries output_padding.
    case convTranspose(ConvAttributes)
    /// Strided slice: output[i] = x[begin + i·step] per IR axis (the output shape gives the counts).
    case slice(begin: [Int], step: [Int])
    /// Gather along an IR axis with constant indices (in range): output axis size = indices.count.
    case gather(axis: Int, indices: [Int])
    /// inputs: x, gamma [C] constant, beta [C] constant. Layer normalization over the last IR axis:
    /// (x − mean) / √(variance + epsilon) · gamma + beta.
    case layerNorm(epsilon: Float)
    /// inputs: a, b (rank 2…4; b may be a constant). ONNX MatMul of the two, batched and broadcast
    /// over the leading axes; `axes` says which axis of each operand's Shape4-padded IR shape holds
    /// each logical axis (`MatMulLayout`: 4-D values are NHWC views of ONNX [B, heads, rows,
    /// columns]; a pass may point them into a transpose's input instead).
    case matMul(MatMulAxesIR)

    /// Short name for messages and summaries.
    public var name: String {
        switch self {
        case .conv(let a): return a.isDepthwise ? "DepthwiseConv2D" : "Conv2D"
        case .fullyConnected: return "FullyConnected"
        case .add: return "Add"
        case .sub: return "Sub"
        case .mul: return "Mul"
        case .div: return "Div"
        case .maximum: return "Maximum"
        case .minimum: return "Minimum"
        case .maxPool: return "MaxPool"
        case .averagePool: return "AveragePool"
        case .maxPoolArgmax: return "MaxPoolArgmax"
        case .maxUnpool: return "MaxUnpool"
        case .mean: return "Mean"
        case .softmax: return "Softmax"
        case .logSoftmax: return "LogSoftmax"
        case .argMax: return "ArgMax"
        case .concat: return "Concat"
        case .pad: return "Pad"
        case .reshape: return "Reshape"
        case .transpose: return "Transpose"
        case .unary: return "Unary"
        case .identity: return "Identity"
        case .prelu: return "PRelu"
        case .resize: return "Resize"
        case .convTranspose(let a): return a.isDepthwise ? "DepthwiseTransposeConv2D" : "TransposeConv2D"
        case .slice: return "Slice"
        case .gather: return "Gather"
        case .layerNorm: return "LayerNorm"
        case .matMul: return "BatchMatMul"
        }
    }

    /// The fused activation, for ops that carry one.
    public var activation: Activation? {
        switch self {
        case .conv(let a), .convTranspose(let a): return a.activation
        case .fullyConnected(let act), .add(let act), .sub(let act), .mul(let act), .div(let act): return act
        case .maxPool(let p), .averagePool(let p): return p.activation
        default: return nil
        }
    }
}

public struct IRNode: Equatable, Sendable {
    /// The ONNX node name this came from (or a derived name for nodes a pass created).
    public var name: String
    public var op: IROp
    /// Value ids; -1 = absent optional input.
    public var inputs: [Int]
    /// Value ids.
    public var outputs: [Int]

    public init(name: String, op: IROp, inputs: [Int], outputs: [Int]) {
        self.name = name
        self.op = op
        self.inputs = inputs
        self.outputs = outputs
    }
}

/// A graph input or output as the ONNX model declares it, and how to get to/from IR layout.
public struct IRGraphPort: Equatable, Sendable {
    /// Value id in the IR graph.
    public var value: Int
    /// The ONNX value name.
    public var onnxName: String
    /// The ONNX shape with the batch dimension fixed (e.g. [1,1,8,8]).
    public var onnxShape: [Int]
    /// IR axis i is ONNX axis `onnxToIR[i]` ([0,2,3,1] for NCHW → NHWC; identity otherwise).
    public var onnxToIR: [Int]

    public init(value: Int, onnxName: String, onnxShape: [Int], onnxToIR: [Int]) {
        self.value = value
        self.onnxName = onnxName
        self.onnxShape = onnxShape
        self.onnxToIR = onnxToIR
    }

    /// True when the IR layout differs from the ONNX layout.
    public var isPermuted: Bool { onnxToIR != Array(0..<onnxToIR.count) }
}

public struct IRGraph: Equatable, Sendable {
    public var values: [IRValue]
    /// Topological order.
    public var nodes: [IRNode]
    /// Graph input value ids (same order as `inputPorts`).
    public var inputs: [Int] { inputPorts.map(\.value) }
    /// Graph output value ids (same order as `outputPorts`).
    public var outputs: [Int] { outputPorts.map(\.value) }
    public var inputPorts: [IRGraphPort]
    public var outputPorts: [IRGraphPort]

    public init(values: [IRValue] = [], nodes: [IRNode] = [], inputPorts: [IRGraphPort] = [],
                outputPorts: [IRGraphPort] = []) {
        self.values = values
        self.nodes = nodes
        self.inputPorts = inputPorts
        self.outputPorts = outputPorts
    }

    /// Appends a value and returns its id.
    @discardableResult
    public mutating func addValue(_ value: IRValue) -> Int {
        values.append(value)
        return values.count - 1
    }

    /// Index into `nodes` of the node producing `value`, or nil (graph input / constant).
    public func producer(of value: Int) -> Int? {
        nodes.firstIndex { $0.outputs.contains(value) }
    }

    /// Indices into `nodes` of the nodes reading `value`.
    public func consumers(of value: Int) -> [Int] {
        nodes.indices.filter { nodes[$0].inputs.contains(value) }
    }

    /// Number of node inputs (plus graph outputs) that read each value.
    public func useCounts() -> [Int] {
        var counts = [Int](repeating: 0, count: values.count)
        for node in nodes { for v in node.inputs where v >= 0 { counts[v] += 1 } }
        for v in outputs { counts[v] += 1 }
        return counts
    }

    /// Histogram of op names (for summaries and tests).
    public var opCounts: [String: Int] {
        var counts: [String: Int] = [:]
        for node in nodes { counts[node.op.name, default: 0] += 1 }
        return counts
    }
}

/// The Shape4-padded axes of each MatMul operand holding its logical axes (batch0, batch1, then
/// its two matrix axes: rows and depth of the left, depth and columns of the right, rows and
/// columns of the output).
public struct MatMulAxesIR: Equatable, Sendable {
    public var left: [Int]
    public var right: [Int]
    public var output: [Int]

    public init(left: [Int], right: [Int], output: [Int]) {
        self.left = left
        self.right = right
        self.output = output
    }

    /// The ONNX axes of operands of these ranks, where MatMulLayout puts them.
    public init(leftRank: Int, rightRank: Int, outputRank: Int) {
        self.init(left: MatMulLayout.logicalAxes(rank: leftRank), right: MatMulLayout.logicalAxes(rank: rightRank),
                  output: MatMulLayout.logicalAxes(rank: outputRank))
    }
}

/// Where the ONNX MatMul axes of an IR value live. Logical axes (batch0, batch1, first, second)
/// are ONNX's, right-aligned (rank 3 [B, M, K] is batch0 = 1, batch1 = B); the returned indices
/// are axes of the IR shape padded to four with leading 1s (Shape4): plain order for rank ≤ 3,
/// (n, c, h, w) for a 4-D value, whose NHWC IR shape holds ONNX NCHW.
public enum MatMulLayout {
    public static func logicalAxes(rank: Int) -> [Int] { rank == 4 ? [0, 3, 1, 2] : [0, 1, 2, 3] }

    /// The IR shape padded to four axes with leading 1s.
    public static func padded(_ shape: [Int]) -> [Int] { [Int](repeating: 1, count: max(0, 4 - shape.count)) + shape }

    /// The logical sizes (batch0, batch1, first, second) of an IR value of shape `shape` whose
    /// logical axes are `axes` (default: MatMulLayout's for its rank).
    public static func logicalShape(_ shape: [Int], axes: [Int]? = nil) -> [Int] {
        let p = padded(shape)
        return (axes ?? logicalAxes(rank: shape.count)).map { p[$0] }
    }
}
