// `sparrow convert MODEL.tflite --input-type/--output-type/--input-layout/--output-layout` on an
// int8 model. Its body is int8 NHWC already, so the options mean:
//  * layouts: nhwc is the model's own order, and so is "onnx" (the model's own layout): both are
//    accepted and change nothing (a NAME= must be one of the model's inputs/outputs);
//  * int8 on an int8 edge, float32 on a float32 edge: nothing to change;
//  * --input-type int8 on a float32 (or uint8) input read only by QUANTIZE to int8: the QUANTIZE
//    is dropped and the caller gives its int8 codes (scale and zero point in `sparrow inspect`);
//    --output-type int8 on a float32 (or uint8) output written by DEQUANTIZE (or QUANTIZE) from
//    int8: that operator is dropped and the int8 tensor is the output, under the output's name;
//  * float32 on an int8/uint8 edge: refused — adding a Quantize/Dequantize is not LiteRT's model
//    any more, and `sparrow run` already quantizes float32 samples and dequantizes outputs.
import SparrowTFLite

extension TFLiteLowering {
    mutating func applyBoundary(_ b: ModelBoundary) throws(ConversionError) {
        let inputNames = graph.inputs.map { graph.tensors[$0].name }, outputNames = graph.outputs.map { graph.tensors[$0].name }
        for (option, names, keys) in [("--input", inputNames, Array(b.inputType.keys) + Array(b.inputLayout.keys)),
                                      ("--output", outputNames, Array(b.outputType.keys) + Array(b.outputLayout.keys))] {
            for name in keys.sorted() where !name.isEmpty && !names.contains(name) {
                throw ConversionError(.unsupported, "\(option)-type/\(option)-layout \(name)=…: the model has no "
                                      + "\(option.dropFirst(2)) '\(name)' (its \(option.dropFirst(2))s: "
                                      + names.map { "'\($0)'" }.joined(separator: ", ") + ")")
            }
        }
        for t in graph.inputs {
            let tensor = graph.tensors[t]
            guard let wanted = b.inputType[tensor.name] ?? b.inputType[""], wanted.rawValue != Self.boundaryType(tensor.type) else {
                continue
            }
            guard wanted == .int8 else {
                throw ConversionError(.unsupported, node: tensor.name, "--input-type float32: input '\(tensor.name)' is "
                                      + "\(tensor.type.name) in the model, as LiteRT takes it; Sparrow keeps it (`sparrow run` "
                                      + "quantizes float32 samples on the host with its scale and zero point)")
            }
            let readers = graph.operators.indices.filter { graph.operators[$0].inputs.contains(t) }
            let quantizes = readers.filter {
                model.opcode(of: graph.operators[$0]).builtin == .quantize && graph.tensors[graph.operators[$0].outputs[0]].type == .int8
            }
            let scales = quantizes.map { graph.tensors[graph.operators[$0].outputs[0]].quantization }
            guard !readers.isEmpty, quantizes.count == readers.count,
                  scales.allSatisfy({ $0?.scales == scales[0]?.scales && $0?.zeroPoints == scales[0]?.zeroPoints }) else {
                throw ConversionError(.unsupported, node: tensor.name, "--input-type int8: input '\(tensor.name)' is "
                                      + "\(tensor.type.name) and is not read only by QUANTIZE operators to one int8 scale, "
                                      + "so there is no int8 tensor to take in its place")
            }
            let q = graph.operators[quantizes[0]].outputs[0]
            inputTensor[t] = q
            for k in quantizes { droppedEdges[k] = q }   // build() points every such output at q
        }
        for t in graph.outputs {
            let tensor = graph.tensors[t]
            guard let wanted = b.outputType[tensor.name] ?? b.outputType[""], wanted.rawValue != Self.boundaryType(tensor.type) else {
                continue
            }
            guard wanted == .int8 else {
                throw ConversionError(.unsupported, node: tensor.name, "--output-type float32: output '\(tensor.name)' is "
                                      + "\(tensor.type.name) in the model, as LiteRT writes it; Sparrow keeps it (`sparrow run` "
                                      + "writes it dequantized for float32 samples)")
            }
            let writer = graph.operators.indices.first { graph.operators[$0].outputs.contains(t) }
            let code = writer.map { model.opcode(of: graph.operators[$0]).builtin }
            guard let k = writer, code == .dequantize || code == .quantize, let x = graph.operators[k].inputs.first, x >= 0,
                  graph.tensors[x].type == .int8,
                  !graph.operators.contains(where: { $0.inputs.contains(t) }) else {
                throw ConversionError(.unsupported, node: tensor.name, "--output-type int8: output '\(tensor.name)' is "
                                      + "\(tensor.type.name) and is not written by a DEQUANTIZE or QUANTIZE of an int8 tensor "
                                      + "(read by nothing else), so there is no int8 tensor to give in its place")
            }
            droppedEdges[k] = x
            outputTensor[t] = x
        }
    }

    /// The boundary option's spelling of a tensor type (nil: neither float32 nor int8).
    static func boundaryType(_ type: TFLiteTensorType) -> String? {
        type == .float32 ? "float32" : type == .int8 ? "int8" : nil
    }
}
