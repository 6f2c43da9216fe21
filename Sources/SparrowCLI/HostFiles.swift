import Foundation
import SparrowNPY
import SparrowRuntime

// The files every `sparrow` command reads and writes, in one place: raw bytes, int64 labels, and
// a float32 .npy input laid out for a model's batch run; plus the arg-max used on the outputs.

func readFileBytes(_ path: String, what: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw CLIError("cannot read \(what) '\(path)': no such file or not readable")
    }
    return [UInt8](data)
}

func writeFileBytes(_ bytes: [UInt8], to path: String, what: String) throws {
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
        throw CLIError("cannot write \(what) '\(path)'")
    }
}

/// Fails now, before any inference, if `path` cannot be created (missing directory, no
/// permission), rather than after a long run. An existing file is left as it is.
func checkWritable(_ path: String, what: String) throws {
    if FileManager.default.fileExists(atPath: path) {
        guard FileManager.default.isWritableFile(atPath: path) else { throw CLIError("cannot write \(what) '\(path)': not writable") }
        return
    }
    guard FileManager.default.createFile(atPath: path, contents: nil) else {
        throw CLIError("cannot write \(what) '\(path)': the directory does not exist or is not writable")
    }
    try? FileManager.default.removeItem(atPath: path)
}

/// int64 class labels (`np.save(path, y.astype(np.int64))`); with `count`, exactly one per sample.
func readLabels(_ path: String, count: Int? = nil) throws -> [Int64] {
    let array: NPYArray
    do { array = try NPYArray.read(path: path) } catch { throw CLIError("\(error)") }
    guard let labels = array.int64s() else {
        throw CLIError("\(path): labels must be int64 (np.int64) (found dtype \(array.dtype.descr))")
    }
    if let count, labels.count != count { throw CLIError("\(path): \(labels.count) labels for \(count) samples") }
    return labels
}

/// A float32 .npy input file (or an int8/uint8 input's own codes) checked against a model: its
/// bytes, header and batch layout.
struct InputBatch {
    let path: String
    let bytes: [UInt8]
    let header: NPYHeader
    /// The batch as this file alone lays it out (for a multi-input model see `ModelInputs.plan`).
    let plan: BatchPlan
    /// A file of codes as the floats that quantize back to them (`codesAsFloats`, as on the device).
    private var codeFloats: [Float]? = nil

    /// Graph input `input`'s file.
    init(path: String, model: VerifiedModel, input: Int = 0) throws {
        self.path = path
        bytes = try readFileBytes(path, what: "input")
        switch bytes.withUnsafeBytes({ raw in Result { () throws(NPYError) in try parseNPYHeader(raw) } }) {
        case .success(let h): header = h
        case .failure(let e): throw CLIError("\(path): \(e.describe(in: bytes))")
        }
        do {
            plan = BatchPlan(model: model, sampleCount: try BatchPlan.sampleCount(model: model, input: input, header: header))
        } catch {
            throw Self.describe(error, path: path, header: header, model: model)
        }
        if header.dtype != .float32 {
            let h = header
            var values = [Float](repeating: 0, count: h.elementCount)
            let inexact = values.withUnsafeMutableBufferPointer { out in
                bytes.withUnsafeBytes { raw in
                    codesAsFloats(model: model, input: input, codes: raw.baseAddress! + h.dataOffset, count: h.elementCount,
                                  into: out.baseAddress!)
                }
            }
            if let i = inexact {
                throw CLIError("\(path): code at element \(i) cannot be carried exactly at the model input's scale; give float32 samples instead")
            }
            codeFloats = values
        }
    }

    /// The same words as sparrow-device: the dtype found, elements per sample expected and found,
    /// or both shapes when the count agrees but the dims do not.
    static func describe(_ error: BatchError, path: String, header: NPYHeader, model: VerifiedModel) -> CLIError {
        switch error.reason {
        case .inputNotFloat32: return CLIError("\(path): \(error.message) (found dtype \(header.dtype.descr))")
        case .inputDTypeMismatch:
            let expected = NPYDType(rawValue: UInt8(error.expected)) ?? .float32
            return CLIError("\(path): \(error.message) (model input dtype \(expected.descr), found dtype \(header.dtype.descr))")
        case .inputShapeMismatch, .sampleCountMismatch: return CLIError("\(path): \(error.message) (\(error.expected), \(error.found))")
        case .emptyInput: return CLIError("\(path): \(error.message) (first dimension 0)")
        case .outputBufferTooSmall: return CLIError("\(path): \(error.message)")
        case .inputDimsMismatch:
            let x = model.tensor(model.graphInput(error.input))
            let first = x.rank >= 1 && x.dims.0 == 1 ? 1 : 0
            let expected = ["N"] + (first..<Int(x.rank)).map { String(x.dim($0)) }
            let found = (0..<header.rank).map { String(header.dim($0)) }
            return CLIError("\(path): \(error.message) (expected [\(expected.joined(separator: ","))], "
                            + "found [\(found.joined(separator: ","))])")
        }
    }

    /// All samples' floats, in the file's order.
    var floats: [Float] {
        if let codeFloats { return codeFloats }
        return bytes.withUnsafeBytes { raw in
            Array(UnsafeRawBufferPointer(rebasing: raw[header.dataOffset..<(header.dataOffset + header.dataByteCount)])
                .bindMemory(to: Float.self))
        }
    }
}

/// The input files of a batch run, one per graph input in input order, from `--input` values:
/// a plain `FILE` for a single-input model, else `NAME=FILE` per input (the model's ONNX input
/// names, which an error lists).
struct ModelInputs {
    let files: [InputBatch]
    let plan: BatchPlan

    init(_ values: [String], model: VerifiedModel, option: String = "--input") throws {
        let names = (0..<model.inputCount).map { model.tensorNameString(model.graphInput($0)) }
        let list = names.map { "'\($0)'" }.joined(separator: ", ")
        var byName: [String: String] = [:]
        for value in values {
            var (name, path) = splitNamed(value)
            if !name.isEmpty && !names.contains(name) {
                // A file name with '=' in a single-input model, or a misspelt input name.
                guard names.count == 1, FileManager.default.fileExists(atPath: value) else {
                    throw CLIError("\(option) \(value): the model has no input '\(name)' (its inputs: \(list))")
                }
                (name, path) = ("", value)
            }
            if name.isEmpty {
                guard names.count == 1 else {
                    throw CLIError("\(option) \(value): the model has \(names.count) inputs (\(list)); give \(option) NAME=FILE for each")
                }
                name = names[0]
            }
            guard byName.updateValue(path, forKey: name) == nil else { throw CLIError("\(option) given twice for input '\(name)'") }
        }
        let missing = names.filter { byName[$0] == nil }
        guard missing.isEmpty else {
            throw CLIError("\(option): no file for input " + missing.map { "'\($0)'" }.joined(separator: ", ")
                           + " (the model's inputs: \(list))" + (names.count > 1 ? "; give \(option) NAME=FILE for each" : ""))
        }
        files = try names.enumerated().map { k, name in try InputBatch(path: byName[name]!, model: model, input: k) }
        let headers = files.map(\.header)
        do {
            plan = try headers.withUnsafeBufferPointer { h throws(BatchError) in try BatchPlan(model: model, inputs: h) }
        } catch {
            throw InputBatch.describe(error, path: files[error.input].path, header: headers[error.input], model: model)
        }
    }

    /// Each input's floats, in input order.
    var floats: [[Float]] { files.map(\.floats) }
}

/// Index of the largest value of row `row` (of `width` values); ties go to the lowest index, like
/// numpy's argmax.
func argmax(_ v: [Float], row: Int, width: Int) -> Int64 {
    var best = 0
    for j in 1..<max(width, 1) where v[row * width + j] > v[row * width + best] { best = j }
    return Int64(best)
}
