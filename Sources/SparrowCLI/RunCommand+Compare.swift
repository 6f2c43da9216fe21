// `sparrow run --compare` with reference outputs: every graph output is compared, each with its
// own file — one `--compare REF.npy` per output in output order, or `--compare DIR` holding
// `<output name>.npy` per output (the names `--output-dir` writes; litert_reference.py writes
// either). int8/uint8 outputs compare byte for byte, float32 ones by max abs error and top-1
// agreement, index outputs (ArgMax; int64 or int32 on either side) by equal values.
import Foundation
import SparrowFormat
import SparrowNPY
import SparrowRuntime

extension RunCommand {
    /// The `--compare` values when they are reference outputs (.npy files or one directory),
    /// resolved to one file per graph output; nil when `--compare` names a model (or is absent).
    static func referenceOutputFiles(_ a: Arguments, model: VerifiedModel) throws -> [String]? {
        let values = a.options["--compare"] ?? []
        guard let first = values.first else { return nil }
        var isDirectory: ObjCBool = false
        if values.count == 1, FileManager.default.fileExists(atPath: first, isDirectory: &isDirectory), isDirectory.boolValue {
            var buffer = [UInt8](repeating: 0, count: OutputFileName.maxStemBytes + 32)
            let files = (0..<model.outputCount).map { k -> String in
                let length = buffer.withUnsafeMutableBytes { OutputFileName.write(model: model, output: k, into: $0) } ?? 0
                return (first as NSString).appendingPathComponent(String(decoding: buffer[0..<length], as: UTF8.self))
            }
            let missing = files.filter { !FileManager.default.isReadableFile(atPath: $0) }
            guard missing.isEmpty else {
                throw CLIError("--compare \(first): no reference file \(missing.map { ($0 as NSString).lastPathComponent }.joined(separator: ", ")) "
                               + "(the directory needs <output name>.npy for each of the model's \(model.outputCount) outputs, "
                               + "named as --output-dir names them)")
            }
            return files
        }
        let npy = values.filter { $0.lowercased().hasSuffix(".npy") }
        guard !npy.isEmpty else {
            guard values.count == 1 else { throw CLIError("--compare takes one model (.onnx, float .tflite); found \(values.count) values") }
            return nil
        }
        guard npy.count == values.count else {
            throw CLIError("--compare: give either one model or reference outputs (.npy files or a directory), not both")
        }
        for path in npy where !FileManager.default.isReadableFile(atPath: path) {
            throw CLIError("--compare: cannot read '\(path)'")
        }
        guard npy.count == model.outputCount else {
            throw CLIError("--compare: the model has \(model.outputCount) outputs and \(npy.count) reference file"
                           + "\(npy.count == 1 ? " was" : "s were") given: pass one --compare REF.npy per output, in output order, "
                           + "or --compare DIR with <output name>.npy per output (litert_reference.py writes either)")
        }
        return npy
    }

    /// Compares output `k` (Sparrow's, as an .npy array, samples first) with its reference file.
    static func compareOutput(_ k: Int, name: String, got: NPYArray, samples: Int, with path: String) throws {
        let reference = try NPYArray.read(path: path)
        let label = "output \(k) '\(name)' with \(path)"
        let indexTypes: Set<NPYDType> = [.int32, .int64]
        if indexTypes.contains(got.dtype), indexTypes.contains(reference.dtype) {
            let a = got.int64s() ?? got.int32s()!.map(Int64.init), b = reference.int64s() ?? reference.int32s()!.map(Int64.init)
            guard a.count == b.count else {
                throw CLIError("--compare \(path): \(b.count) reference indices, output \(k) has \(a.count) for \(samples) samples")
            }
            let equal = zip(a, b).filter { $0 == $1 }.count
            print(String(format: "compare %@: %d / %d indices equal (%.2f %%)", label, equal, a.count,
                         100 * Double(equal) / Double(max(a.count, 1))))
            return
        }
        guard reference.dtype == got.dtype else {
            throw CLIError("--compare \(path): output \(k) '\(name)' is \(got.dtype.descr), the reference \(reference.dtype.descr)")
        }
        guard reference.data.count == got.data.count else {
            throw CLIError("--compare \(path): \(reference.data.count) reference bytes, output \(k) has \(got.data.count) for \(samples) samples")
        }
        if let want = reference.floats(), let have = got.floats() {
            var maxError: Float = 0
            for i in 0..<have.count { maxError = max(maxError, abs(want[i] - have[i])) }
            let width = have.count / max(samples, 1)
            let agree = (0..<samples).filter { argmax(want, row: $0, width: width) == argmax(have, row: $0, width: width) }.count
            print(String(format: "compare %@: max abs error %.5f, top-1 agreement %.2f %% (%d / %d)",
                         label, maxError, 100 * Double(agree) / Double(max(samples, 1)), agree, samples))
            return
        }
        let signed = got.dtype == .int8
        let equal = zip(got.data, reference.data).filter { $0 == $1 }.count
        var largest = 0
        for (a, b) in zip(got.data, reference.data) {
            largest = max(largest, signed ? abs(Int(Int8(bitPattern: a)) - Int(Int8(bitPattern: b))) : abs(Int(a) - Int(b)))
        }
        print(String(format: "compare %@: %d / %d output bytes equal (%.2f %%), largest code difference %d", label, equal,
                     got.data.count, 100 * Double(equal) / Double(max(got.data.count, 1)), largest))
    }

    /// The name of graph output `k`, for messages.
    static func outputName(_ model: VerifiedModel, _ k: Int) -> String {
        let bytes = model.tensorName(model.graphOutput(k))
        return String(decoding: UnsafeRawBufferPointer(bytes), as: UTF8.self)
    }
}
