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
        let referenceFiles = try referenceOutputFiles(a, model: m)
        if referenceFiles == nil, let reference = a.value("--compare") { try checkCompareReference(reference, quantizedIO: true) }
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
        var outputs = [[UInt8]](repeating: [], count: m.outputCount)
        var macs: UInt64 = 0
        let start = DispatchTime.now().uptimeNanoseconds
        for s in 0..<samples {
            model.setInput(0, Array(x.data[(s * perSample)..<((s + 1) * perSample)]))
            macs &+= model.invoke().macs
            for k in outputs.indices { outputs[k] += model.output(k, as: UInt8.self) }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        print("samples: \(samples)")
        print(String(format: "latency: %.3f ms per sample (host, mean over the batch)", seconds * 1000 / Double(samples)))
        print("average MACs: \(formatCount(macs / UInt64(samples)))")
        // Each output as written: [samples] + its shape without a leading batch of 1.
        let arrays = outputs.enumerated().map { k, bytes -> NPYArray in
            let y = m.tensor(m.graphOutput(k))
            let dtype: NPYDType = switch y.dtype {
            case .int8: .int8
            case .uint8: .uint8
            case .int32: .int32
            case .int64: .int64
            default: .float32
            }
            let dims = [Int(y.dims.0), Int(y.dims.1), Int(y.dims.2), Int(y.dims.3)].prefix(Int(y.rank))
            return NPYArray(dtype: dtype, shape: [samples] + (dims.first == 1 ? Array(dims.dropFirst()) : Array(dims)), data: bytes)
        }
        let output = outputs[0], outType = arrays[0].dtype
        if let outPath = a.value("--output") { try arrays[0].write(path: outPath) }
        if let referenceFiles {
            for (k, path) in referenceFiles.enumerated() {
                try compareOutput(k, name: outputName(m, k), got: arrays[k], samples: samples, with: path)
            }
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
}
