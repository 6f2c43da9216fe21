// `sparrow run` for models whose graph inputs are int8 or uint8 (imported int8 TFLite models,
// `sparrow convert --input-type int8`) given int8/uint8 .npy samples: the samples are fed as
// codes, unchanged, and the output is written in the model's own output dtype (int8, uint8 or
// float32), so it compares byte for byte with LiteRT's. Float32 samples take the usual batch path,
// which quantizes them on the host (`Interpreter.loadInput`) and writes float32 outputs.
import Foundation
import SparrowFormat
import SparrowNPY
import SparrowRuntime

extension RunCommand {
    /// nil when graph input 0 is float32 (the usual batch path applies).
    static func runQuantizedIO(_ a: Arguments, model: HostModel, inputPath: String) throws -> Int32? {
        let m = model.model
        let inputs = (0..<m.inputCount).map { m.tensor(m.graphInput($0)) }
        guard let first = inputs.first, first.dtype == .int8 || first.dtype == .uint8 else { return nil }
        // `--output-dir` and `--input NAME=FILE` take the batch path, which also takes an input's own
        // codes (`codesAsFloats`) and writes float32 outputs, byte for byte what sparrow-device writes.
        if a.value("--output-dir") != nil || !FileManager.default.fileExists(atPath: inputPath) { return nil }
        // Float samples: the batch path quantizes them (and dequantizes the outputs).
        if let samples = try? NPYArray.read(path: inputPath), samples.dtype == .float32 { return nil }
        if let reference = a.value("--compare") { try checkCompareReference(reference, quantizedIO: true) }
        for flag in ["--exit-index", "--dump-tensors"] where a.value(flag) != nil {
            throw CLIError("\(flag) is not available for models with \(first.dtype!.name) inputs yet")
        }
        guard inputs.count == 1 else {
            throw CLIError("the model has \(inputs.count) inputs; `sparrow run` feeds one (use the test helpers or HostModel for more)")
        }
        let x = try NPYArray.read(path: inputPath)
        let wanted: NPYDType = first.dtype == .int8 ? .int8 : .uint8
        guard x.dtype == wanted else {
            throw CLIError("\(inputPath): the model's input is \(first.dtype!.name); write the samples with x.astype(np.\(first.dtype!.name)) "
                           + "(found dtype \(x.dtype.descr))")
        }
        let perSample = Int(first.byteSize)
        guard x.data.count > 0, x.data.count % perSample == 0 else {
            throw CLIError("\(inputPath): \(x.data.count) values are not whole samples of \(perSample) (the model input's size)")
        }
        let samples = x.data.count / perSample
        let y = m.tensor(m.graphOutput(0))
        var output: [UInt8] = []
        var macs: UInt64 = 0
        let start = DispatchTime.now().uptimeNanoseconds
        for s in 0..<samples {
            model.setInput(0, Array(x.data[(s * perSample)..<((s + 1) * perSample)]))
            macs &+= model.invoke().macs
            output += model.output(0, as: UInt8.self)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        print("samples: \(samples)")
        print(String(format: "latency: %.3f ms per sample (host, mean over the batch)", seconds * 1000 / Double(samples)))
        print("average MACs: \(formatCount(macs / UInt64(samples)))")
        let outType: NPYDType = y.dtype == .int8 ? .int8 : y.dtype == .uint8 ? .uint8 : .float32
        let dims = [Int(y.dims.0), Int(y.dims.1), Int(y.dims.2), Int(y.dims.3)].prefix(Int(y.rank))
        let sampleShape = dims.first == 1 ? Array(dims.dropFirst()) : Array(dims)
        if let outPath = a.value("--output") {
            try NPYArray(dtype: outType, shape: [samples] + sampleShape, data: output).write(path: outPath)
        }
        if let reference = a.value("--compare") {
            try compareBytes(output, outType: outType, samples: samples, with: reference)
        }
        if let labelsPath = a.value("--labels") {
            // Dequantization is increasing, so the largest code is the largest value.
            let width = output.count / samples / outType.byteWidth
            let values: [Float] = switch outType {
            case .int8: output.map { Float(Int8(bitPattern: $0)) }
            case .uint8: output.map { Float($0) }
            default: output.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            }
            let labels = try readLabels(labelsPath, count: samples)
            let correct = (0..<samples).filter { argmax(values, row: $0, width: width) == labels[$0] }.count
            print(String(format: "accuracy: %.2f %% (%d / %d)", 100 * Double(correct) / Double(samples), correct, samples))
        }
        return 0
    }

    /// The model's output bytes against reference outputs of the same dtype (LiteRT's, written by
    /// Tests/Fixtures/tflite/litert_reference.py): equal bytes, and the largest code difference.
    static func compareBytes(_ output: [UInt8], outType: NPYDType, samples: Int, with path: String) throws {
        let reference = try NPYArray.read(path: path)
        guard reference.dtype == outType else {
            throw CLIError("--compare \(path): the model's output is \(outType.descr), the reference \(reference.dtype.descr)")
        }
        guard reference.data.count == output.count else {
            throw CLIError("--compare \(path): \(reference.data.count) reference bytes, the model wrote \(output.count) for \(samples) samples")
        }
        let equal = zip(output, reference.data).filter { $0 == $1 }.count
        var largest = 0.0
        if outType != .float32 {
            for (a, b) in zip(output, reference.data) {
                let (x, y) = outType == .int8 ? (Double(Int8(bitPattern: a)), Double(Int8(bitPattern: b))) : (Double(a), Double(b))
                largest = max(largest, abs(x - y))
            }
        }
        print(String(format: "compare with %@: %d / %d output bytes equal (%.2f %%)%@", path, equal, output.count,
                     100 * Double(equal) / Double(max(output.count, 1)),
                     outType == .float32 ? "" : String(format: ", largest code difference %.0f", largest)))
    }
}
