// The ONNX op table: one entry per op type. An op missing here is reported as unsupported with
// this list, so adding an op is adding an entry (and its handler in Ops+*.swift).

// Untyped `throws` here: swiftc 6.3.1 crashes (SILGen) on typed-throws function references stored
// in a dictionary. Handlers only throw ImportError; the dispatcher narrows it again.
typealias ImportHandler = (inout ImportState, NodeReader) throws -> Void

extension ONNXImporter {
    static let registry: [String: ImportHandler] = {
        var reg: [String: ImportHandler] = [:]
        // Neural-network ops (Ops+NN.swift).
        reg["Conv"] = { s, r in try importLifting1D(&s, r) { s, r in try importConv(&s, r) } }
        reg["Gemm"] = { s, r in try importGemm(&s, r) }
        reg["MatMul"] = { s, r in try importMatMul(&s, r) }
        reg["BatchNormalization"] = { s, r in try importBatchNormalization(&s, r) }
        reg["MaxPool"] = { s, r in try importLifting1D(&s, r) { s, r in try importPool(&s, r, isMax: true) } }
        reg["AveragePool"] = { s, r in try importLifting1D(&s, r) { s, r in try importPool(&s, r, isMax: false) } }
        reg["GlobalAveragePool"] = { s, r in try importGlobalAveragePool(&s, r) }
        reg["GlobalMaxPool"] = { s, r in try importGlobalMaxPool(&s, r) }
        reg["ReduceMean"] = { s, r in try importReduceMean(&s, r) }
        reg["Softmax"] = { s, r in try importSoftmax(&s, r) }
        reg["LogSoftmax"] = { s, r in try importSoftmax(&s, r, logarithm: true) }
        reg["ArgMax"] = { s, r in try importArgMax(&s, r, isMin: false) }
        reg["ArgMin"] = { s, r in try importArgMax(&s, r, isMin: true) }
        reg["Pad"] = { s, r in try importPad(&s, r) }
        reg["PRelu"] = { s, r in try importPRelu(&s, r) }
        reg["Resize"] = { s, r in try importResize(&s, r, isUpsample: false) }
        reg["Upsample"] = { s, r in try importResize(&s, r, isUpsample: true) }
        reg["LayerNormalization"] = { s, r in try importLayerNormalization(&s, r) }   // Ops+Transformer.swift
        reg["ConvTranspose"] = { s, r in try importLifting1D(&s, r) { s, r in try importConvTranspose(&s, r) } }
        // Elementwise (Ops+Elementwise.swift).
        for (name, kind) in [("Add", BinaryKind.add), ("Sub", .sub), ("Mul", .mul), ("Div", .div),
                             ("Pow", .pow), ("Equal", .equal), ("Less", .less), ("Greater", .greater)] {
            reg[name] = { s, r in try importBinary(&s, r, kind) }
        }
        reg["Where"] = { s, r in try importWhere(&s, r) }
        reg["Clip"] = { s, r in try importClip(&s, r) }
        for name in ["Relu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "LeakyRelu", "Elu", "Neg", "Abs",
                     "Exp", "Softplus", "Softsign", "Gelu", "Sqrt", "Reciprocal", "Erf", "Log", "Floor", "Ceil", "Not"] {
            reg[name] = { s, r in try importUnary(&s, r) }
        }
        reg["Identity"] = { s, r in try importIdentity(&s, r) }
        reg["Dropout"] = { s, r in try importIdentity(&s, r) }
        // Shape and constant ops (Ops+Shape.swift).
        reg["Constant"] = { s, r in try importConstant(&s, r) }
        reg["ConstantOfShape"] = { s, r in try importConstantOfShape(&s, r) }
        reg["Shape"] = { s, r in try importShape(&s, r) }
        reg["Size"] = { s, r in try importSize(&s, r) }
        reg["Gather"] = { s, r in try importGather(&s, r) }
        reg["Slice"] = { s, r in try importSlice(&s, r) }
        reg["Split"] = { s, r in try importSplit(&s, r) }
        reg["DepthToSpace"] = { s, r in try importDepthSpace(&s, r, toSpace: true) }
        reg["SpaceToDepth"] = { s, r in try importDepthSpace(&s, r, toSpace: false) }
        reg["Cast"] = { s, r in try importCast(&s, r) }
        reg["Unsqueeze"] = { s, r in try importUnsqueeze(&s, r) }
        reg["Squeeze"] = { s, r in try importSqueeze(&s, r) }
        reg["Concat"] = { s, r in try importConcat(&s, r) }
        reg["Reshape"] = { s, r in try importReshape(&s, r) }
        reg["Flatten"] = { s, r in try importFlatten(&s, r) }
        reg["Transpose"] = { s, r in try importTranspose(&s, r) }
        reg["Range"] = { s, r in try importRange(&s, r) }
        reg["Expand"] = { s, r in try importExpand(&s, r) }
        reg["Tile"] = { s, r in try importTile(&s, r) }
        // QDQ models (Ops+Quantization.swift).
        reg["QuantizeLinear"] = { s, r in try importQuantizeLinear(&s, r) }
        reg["DequantizeLinear"] = { s, r in try importDequantizeLinear(&s, r) }
        return reg
    }()
}
