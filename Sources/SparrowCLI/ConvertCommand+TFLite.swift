// `sparrow convert MODEL.tflite`: a fully-int8 TFLite model is converted with its own scales, zero
// points, weights and biases (SparrowConverter/TFLite, byte-exact with LiteRT BUILTIN_REF); a
// float one goes through the ONNX path's passes and calibration (ConvertCommand.main).
import Foundation
import SparrowConverter
import SparrowTFLite

extension ConvertCommand {
    /// True for a float model (float32 inputs computed on in float), which needs calibration.
    static func isFloatTFLite(_ a: Arguments) throws -> Bool {
        let model = try TFLiteModel.load(path: a.positional[0])
        guard TFLiteFloatImport.isFloatModel(model) else { return false }
        guard a.value("--calibration") != nil else {
            throw CLIError("\(a.positional[0]) is a float model: give --calibration CALIB.npy (float32 samples in the model's "
                           + "input layout, NHWC for images, samples first) to quantize it")
        }
        if a.value("--input-shape") != nil {
            throw CLIError("--input-shape: a .tflite model has static shapes; re-export it with the input size you want")
        }
        return true
    }

    /// The boundary options for a .tflite model: its tensors are NHWC already, so a layout
    /// (nhwc, or onnx: the model's own order) changes nothing and is dropped once its NAME= is
    /// checked; the types apply (an int8 input/output drops the edge QUANTIZE/DEQUANTIZE).
    static func tfliteBoundary(_ a: Arguments, model: TFLiteModel) throws -> ModelBoundary {
        var boundary = try modelBoundary(a)
        let inputs = model.graph.inputs.map { model.graph.tensors[$0].name }
        let outputs = model.graph.outputs.map { model.graph.tensors[$0].name }
        for (option, names, keys) in [("--input-layout", inputs, Array(boundary.inputLayout.keys)),
                                      ("--output-layout", outputs, Array(boundary.outputLayout.keys))] {
            for name in keys.sorted() where !name.isEmpty && !names.contains(name) {
                throw CLIError("\(option) \(name)=…: the model has no such \(option.contains("input") ? "input" : "output") "
                               + "(its names: \(names.map { "'\($0)'" }.joined(separator: ", ")))")
            }
        }
        boundary.inputLayout = [:]
        boundary.outputLayout = [:]
        return boundary
    }

    static func convertTFLite(_ a: Arguments, outPath: String) throws -> Int32 {
        let boundary = try tfliteBoundary(a, model: try TFLiteModel.load(path: a.positional[0]))
        // Each option that needs float weights or activation ranges, with the reason.
        let reasons: [(String, String)] = [
            ("--calibration", "the model is int8 with its own scales and zero points, which are kept (that is what makes "
                + "the output byte-exact with LiteRT); convert the float model to calibrate"),
            ("--range", "activation ranges come from the model's own scales"),
            ("--prune", "pruning needs float weights to choose the blocks and requantize; the int8 weights are the "
                + "model's and are copied as they are: prune the float model (MODEL_float.tflite --calibration ... --prune)"),
            ("--exit", "early exits are placed and calibrated on the float graph; convert the float model with "
                + "--calibration to add exits (--exit takes tensor names there)"),
            ("--sparse", "block-sparse storage is chosen for pruned float models; convert the float model"),
            ("--calibrate-exits", "early exits need the float model"),
            ("--input-shape", "a .tflite model has static shapes; re-export it with the input size you want"),
            ("--packed-weights", "the int8 path writes the reference operators LiteRT's bytes are checked against; packing "
                + "is not applied to it yet (the float path applies it)"),
        ]
        let given = reasons.filter { a.value($0.0) != nil || a.has($0.0) }
        guard given.isEmpty else {
            throw CLIError(given.map { "\($0.0): not available for an int8 .tflite model: \($0.1)" }.joined(separator: "\n"))
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let lowered = try TFLiteConversion.convert(path: a.positional[0], boundary: boundary)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        try writeFileBytes(lowered.bytes, to: outPath, what: "model")
        print("wrote \(outPath)")
        print(TFLiteConversion.summary(lowered).description)
        print(String(format: "conversion: %.3f s", seconds))
        return 0
    }
}
