// What `run` and `bench` both start from: the verified model with its interpreter and arena, the
// float32 .npy input (or an int8/uint8 input's own codes) laid out as a batch, optional int64 labels, and output paths checked before
// any inference runs. Every failure prints one specific line on stderr (file, what, values) and
// the command exits 1.

import SparrowFormat
import SparrowNPY
import SparrowRuntime

/// The failure was already reported on stderr; the command returns 1.
struct Reported: Error {}

/// A verified model, its interpreter, and the input files parsed for a batch run.
struct LoadedBatch {
    let model: VerifiedModel
    let interpreter: Interpreter
    /// Input k's float32 samples (`model.inputCount` entries; numpy writes the payload 64-byte
    /// aligned within the file buffer).
    let inputTable: UnsafePointer<UnsafePointer<Float>>
    let plan: BatchPlan

    /// Graph input 0's samples.
    var inputs: UnsafePointer<Float> { inputTable[0] }
}

/// `sparrow-device: X.npy: <reason> (byte N)`.
func report(_ e: NPYError, path: UnsafePointer<CChar>) {
    err.write("sparrow-device: "); err.write(cString: path); err.write(": ")
    err.write(e.reason); err.write(" (byte "); err.write(e.offset); err.writeLine(")")
}

/// `sparrow-device: X.npy: <reason> (...)`: the dtype found, the elements per sample expected
/// and found, or both shapes, whichever the reason is about.
func report(_ e: BatchError, path: UnsafePointer<CChar>, header: NPYHeader, model: VerifiedModel) {
    err.write("sparrow-device: "); err.write(cString: path); err.write(": "); err.write(e.message)
    switch e.reason {
    case .inputNotFloat32:
        err.write(" (found dtype "); err.write(header.dtype.descr); err.write(")")
    case .inputDTypeMismatch:
        err.write(" (model input dtype "); err.write((NPYDType(rawValue: UInt8(e.expected)) ?? .float32).descr)
        err.write(", found dtype "); err.write(header.dtype.descr); err.write(")")
    case .inputShapeMismatch:
        err.write(" ("); err.write(e.expected); err.write(", "); err.write(e.found); err.write(")")
    case .emptyInput:
        err.write(" (first dimension 0)")
    case .outputBufferTooSmall:
        break
    case .sampleCountMismatch:
        err.write(" ("); err.write(e.expected); err.write(", "); err.write(e.found); err.write(")")
    case .inputDimsMismatch:
        // The host's words: (expected [N,1,8,8], found [10,64]).
        let x = model.tensor(model.graphInput(e.input))
        let first = x.rank >= 1 && x.dims.0 == 1 ? 1 : 0
        err.write(" (expected [N")
        for axis in first..<Int(x.rank) { err.write(","); err.write(Int(x.dim(axis))) }
        err.write("], found [")
        for axis in 0..<header.rank { if axis > 0 { err.write(",") }; err.write(header.dim(axis)) }
        err.write("])")
    }
    err.writeLine()
}

/// Model, arena, interpreter and inputs, in that order; stops at the first problem. `inputPath`
/// is the first `--input` value; a model with several inputs takes one `--input NAME=FILE` each,
/// all read from the command line (BatchInput+Named.swift).
func loadBatch(modelPath: UnsafePointer<CChar>, inputPath: UnsafePointer<CChar>) throws(Reported) -> LoadedBatch {
    let model = loadModel(modelPath)
    let arena: UnsafeMutableRawBufferPointer
    do { arena = try Platform.allocateAligned(byteCount: max(model.arenaSize, 16)) } catch { report(error, path: modelPath); throw Reported() }
    let interpreter: Interpreter
    do { interpreter = try Interpreter(model: model, arena: arena) } catch {
        err.write("sparrow-device: arena too small: need "); err.write(error.required); err.writeLine(" bytes")
        throw Reported()
    }
    // Per input: its header, its samples and its path, in one block.
    let n = model.inputCount
    let tables: UnsafeMutableRawBufferPointer
    do {
        tables = try Platform.allocateAligned(byteCount: n * (MemoryLayout<UnsafePointer<CChar>?>.stride
            + MemoryLayout<UnsafePointer<Float>>.stride + MemoryLayout<NPYHeader>.stride))
    } catch { report(error, path: inputPath); throw Reported() }
    let headers = tables.baseAddress!.bindMemory(to: NPYHeader.self, capacity: n)
    let inputTable = (tables.baseAddress! + n * MemoryLayout<NPYHeader>.stride).bindMemory(to: UnsafePointer<Float>.self, capacity: n)
    let paths = (tables.baseAddress! + n * (MemoryLayout<NPYHeader>.stride + MemoryLayout<UnsafePointer<Float>>.stride))
        .bindMemory(to: UnsafePointer<CChar>?.self, capacity: n)
    paths.initialize(repeating: nil, count: n)
    try inputPaths(model: model, into: paths)
    for k in 0..<n { (inputTable + k).initialize(to: try loadInput(model, k, path: paths[k]!, header: headers + k)) }
    let plan: BatchPlan
    do { plan = try BatchPlan(model: model, inputs: UnsafeBufferPointer(start: headers, count: n)) } catch {
        report(error, path: paths[error.input]!, header: headers[error.input], model: model); throw Reported()
    }
    return LoadedBatch(model: model, interpreter: interpreter, inputTable: UnsafePointer(inputTable), plan: plan)
}

/// Reads int64 labels, one per sample (`np.save(path, y.astype(np.int64))`).
func readLabels(path: UnsafePointer<CChar>, sampleCount: Int) throws(Reported) -> UnsafePointer<Int64> {
    let file: UnsafeMutableRawBufferPointer
    do { file = try Platform.readWholeFile(path: path) } catch { report(error, path: path); throw Reported() }
    let header: NPYHeader
    do { header = try parseNPYHeader(UnsafeRawBufferPointer(file)) } catch { report(error, path: path); throw Reported() }
    guard header.dtype == .int64 else {
        err.write("sparrow-device: "); err.write(cString: path)
        err.write(": labels must be int64 (np.int64) (found dtype "); err.write(header.dtype.descr); err.writeLine(")")
        throw Reported()
    }
    guard header.elementCount == sampleCount else {
        err.write("sparrow-device: "); err.write(cString: path); err.write(": "); err.write(header.elementCount)
        err.write(" labels for "); err.write(sampleCount); err.writeLine(" samples")
        throw Reported()
    }
    // The payload of a numpy-written file starts 64-byte aligned, so int64 loads are aligned.
    return UnsafePointer((file.baseAddress! + header.dataOffset).assumingMemoryBound(to: Int64.self))
}

/// Fails now, before any inference, if an output file cannot be created (missing directory,
/// no permission), rather than after a long run.
func checkWritable(_ path: UnsafePointer<CChar>?) throws(Reported) {
    guard let path else { return }
    do { try Platform.checkWritable(path: path) } catch { report(error, path: path); throw Reported() }
}
