// What `run` and `bench` both start from: the verified model with its interpreter and arena, the
// float32 .npy input laid out as a batch, optional int64 labels, and output paths checked before
// any inference runs. Every failure prints one specific line on stderr (file, what, values) and
// the command exits 1.

import SparrowFormat
import SparrowNPY
import SparrowRuntime

/// The failure was already reported on stderr; the command returns 1.
struct Reported: Error {}

/// A verified model, its interpreter, and the input file parsed for a batch run.
struct LoadedBatch {
    let model: VerifiedModel
    let interpreter: Interpreter
    let inputFile: UnsafeMutableRawBufferPointer
    let header: NPYHeader
    let plan: BatchPlan

    /// The input's float32 payload (numpy writes it 64-byte aligned within the file buffer).
    var inputs: UnsafePointer<Float> {
        UnsafePointer((inputFile.baseAddress! + header.dataOffset).assumingMemoryBound(to: Float.self))
    }
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
    case .inputShapeMismatch:
        err.write(" ("); err.write(e.expected); err.write(", "); err.write(e.found); err.write(")")
    case .emptyInput:
        err.write(" (first dimension 0)")
    case .outputBufferTooSmall:
        break
    case .inputDimsMismatch:
        // The host's words: (expected [N,1,8,8], found [10,64]).
        let x = model.tensor(model.graphInput(0))
        let first = x.rank >= 1 && x.dims.0 == 1 ? 1 : 0
        err.write(" (expected [N")
        for axis in first..<Int(x.rank) { err.write(","); err.write(Int(x.dim(axis))) }
        err.write("], found [")
        for axis in 0..<header.rank { if axis > 0 { err.write(",") }; err.write(header.dim(axis)) }
        err.write("])")
    }
    err.writeLine()
}

/// Model, arena, interpreter and input, in that order; stops at the first problem.
func loadBatch(modelPath: UnsafePointer<CChar>, inputPath: UnsafePointer<CChar>) throws(Reported) -> LoadedBatch {
    let model = loadModel(modelPath)
    let arena: UnsafeMutableRawBufferPointer
    do { arena = try Platform.allocateAligned(byteCount: max(model.arenaSize, 16)) } catch { report(error, path: modelPath); throw Reported() }
    let interpreter: Interpreter
    do { interpreter = try Interpreter(model: model, arena: arena) } catch {
        err.write("sparrow-device: arena too small: need "); err.write(error.required); err.writeLine(" bytes")
        throw Reported()
    }
    let inputFile: UnsafeMutableRawBufferPointer
    do { inputFile = try Platform.readWholeFile(path: inputPath) } catch { report(error, path: inputPath); throw Reported() }
    let header: NPYHeader
    do { header = try parseNPYHeader(UnsafeRawBufferPointer(inputFile)) } catch { report(error, path: inputPath); throw Reported() }
    let plan: BatchPlan
    do { plan = try BatchPlan(model: model, input: header) } catch { report(error, path: inputPath, header: header, model: model); throw Reported() }
    return LoadedBatch(model: model, interpreter: interpreter, inputFile: inputFile, header: header, plan: plan)
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
