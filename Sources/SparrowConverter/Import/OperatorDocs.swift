// What each ONNX op of the importer's registry (OpRegistry.swift) accepts and what it becomes in
// a Sparrow file. `sparrow operators --markdown` prints Docs/operators.md from this table and the
// registry; a test fails when the committed page differs, when a registry op has no entry here,
// or when an entry names an op the registry lacks. Keep each entry to what the handler checks.

/// One ONNX op type: the attributes and inputs Sparrow reads, its limits, and what it lowers to.
public struct OperatorDoc: Sendable {
    /// Attributes and inputs honoured, and what is refused.
    public var accepts: String
    /// The Sparrow operators (opcode names) it becomes, or how it disappears.
    public var lowersTo: String

    public init(_ accepts: String, _ lowersTo: String) {
        self.accepts = accepts
        self.lowersTo = lowersTo
    }
}

extension ONNXImporter {
    static let unaryTable = "Lookup (one exact 256-entry int8 table)"
    static let foldedOnly = "folded at conversion time (constants only)"

    /// Every op of `registry`, documented; `operatorsMarkdownIsComplete` checks the two agree.
    public static let operatorDocs: [String: OperatorDoc] = [
        // Neural-network ops.
        "Conv": .init("2-D (and 1-D as H = 1); group 1 or depthwise (group = input channels, any multiplier); strides, "
                      + "dilations, pads, auto_pad (NOTSET, VALID, SAME_UPPER, SAME_LOWER); constant weights; windows, "
                      + "strides and pads ≤ 65,536; other group counts refused",
                      "packed by default (CLI): PackedGemm (1×1 stride 1), PackedDepthwise3x3, PackedConvIm2col "
                      + "(other dense convs); Conv2D / DepthwiseConv2D otherwise; SparseConv1x1 when pruning chooses it"),
        "ConvTranspose": .init("2-D (and 1-D); group 1 or depthwise; any stride, dilations, pads, output_padding "
                               + "(below stride or dilation), auto_pad NOTSET/VALID; output_shape refused",
                               "TransposeConv2D / DepthwiseTransposeConv2D (a following BatchNormalization folds in)"),
        "Gemm": .init("2-D run-time A, transA 0; transB, alpha, beta; B and C constants",
                      "FullyConnected (or SparseFullyConnected / PackedGemm)"),
        "MatMul": .init("run-time A times a 2-D constant B; a batched (rank > 2) constant B or two run-time "
                        + "operands (attention), batched over two leading axes with broadcasting",
                        "FullyConnected (2-D constant B, or PackedGemm), else BatchMatMul"),
        "LayerNormalization": .init("opset 17: the axes [axis, rank) folded into one (moved innermost by transposes when needed), epsilon, "
                                    + "scale and bias constants; Mean / InvStdDev outputs refused; torch's decomposed "
                                    + "ReduceMean…Sqrt/Div chain over the last axis is fused into it",
                                    "LayerNorm"),
        "BatchNormalization": .init("inference only (training_mode 0, no running-statistics outputs)",
                                    "folded into the preceding Conv / ConvTranspose / Gemm, else Mul + Add"),
        "MaxPool": .init("2-D (and 1-D); kernel_shape, strides, pads, auto_pad, ceil_mode; dilations 1; no indices output",
                         "MaxPool"),
        "AveragePool": .init("2-D (and 1-D); kernel_shape, strides, pads, auto_pad, ceil_mode, count_include_pad "
                             + "(not together with ceil_mode 1)", "AveragePool"),
        "GlobalAveragePool": .init("4-D input", "Mean"),
        "GlobalMaxPool": .init("4-D input", "MaxPool over the whole plane"),
        "ReduceMean": .init("axes (attribute, or input from opset 18), keepdims, noop_with_empty_axes; H and W of a "
                            + "4-D tensor, or the axes a mean-over-axes rewrite covers", "Mean (or Transpose + Mean)"),
        "Softmax": .init("any axis (moved last by a Transpose when needed); opset < 13 flattens from axis; rows up to "
                         + "65,536 classes", "Softmax (output scale 1/256, zero point −128)"),
        "LogSoftmax": .init("as Softmax: any axis, up to 65,536 classes",
                            "LogSoftmax (output scale 16/256, zero point 127: log-probabilities down to −15.94)"),
        "ArgMax": .init("axis, keepdims, select_last_index; the int64 result must be a graph output (not read by "
                        + "another node); input rank ≤ 4", "ArgMax with an int64 output (a Transpose first for a "
                        + "non-channel axis of a 4-D tensor)"),
        "ArgMin": .init("as ArgMax", "Lookup (negation) + ArgMax, int64 output"),
        "Pad": .init("modes constant, reflect, edge; pads as attribute (opset < 11) or input; non-negative pads; "
                     + "reflect pads below the axis size", "Pad (constant; folded into a following Conv where it can), "
                     + "Gather along each padded axis (reflect, edge)"),
        "PRelu": .init("slope constant: one value, or one per channel", "PRelu"),
        "Resize": .init("4-D input, H and W; mode nearest or linear; scales or sizes (constant), axes; "
                        + "coordinate_transformation_mode half_pixel, asymmetric, align_corners, pytorch_half_pixel; "
                        + "nearest_mode; antialias 0; keep_aspect_ratio_policy stretch", "Resize"),
        "Upsample": .init("opset < 11 form: mode nearest or linear, scales attribute or input, asymmetric; no nearest "
                          + "downsampling", "Resize"),
        // Elementwise.
        "Add": .init("numpy broadcasting; run-time or constant operands", "Add (a per-channel constant after a conv folds into its bias)"),
        "Sub": .init("numpy broadcasting", "Sub, or Add of the negated constant"),
        "Mul": .init("numpy broadcasting", "Mul (a per-channel constant after a conv folds into its weights)"),
        "Div": .init("by a constant, or by a run-time tensor", "Mul by the reciprocal; x / y as x · Lookup(1/y)"),
        "Pow": .init("constant scalar exponent on a run-time base (the exponent must not broadcast the base)", unaryTable),
        "Equal": .init("constants only", foldedOnly),
        "Less": .init("constants only", foldedOnly),
        "Greater": .init("constants only", foldedOnly),
        "Where": .init("constants only", foldedOnly),
        "Not": .init("constants only", foldedOnly),
        "Floor": .init("constants only", foldedOnly),
        "Ceil": .init("constants only", foldedOnly),
        "Clip": .init("min and max as attributes or constant scalar inputs", "fused into the producer's clamp, else Lookup"),
        "Relu": .init("—", "fused into the producer's clamp, else Lookup"),
        "Sigmoid": .init("—", unaryTable + " (x · sigmoid(x) fuses to one SiLU table)"),
        "Tanh": .init("—", unaryTable),
        "HardSigmoid": .init("alpha, beta", unaryTable + " (x · hard-sigmoid(x) fuses to hard-swish)"),
        "HardSwish": .init("—", unaryTable),
        "LeakyRelu": .init("alpha", unaryTable),
        "Elu": .init("alpha", unaryTable),
        "Neg": .init("—", unaryTable),
        "Abs": .init("—", unaryTable),
        "Exp": .init("—", unaryTable),
        "Log": .init("—", unaryTable),
        "Softplus": .init("—", unaryTable),
        "Softsign": .init("—", unaryTable),
        "Gelu": .init("approximate none or tanh (the decomposed erf and tanh forms fuse to the same table)", unaryTable),
        "Sqrt": .init("—", unaryTable),
        "Reciprocal": .init("—", unaryTable),
        "Erf": .init("—", unaryTable),
        "Identity": .init("—", "removed"),
        "Dropout": .init("inference only (no mask output, training_mode false)", "removed"),
        // Shape and constant ops.
        "Constant": .init("value, value_float(s), value_int(s)", "a constant"),
        "ConstantOfShape": .init("constant shape; at most 16 M elements", foldedOnly),
        "Shape": .init("of any tensor (shapes are static)", foldedOnly),
        "Size": .init("of any tensor", foldedOnly),
        "Gather": .init("constant indices in range; on constants (folded) or run-time tensors", "Gather (run-time data)"),
        "Slice": .init("constant starts, ends, axes, steps (any sign); on constants or run-time tensors", "Slice"),
        "Split": .init("split sizes as attribute or input, or equal parts (num_outputs)", "one Slice per output"),
        "DepthToSpace": .init("blocksize dividing the channels; mode DCR or CRD", "Reshape + Transpose (rank ≤ 4)"),
        "SpaceToDepth": .init("blocksize dividing H and W", "Reshape + Transpose (rank ≤ 4)"),
        "Cast": .init("to a float type on run-time tensors; any numeric type on constants", "removed"),
        "Unsqueeze": .init("axes as attribute or input", "Reshape (zero-copy)"),
        "Squeeze": .init("axes as attribute or input (size-1 axes)", "Reshape (zero-copy)"),
        "Concat": .init("any axis; run-time and constant inputs", "Concat"),
        "Reshape": .init("constant shape with 0 and −1, allowzero; rank 5 and 6 fold when the ops between "
                         + "merge to ≤ 4 axis groups", "Reshape (zero-copy), plus Transposes where the NHWC layout needs them"),
        "Flatten": .init("axis", "Reshape (zero-copy)"),
        "Transpose": .init("perm; rank 5 and 6 when the moved axes merge into ≤ 4 groups (ShuffleNet channel "
                           + "shuffle, YOLO heads, blocks-first space-to-depth), else the converter names the node",
                           "Transpose (rank ≤ 4), or Reshape when the element order is kept"),
        "Range": .init("constant scalar start, limit, delta", foldedOnly),
        "Expand": .init("constant shape; on constants (folded) or run-time tensors", "Gather along each expanded axis"),
        "Tile": .init("constant repeats; on constants or run-time tensors", "Gather along each tiled axis"),
        // QDQ models.
        "QuantizeLinear": .init("per-tensor or per-axis scale and int8/uint8 zero point; no blocked quantization",
                                "removed: its scale becomes the value's int8 quantization"),
        "DequantizeLinear": .init("as QuantizeLinear; on constants (QDQ weights) or activations",
                                  "removed: weights dequantized and requantized per channel"),
    ]

    /// Docs/operators.md: every registry op, sorted, with its entry (the page `sparrow operators
    /// --markdown` prints and a test compares with the committed file).
    public static func operatorsMarkdown() -> String {
        var lines = [
            "# Supported ONNX operators",
            "",
            "Generated by `sparrow operators --markdown` from the converter's operator registry",
            "(`Sources/SparrowConverter/Import/OpRegistry.swift`) and its documentation table",
            "(`Import/OperatorDocs.swift`); `OperatorDocsTests` fails when this page, the registry or the table",
            "disagree. Do not edit by hand: change the table and regenerate.",
            "",
            "Everything runs in int8 on the device; tensors hold at most rank 4 (rank-5/6 Reshape/Transpose",
            "chains are folded), shapes are static (`--input-shape` fixes symbolic dimensions), and an op",
            "outside this list, or an attribute outside its limits, is reported with the node's name — all",
            "blockers of a model at once.",
            "",
            "| ONNX op | accepted attributes and limits | Sparrow operators |",
            "|---|---|---|",
        ]
        for op in supportedOpTypes {
            let doc = operatorDocs[op] ?? OperatorDoc("(undocumented)", "(undocumented)")
            lines.append("| \(op) | \(doc.accepts) | \(doc.lowersTo) |")
        }
        lines.append("")
        lines.append("\(supportedOpTypes.count) ONNX op types.")
        return lines.joined(separator: "\n") + "\n"
    }
}
