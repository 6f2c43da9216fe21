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
/// exactly the arena its header declares (reads and writes stay inside the model bytes and the
/// arena; run this suite under `swift test --sanitize=address` to have that checked byte by byte).
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
                // Still valid: it must run in exactly its declared arena (HostModel allocates that).
                let loaded = try HostModel(bytes: bytes)
                accepted += 1
                loaded.interpreter.inputBuffer(0).initializeMemory(as: UInt8.self, repeating: 0)
                let result = loaded.invoke()
                #expect(result.operatorsRun >= 1)
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
}
