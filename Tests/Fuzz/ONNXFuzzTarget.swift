// libFuzzer target: the ONNX reader, importer, passes, calibration, quantizer, lowering and the
// converter's own verification of its output (Toolchains/fuzz.sh onnx).
//
// Any byte string must end in a typed error (ONNXError, ImportError, ConversionError) or a
// converted model; never a trap, a hang or an unbounded allocation. Calibration samples are made
// up here (deterministic, finite) so every model that imports gets calibrated and lowered.
import Foundation
import SparrowConverter
import SparrowNPY
import SparrowONNX

/// Inputs with more elements are imported but not calibrated: the float executor's time grows
/// with them and a fuzz iteration has to stay fast (large models are converted by the tests).
let largestCalibratedInput = 1 << 16
/// The same bound on all activations of one sample together: a small input can still make large
/// activations (Tests/Fixtures/fuzz/slow/onnx-timeout-f6abd5b6.onnx pads an 8×8 input to
/// 10×65,545 and runs 32-channel convs on it: 28 s under ASan, time linear in that size and
/// legal, within the 256 M elements a tensor may hold; Docs/robustness.md).
let largestCalibratedActivations = 1 << 22

@_cdecl("LLVMFuzzerTestOneInput")
public func onnxFuzzTarget(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let model = try? ONNXModel(bytes: bytes), let imported = try? ONNXImporter.importModel(model) else { return 0 }
    let graph = Passes.optimize(imported)
    let activations = graph.values.reduce(0) { $0 + ($1.isConstant ? 0 : $1.elementCount) }
    guard activations <= largestCalibratedActivations else { return 0 }
    var samples: [NPYArray] = []
    for port in graph.inputPorts {
        let shape = [2 * max(port.onnxShape.first ?? 1, 1)] + port.onnxShape.dropFirst()
        let count = shape.reduce(1, *)
        guard count <= largestCalibratedInput else { return 0 }
        samples.append(NPYArray(floats: (0..<count).map { Float(($0 * 37) % 17) / 8 - 1 }, shape: shape))
    }
    _ = try? convert(graph: graph, options: ConversionOptions(calibration: samples.isEmpty ? .none : .samples(samples)))
    return 0
}
