// Several graph inputs and outputs on the device: `--input NAME=FILE` once per model input, and
// `--output-dir DIR` writing one `<output name>.npy` per graph output (OutputFileName's rule, the
// same as the host's). Names are compared as bytes against the model's input tensor names; every
// buffer is allocated once, before the first inference.

import SparrowFormat
import SparrowNPY
import SparrowRuntime

/// Length of the `NAME` part of a `NAME=FILE` argument when NAME is exactly `name`, else nil.
func namePrefixLength(_ argument: UnsafePointer<CChar>, equals name: UnsafeRawBufferPointer) -> Int? {
    for i in 0..<name.count where argument[i] == 0 || UInt8(bitPattern: argument[i]) != name[i] { return nil }
    return argument[name.count] == 61 ? name.count : nil  // '='
}

/// The `--input` file of every graph input, in input order (`paths[k]` for input k, nil on
/// entry). A single-input model also takes a plain `--input FILE`; otherwise each is `NAME=FILE`.
func inputPaths(model: VerifiedModel, into paths: UnsafeMutablePointer<UnsafePointer<CChar>?>) throws(Reported) {
    var given = 0
    var index = arguments.firstIndex(of: "--input")
    while let i = index {
        guard let value = arguments[i + 1] else { break }
        given += 1
        var input = -1, path = value
        for k in 0..<model.inputCount {
            if let n = namePrefixLength(value, equals: model.tensorName(model.graphInput(k))) { input = k; path = value + n + 1 }
        }
        if input < 0 && model.inputCount == 1 && arguments.firstIndex(of: "--input", from: i + 2) == nil && given == 1 { input = 0 }
        guard input >= 0 else {
            err.write("sparrow-device: --input "); err.write(cString: value)
            err.write(": no model input of that name; give --input NAME=FILE for each input:")
            writeInputNames(model)
            throw Reported()
        }
        guard paths[input] == nil else {
            err.write("sparrow-device: --input given twice for input '"); err.write(bytes: model.tensorName(model.graphInput(input)))
            err.writeLine("'")
            throw Reported()
        }
        paths[input] = path
        index = arguments.firstIndex(of: "--input", from: i + 2)
    }
    for k in 0..<model.inputCount where paths[k] == nil {
        err.write("sparrow-device: no --input for model input '"); err.write(bytes: model.tensorName(model.graphInput(k)))
        err.write("' ("); err.write(given); err.write(" given for "); err.write(model.inputCount)
        err.write(" inputs); give --input NAME=FILE for each:")
        writeInputNames(model)
        throw Reported()
    }
}

/// ` 'a' 'b'` and a newline, on stderr.
func writeInputNames(_ model: VerifiedModel) {
    for k in 0..<model.inputCount {
        err.write(" '"); err.write(bytes: model.tensorName(model.graphInput(k))); err.write("'")
    }
    err.writeLine()
}

/// Reads and checks input k's file for the batch; `headers[k]` receives its header. An int8 or
/// uint8 input's own codes are turned into the floats that quantize back to them (`codesAsFloats`),
/// in a buffer allocated here, before the first inference.
func loadInput(_ model: VerifiedModel, _ k: Int, path: UnsafePointer<CChar>, header: UnsafeMutablePointer<NPYHeader>)
    throws(Reported) -> UnsafePointer<Float>
{
    let file: UnsafeMutableRawBufferPointer
    do { file = try Platform.readWholeFile(path: path) } catch { report(error, path: path); throw Reported() }
    do { header.initialize(to: try parseNPYHeader(UnsafeRawBufferPointer(file))) } catch { report(error, path: path); throw Reported() }
    let h = header.pointee
    if h.dtype != .float32, h.dtype == BatchPlan.codeDType(model, k) {
        let floats: UnsafeMutableRawBufferPointer
        do { floats = try Platform.allocateAligned(byteCount: max(h.elementCount * 4, 16)) } catch { report(error, path: path); throw Reported() }
        let values = floats.baseAddress!.bindMemory(to: Float.self, capacity: h.elementCount)
        if let i = codesAsFloats(model: model, input: k, codes: UnsafeRawPointer(file.baseAddress! + h.dataOffset),
                                 count: h.elementCount, into: values) {
            err.write("sparrow-device: "); err.write(cString: path); err.write(": code at element "); err.write(i)
            err.writeLine(" cannot be carried exactly at the model input's scale; give float32 samples instead")
            throw Reported()
        }
        return UnsafePointer(values)
    }
    // The payload of a numpy-written file starts 64-byte aligned, so float loads are aligned.
    return UnsafePointer((file.baseAddress! + header.pointee.dataOffset).assumingMemoryBound(to: Float.self))
}

/// Every graph output of a batch, each as a whole .npy file in memory, and the path it goes to.
struct OutputDirectory {
    /// `files[k]`: output k's .npy bytes (header, then N samples); `data[k]`: where sample 0 goes.
    let files: UnsafeMutablePointer<UnsafeMutableRawBufferPointer>
    let data: UnsafeMutablePointer<UnsafeMutablePointer<Float>>
    let paths: UnsafeMutablePointer<UnsafeMutablePointer<CChar>>
    let count: Int

    /// Allocates every output file and its path `DIR/<name>.npy`, and checks each can be created.
    init(model: VerifiedModel, sampleCount: Int, directory: UnsafePointer<CChar>) throws(Reported) {
        count = model.outputCount
        func allocate(_ byteCount: Int) throws(Reported) -> UnsafeMutableRawBufferPointer {
            do { return try Platform.allocateAligned(byteCount: byteCount) } catch { report(error, path: directory); throw Reported() }
        }
        var dirLength = 0
        while directory[dirLength] != 0 { dirLength += 1 }
        let pathCapacity = dirLength + 1 + OutputFileName.maxStemBytes + 32 + 1
        files = try allocate(count * MemoryLayout<UnsafeMutableRawBufferPointer>.stride)
            .baseAddress!.bindMemory(to: UnsafeMutableRawBufferPointer.self, capacity: count)
        data = try allocate(count * MemoryLayout<UnsafeMutablePointer<Float>>.stride)
            .baseAddress!.bindMemory(to: UnsafeMutablePointer<Float>.self, capacity: count)
        paths = try allocate(count * MemoryLayout<UnsafeMutablePointer<CChar>>.stride)
            .baseAddress!.bindMemory(to: UnsafeMutablePointer<CChar>.self, capacity: count)
        for k in 0..<count {
            let layout = OutputLayout(model: model, output: k, sampleCount: sampleCount)
            guard let headerLength = layout.headerLength, let total = layout.fileByteCount else {
                err.writeLine("sparrow-device: output shape too large"); throw Reported()
            }
            let file = try allocate(total)
            _ = layout.writeHeader(into: UnsafeMutableRawBufferPointer(rebasing: file[0..<headerLength]))
            (files + k).initialize(to: file)
            (data + k).initialize(to: (file.baseAddress! + headerLength).assumingMemoryBound(to: Float.self))
            let path = try allocate(pathCapacity)
            path.baseAddress!.copyMemory(from: directory, byteCount: dirLength)
            path[dirLength] = 47  // '/'
            let rest = UnsafeMutableRawBufferPointer(rebasing: path[(dirLength + 1)..<(pathCapacity - 1)])
            let nameLength = OutputFileName.write(model: model, output: k, into: rest) ?? 0
            path[dirLength + 1 + nameLength] = 0
            (paths + k).initialize(to: path.baseAddress!.assumingMemoryBound(to: CChar.self))
        }
        for k in 0..<count { try checkWritable(UnsafePointer(paths[k])) }
    }

    /// Writes every output file; reports the first failure.
    func write() throws(Reported) {
        for k in 0..<count {
            do { try Platform.writeFile(path: paths[k], bytes: UnsafeRawBufferPointer(files[k])) } catch {
                report(error, path: paths[k]); throw Reported()
            }
        }
    }
}
