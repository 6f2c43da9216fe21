import Foundation
import SparrowConverter
import SparrowFormat
import SparrowRuntime
import Testing
import SparrowTestSupport

/// Structured fuzzing of the verifier on real converted models. Random bit flips alone only
/// exercise the checksum, so each mutation here rewrites a random 1–4 byte field inside the
/// tables (tensors, operators, indices, params, exits, sparse, constants) and then *reseals* the
/// checksum, so the deeper checks are the ones that must catch it. A mutated file is either
/// rejected with a ModelError, or it is still a valid model — then it must run to completion in
/// exactly the arena its header declares. `GuardedRun` proves the writes stay in bounds without a
/// sanitizer: the model bytes and the arena sit between canary-filled guard zones in one block,
/// and after the run the guards must be intact and the model bytes (header, tables, constants,
/// sparse matrices) unchanged. Out-of-bounds *reads* need AddressSanitizer
/// (`Toolchains/sanitize.sh address` runs this suite).
@Suite struct VerifierFuzzTests {
    static func converted(_ name: String, extra: [String] = []) throws -> [UInt8] {
        let options = ConversionOptions(calibrationPath: IRFixtures.digits("digits_calib.npy"))
        return try convert(onnxPath: IRFixtures.digits(name + ".onnx"), options: options).bytes
    }

    /// Overwrites a random field in a random non-empty table section, then reseals the checksum.
    static func mutate(_ bytes: [UInt8], _ g: inout SplitMix64) -> [UInt8] {
        var b = bytes
        let view = b.withUnsafeBytes { raw in
            (0..<10).map { ModelFileView(bytes: raw).sectionRange(Section(rawValue: UInt8($0))!) }
        }
        let candidates = view.enumerated().filter { $0.offset != 0 && $0.element.size >= 4 }
        let section = candidates[g.below(candidates.count)].element
        let width = [1, 2, 4][g.below(3)]
        let at = section.offset + g.below(section.size - width + 1)
        let interesting: [UInt32] = [0, 1, 0xFF, 0x7F, 0x80, 0xFFFF, 0xFFFF_FFFF, 0x7FFF_FFFF, 0x8000_0000, 16, 255, 256]
        let value = g.below(2) == 0 ? interesting[g.below(interesting.count)] : UInt32(truncatingIfNeeded: g.next())
        for i in 0..<width { b[at + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) }
        return resealed(b)
    }

    @Test(arguments: ["digits_cnn", "digits_mbv3"])
    func mutatedModelsAreRejectedOrRunSafely(model: String) throws {
        let original = try Self.converted(model)
        var g = SplitMix64(seed: 0x5EED ^ UInt64(model.count))
        var rejected = 0, accepted = 0
        var reasons: Set<String> = []
        for _ in 0..<1500 {
            let bytes = Self.mutate(original, &g)
            do {
                // Still valid: it must run in exactly its declared arena and write nowhere else.
                let run = try GuardedRun(bytes)
                accepted += 1
                run.invokeAndCheck(model: model)
            } catch let error as ModelError {
                rejected += 1
                reasons.insert("\(error.reason)")
            }
        }
        print("\(model): 1500 resealed mutations, \(rejected) rejected (\(reasons.count) distinct reasons), \(accepted) still valid and ran")
        // Most random rewrites of table fields must be caught by a check other than the CRC.
        #expect(rejected > 1000)
        #expect(reasons.count >= 10)
    }

    /// The guard check itself: a clean run leaves nothing, a byte written just past the arena,
    /// just before it, or into the model file is found.
    @Test func guardedRunDetectsStrayWrites() throws {
        let run = try GuardedRun(Self.converted("digits_cnn"))
        run.invokeAndCheck(model: "digits_cnn")
        #expect(run.strayWrites() == (0, 0))
        for at in [run.arenaAt + run.arenaSize, run.arenaAt - 1] {
            run.block[at] ^= 0xFF
            #expect(run.strayWrites() == (1, 0))
            run.block[at] ^= 0xFF
        }
        run.block[run.modelAt + run.original.count - 1] ^= 1
        #expect(run.strayWrites() == (0, 1))
    }
}

/// One allocation laid out as  [guard][model bytes][guard][arena][guard], guards filled with a
/// canary pattern, so a run that writes outside its arena or into the model is detected by
/// comparing bytes afterwards.
final class GuardedRun {
    static let guardSize = 4096
    let block: UnsafeMutableRawBufferPointer
    let original: [UInt8]
    let modelAt: Int, arenaAt: Int, arenaSize: Int
    let interpreter: Interpreter
    let exits: Bool

    static func canary(_ i: Int) -> UInt8 { UInt8(truncatingIfNeeded: (i &* 131) ^ 0xA5) }

    init(_ bytes: [UInt8]) throws {
        original = bytes
        let g = Self.guardSize, align = ModelFormat.sectionAlignment
        modelAt = g
        let modelEnd = modelAt + (bytes.count + align - 1) / align * align
        arenaAt = modelEnd + g
        // Verified once on its own to learn the arena size (throws the ModelError if invalid).
        arenaSize = try HostModel(bytes: bytes).model.arenaSize
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: arenaAt + arenaSize + g, alignment: align)
        for i in 0..<block.count { block[i] = Self.canary(i) }
        let at = modelAt
        bytes.withUnsafeBytes { block.baseAddress!.advanced(by: at).copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        self.block = block
        let model = try VerifiedModel.verify(UnsafeRawBufferPointer(rebasing: block[modelAt..<(modelAt + bytes.count)]))
        exits = model.exitCount > 0
        interpreter = try Interpreter(model: model, arena: UnsafeMutableRawBufferPointer(rebasing: block[arenaAt..<(arenaAt + arenaSize)]))
    }

    deinit { block.deallocate() }

    /// Runs once (and once at full depth when the model has exits), then checks every byte
    /// outside the arena: guards hold their canaries, the model bytes are the file's.
    func invokeAndCheck(model name: String) {
        interpreter.inputBuffer(0).initializeMemory(as: UInt8.self, repeating: 0)
        let result = interpreter.invoke()
        #expect(result.operatorsRun >= 1)
        if exits { _ = interpreter.invoke(fullDepth: true) }
        let (guardsHit, modelBytesChanged) = strayWrites()
        #expect(guardsHit == 0, "\(name): a run wrote \(guardsHit) bytes outside its model and arena")
        #expect(modelBytesChanged == 0, "\(name): a run changed \(modelBytesChanged) bytes of its model file")
    }

    /// Bytes that differ from their canary outside model and arena, and model bytes that differ
    /// from the file.
    func strayWrites() -> (guards: Int, model: Int) {
        var guardsHit = 0, modelBytesChanged = 0
        for i in 0..<block.count {
            if i >= modelAt && i < modelAt + original.count {
                if block[i] != original[i - modelAt] { modelBytesChanged += 1 }
            } else if !(i >= arenaAt && i < arenaAt + arenaSize) {
                if block[i] != Self.canary(i) { guardsHit += 1 }
            }
        }
        return (guardsHit, modelBytesChanged)
    }
}
