// libFuzzer target: the TFLite flatbuffer reader, the int8 importer (TFLiteLowering, with the
// converter's own verification of its output) and the float import with calibration
// (Toolchains/fuzz.sh tflite).
//
// Any byte string must end in a typed error (TFLiteError, ConversionError) or a converted model;
// never a trap, a hang or an unbounded allocation. Float models get made-up calibration samples
// (deterministic, finite), as in the ONNX target.
import SparrowConverter
import SparrowNPY
import SparrowTFLite

/// Float inputs with more elements are imported but not calibrated (the float executor's time
/// grows with them and a fuzz iteration has to stay fast: the fixture MobileNet, 27 648 input
/// values, took seconds per run under ASan).
let largestCalibratedInput = 1 << 13

@_cdecl("LLVMFuzzerTestOneInput")
public func tfliteFuzzTarget(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let model = try? TFLiteModel(bytes: bytes) else { return 0 }
    _ = model.unsupportedOperators()
    guard TFLiteFloatImport.isFloatModel(model) else {
        _ = try? TFLiteConversion.convert(model)
        return 0
    }
    var samples: [NPYArray] = []
    for t in model.graph.inputs {
        let shape = model.graph.tensors[t].shape
        let count = 2 * shape.dropFirst().reduce(1, *)
        guard !shape.isEmpty, count <= largestCalibratedInput else {
            _ = try? TFLiteFloatImport.importGraph(model)
            return 0
        }
        samples.append(NPYArray(floats: (0..<count).map { Float(($0 * 37) % 17) / 8 - 1 }, shape: [2] + shape.dropFirst()))
    }
    var options = ConversionOptions(calibration: .samples(samples))
    options.batch = 1
    _ = try? TFLiteConversion.convertFloat(model, options: options)
    return 0
}
