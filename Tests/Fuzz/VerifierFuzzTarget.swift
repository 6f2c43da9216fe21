// libFuzzer target: the device's model verifier and interpreter (Toolchains/fuzz.sh verifier).
//
// Any byte string must either fail verification with a ModelError, or be a model that then runs
// to completion inside the arena its header declares (AddressSanitizer checks every access).
// The file size and CRC-32 header fields are resealed before verifying, so mutations get past
// those two checks to the deeper ones; truncations and bit flips that only the CRC catches are
// covered exhaustively by VerifierTests.
import SparrowFormat
import SparrowRuntime

/// Models needing a bigger arena are valid but not worth running here (the device would report
/// that it cannot allocate the arena).
let largestArenaRun = 64 << 20

@_cdecl("LLVMFuzzerTestOneInput")
public func verifierFuzzTarget(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // The device loads models into 16-byte aligned memory; so does this target.
    let file = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 16)
    defer { file.deallocate() }
    file.copyMemory(from: UnsafeRawBufferPointer(start: data, count: size))
    if size >= ModelFormat.headerSize {
        file.storeBytes(of: UInt32(size).littleEndian, toByteOffset: HeaderField.fileSize, as: UInt32.self)
        let sum = modelChecksum(UnsafeRawBufferPointer(rebasing: file[0..<size]))
        file.storeBytes(of: sum.littleEndian, toByteOffset: HeaderField.checksum, as: UInt32.self)
    }
    let model: VerifiedModel
    do {
        model = try VerifiedModel.verify(UnsafeRawBufferPointer(rebasing: file[0..<size]))
    } catch {
        return 0  // a typed ModelError: the wanted outcome for a bad file
    }
    guard model.arenaSize <= largestArenaRun else { return 0 }
    // Exactly the declared arena, so any overrun is an ASan report.
    let arena = UnsafeMutableRawBufferPointer.allocate(byteCount: max(model.arenaSize, 1), alignment: Interpreter.arenaAlignment)
    defer { arena.deallocate() }
    guard let interpreter = try? Interpreter(model: model, arena: UnsafeMutableRawBufferPointer(rebasing: arena[0..<model.arenaSize])) else {
        return 0
    }
    for i in 0..<model.inputCount {
        let input = interpreter.inputBuffer(i)
        for k in 0..<input.count { input[k] = data[k % size] }  // input values from the file bytes
    }
    let result = interpreter.invoke()
    precondition(result.operatorsRun <= model.operatorCount, "ran \(result.operatorsRun) of \(model.operatorCount) operators")
    if model.exitCount > 0 { _ = interpreter.invoke(fullDepth: true) }
    return 0
}
