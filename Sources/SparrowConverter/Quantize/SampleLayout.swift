// Moving sample data between the ONNX model's own layout (what users give in .npy files) and
// the IR layout (what the executor and the Sparrow model use).
import SparrowNPY

extension IRGraphPort {
    /// Elements of one run's tensor (batch included).
    public var elementCount: Int { onnxShape.reduce(1, *) }

    /// Splits an .npy array of float32 samples in ONNX layout (leading dimension = samples) into
    /// per-run tensors in IR layout. The port's batch (onnxShape[0]) samples make one run; a
    /// trailing partial batch is dropped.
    public func irLayoutRuns(from array: NPYArray) throws(ConversionError) -> [[Float]] {
        guard let floats = array.floats() else {
            throw ConversionError(.calibration, "input '\(onnxName)': samples must be float32, got \(array.dtype)")
        }
        guard !onnxShape.contains(0) else {
            throw ConversionError(.formatLimit, "input '\(onnxName)' has shape \(onnxShape); the tensors of a Sparrow model "
                + "cannot be empty")
        }
        let perSample = onnxShape.dropFirst().reduce(1, *)
        let expected = [array.shape.first ?? 0] + onnxShape.dropFirst()
        guard array.shape.count == onnxShape.count, array.shape == expected else {
            throw ConversionError(.calibration, "input '\(onnxName)': samples have shape \(array.shape); "
                + "expected [N] + \(Array(onnxShape.dropFirst())) (ONNX layout, N samples)")
        }
        let batch = max(onnxShape.first ?? 1, 1)
        let runs = array.shape[0] / batch
        var result: [[Float]] = []
        result.reserveCapacity(runs)
        for r in 0..<runs {
            let chunk = Array(floats[(r * batch * perSample)..<((r + 1) * batch * perSample)])
            result.append(toIRLayout(chunk))
        }
        return result
    }

    /// One run's data from ONNX layout to IR layout.
    public func toIRLayout(_ data: [Float]) -> [Float] {
        isPermuted ? TensorLayout.transpose(data, shape: onnxShape, perm: onnxToIR) : data
    }

    /// One run's data from IR layout back to ONNX layout.
    public func toONNXLayout(_ data: [Float]) -> [Float] {
        guard isPermuted else { return data }
        return TensorLayout.transpose(data, shape: TensorLayout.permute(onnxShape, onnxToIR),
                                      perm: TensorLayout.inverse(onnxToIR))
    }
}
