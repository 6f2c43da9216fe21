// Truncated, corrupted and hostile flatbuffers give a specific TFLiteError, never a trap, an
// out-of-bounds read or a runaway: every prefix and every single-bit flip of real models,
// seeded random corruption, and hand-made attacks (offsets out of range, vectors past the end,
// huge sizes, shared tables, deep nesting, broken vtables and strings).
import XCTest
@testable import SparrowTFLite

final class TFLiteRobustnessTests: XCTestCase {
    private func parse(_ bytes: [UInt8]) -> Result<TFLiteModel, TFLiteError> {
        Result { () throws(TFLiteError) in try TFLiteModel(bytes: bytes) }
    }

    private func fixture(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: TFLiteFixtures.path("models/" + name))))
    }

    private func expectError(_ bytes: [UInt8], _ kind: TFLiteError.Kind, path: String? = nil,
                             file: StaticString = #filePath, line: UInt = #line) {
        switch parse(bytes) {
        case .success: XCTFail("hostile file accepted", file: file, line: line)
        case .failure(let e):
            XCTAssertEqual(e.kind, kind, "\(e)", file: file, line: line)
            if let path { XCTAssertEqual(e.path, path, "\(e)", file: file, line: line) }
            XCTAssertFalse(e.message.isEmpty, file: file, line: line)
        }
    }

    func testEveryTruncationIsAnError() throws {
        for (name, bytes) in [("hand-built", TF.bytes(TF.convModel())), ("prelu.int8", try fixture("prelu.int8.tflite")),
                              ("activations.int8", try fixture("activations.int8.tflite"))] {
            XCTAssertNoThrow(try parse(bytes).get(), name)
            var accepted: [Int] = []
            for n in 0..<bytes.count {
                switch parse(Array(bytes[..<n])) {
                case .success: accepted.append(n)
                case .failure(let e):
                    XCTAssertTrue(e.offset.map { $0 >= 0 && $0 <= bytes.count } ?? true, "\(name) cut at \(n): \(e)")
                }
            }
            // Only trailing alignment padding, which nothing references, may be cut off.
            XCTAssertTrue(accepted.allSatisfy { $0 >= bytes.count - 16 }, "\(name): prefixes accepted: \(accepted.prefix(8))")
        }
    }

    func testEverySingleBitFlipIsHandled() throws {
        let bytes = try fixture("prelu.int8.tflite")
        var rejected = 0
        for i in 0..<bytes.count {
            for bit in 0..<8 {
                var flipped = bytes
                flipped[i] ^= 1 << bit
                if case .failure(let e) = parse(flipped) {
                    rejected += 1
                    XCTAssertFalse(e.message.isEmpty)
                }
            }
        }
        // Flips in weights, names and scales are valid models; flips in the structure are not.
        print("prelu.int8: \(rejected) of \(bytes.count * 8) single-bit flips rejected, the rest read as valid models")
        XCTAssertGreaterThan(rejected, bytes.count)
    }

    func testRandomCorruptionOfARealModelNeverTraps() throws {
        let bytes = try fixture("conv.int8.tflite")
        var rng = SplitMix64(seed: 13)
        var outcomes = [0, 0]
        for _ in 0..<2000 {
            var corrupt = bytes
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let at = Int(rng.next() % UInt64(corrupt.count))
                switch rng.next() % 3 {
                case 0: corrupt[at] = UInt8(truncatingIfNeeded: rng.next())
                case 1: corrupt[at] = 0xFF
                default:  // an offset-sized word made huge or pointing backwards
                    for k in 0..<min(4, corrupt.count - at) { corrupt[at + k] = k == 3 ? 0x80 : 0 }
                }
            }
            switch parse(corrupt) {
            case .success: outcomes[0] += 1
            case .failure: outcomes[1] += 1
            }
        }
        print("conv.int8: \(outcomes[1]) of 2000 random corruptions rejected, \(outcomes[0]) read as valid models")
        XCTAssertGreaterThan(outcomes[1], 100, "corruption should mostly be detected: \(outcomes)")
    }

    func testOffsetsOutOfRange() {
        var bytes = TF.bytes(TF.convModel())
        bytes[0...3] = [0xF0, 0xFF, 0xFF, 0xFF]  // root table far past the end
        expectError(bytes, .outOfBounds, path: "")

        // The root's soffset sends its vtable outside the file.
        bytes = TF.bytes(TF.convModel())
        let root = Int(bytes[0]) | Int(bytes[1]) << 8
        bytes[root..<(root + 4)] = [0x00, 0x00, 0x00, 0x80]
        expectError(bytes, .outOfBounds, path: "")

        // A vtable entry placing a field beyond the table's inline size.
        bytes = TF.bytes(TF.convModel())
        let soffset = Int(Int32(bitPattern: UInt32(bytes[root]) | UInt32(bytes[root + 1]) << 8
                                | UInt32(bytes[root + 2]) << 16 | UInt32(bytes[root + 3]) << 24))
        let vtable = root - soffset
        bytes[vtable + 6] = 0xF0  // field 1 (operator_codes)
        bytes[vtable + 7] = 0x7F
        expectError(bytes, .malformed, path: "")
    }

    func testVectorPastTheEndAndHugeSizes() throws {
        // A tensors vector claiming 2^32 - 1 elements.
        var bytes = TF.bytes(TF.convModel())
        let marker = try XCTUnwrap(vectorCountPosition(of: [1, 4, 4, 2], in: bytes))
        bytes[marker..<(marker + 4)] = [0xFF, 0xFF, 0xFF, 0xFF]
        expectError(bytes, .outOfBounds, path: "subgraphs[0].tensors[0].shape")

        // External buffer with offset and size near 2^64: no overflow, a clear error.
        var model = TF.convModel()
        model[4] = .tables([TF.buffer(), FBTable([1: .uint64(.max - 3), 2: .uint64(.max - 3)]), TF.buffer()])
        expectError(TF.bytes(model), .outOfBounds, path: "buffers[1]")

        // Custom options said to live 1 TB into the file.
        model = TF.convModel()
        model[1] = .tables([TF.opcode(32, custom: "Foo")])
        model[2] = .tables([FBTable([0: .tables([TF.tensor("x", [1]), TF.tensor("y", [1])]), 1: .int32s([0]), 2: .int32s([1]),
                                     3: .tables([FBTable([0: .uint32(0), 1: .int32s([0]), 2: .int32s([1]),
                                                          9: .uint64(1 << 40), 10: .uint64(16)])])])])
        switch parse(TF.bytes(model)) {
        case .success: XCTFail("accepted")
        case .failure(let e):
            XCTAssertEqual(e.kind, .outOfBounds)
            XCTAssertEqual(e.operatorIndex, 0)
            XCTAssertEqual(e.opcodeName, "CUSTOM 'Foo'")
        }
    }

    func testSharedTablesCannotExpandASmallFile() {
        // 60 000 references to one tensor whose shape has 20 000 dimensions: 1.2 billion values
        // from a ~320 kB file, unless the work budget stops it.
        let tensor = FBTable([0: .int32s([Int32](repeating: 1, count: 20_000)), 1: .int8(9), 3: .string("t")])
        let subgraph = FBTable([0: .sharedTables(tensor, count: 60_000), 1: .int32s([0]), 2: .int32s([0])])
        let root = FBTable([0: .uint32(3), 1: .tables([TF.opcode(19)]), 2: .tables([subgraph]), 4: .tables([TF.buffer()])])
        let bytes = TF.bytes(root)
        let start = Date()
        expectError(bytes, .tooComplex)
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
    }

    func testNestingIsLimited() throws {
        // A chain of 40 tables, each holding the next in field 0.
        var table = FBTable([1: .int32(7)])
        for _ in 0..<40 { table = FBTable([0: .table(table)]) }
        let buffer = FlatBuffer(bytes: FlatBufferBuilder.build(root: table))
        var current: FlatTable? = try buffer.root(identifier: "TFL3")
        var depth = 0
        XCTAssertThrowsError(try {
            while let t = current {
                current = try t.table(0, "next")
                depth += 1
            }
        }()) { error in
            XCTAssertEqual((error as! TFLiteError).kind, .nestingTooDeep)
        }
        XCTAssertEqual(depth, FlatBuffer.maxDepth)
    }

    func testBrokenStrings() throws {
        var model = TF.convModel()
        model[3] = .string("ABCDEFGH")
        let bytes = TF.bytes(model)
        let at = try XCTUnwrap(find(Array("ABCDEFGH".utf8), in: bytes))
        var unterminated = bytes
        unterminated[at + 8] = 0x41
        expectError(unterminated, .malformed, path: "description")
        var invalid = bytes
        invalid[at + 2] = 0xC3  // a lead byte followed by ASCII
        expectError(invalid, .invalidUTF8, path: "description")
        var long = bytes
        long[at - 4..<at] = [0xF0, 0xFF, 0xFF, 0x0F]
        expectError(long, .outOfBounds, path: "description")
    }
}

/// Position of the u32 count of the int32 vector `values` (the first match).
func vectorCountPosition(of values: [Int32], in bytes: [UInt8]) -> Int? {
    var pattern: [UInt8] = []
    for v in [Int32(values.count)] + values { withUnsafeBytes(of: v.littleEndian) { pattern += $0 } }
    return find(pattern, in: bytes)
}

func find(_ pattern: [UInt8], in bytes: [UInt8]) -> Int? {
    guard bytes.count >= pattern.count else { return nil }
    return (0...(bytes.count - pattern.count)).first { Array(bytes[$0..<($0 + pattern.count)]) == pattern }
}

/// Deterministic test randomness.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
