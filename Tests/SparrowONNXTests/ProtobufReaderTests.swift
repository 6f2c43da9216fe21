import Testing
@testable import SparrowONNX

/// The wire-format layer on hand-built bytes: every wire type, both repeated encodings, and
/// malformed input giving typed errors with offsets.
@Suite struct ProtobufReaderTests {
    func varint(_ bytes: [UInt8]) -> Result<UInt64, ONNXError> {
        var r = ProtobufReader(bytes: bytes)
        return Result { () throws(ONNXError) in try r.readVarint() }
    }

    @Test func varintsFromTheSpec() throws {
        #expect(try varint([0x00]).get() == 0)
        #expect(try varint([0x01]).get() == 1)
        #expect(try varint([0x96, 0x01]).get() == 150)   // the protobuf encoding guide's example
        #expect(try varint([0xAC, 0x02]).get() == 300)
        #expect(try varint([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]).get() == UInt64.max)
        // int32 -1 is sign-extended to ten bytes on the wire.
        var r = ProtobufReader(bytes: ProtoWriter.varintBytes(UInt64(bitPattern: -1)))
        #expect(try r.readInt32() == -1)
        #expect(r.isAtEnd)
    }

    @Test func malformedVarints() {
        #expect(varint([]).failure?.kind == .truncated)
        #expect(varint([0x80]).failure == ONNXError(.truncated, path: "", offset: 0,
                                                   "varint runs past the end of the message (file truncated?)"))
        #expect(varint([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02]).failure?.kind == .malformedVarint)
        #expect(varint([UInt8](repeating: 0x80, count: 11) + [0]).failure?.kind == .malformedVarint)
    }

    @Test func fixedWidthAndLengthDelimited() throws {
        var w = ProtoWriter()
        w.fixed32(1, 0x3FC0_0000); w.fixed64(2, 0x0102_0304_0506_0708); w.string(3, "héllo")
        var r = ProtobufReader(bytes: w.bytes)
        #expect(try r.readTag()! == (1, .fixed32))
        #expect(try r.readFloat() == 1.5)
        #expect(try r.readTag()! == (2, .fixed64))
        #expect(try r.readFixed64() == 0x0102_0304_0506_0708)
        #expect(try r.readTag()! == (3, .lengthDelimited))
        #expect(try r.readString() == "héllo")
        #expect(try r.readTag() == nil)

        var short = ProtobufReader(bytes: [1, 2, 3])
        #expect(throws: ONNXError.self) { try short.readFixed32() }
        var long = ProtobufReader(bytes: [0x0A, 0x05, 0x61, 0x62])  // field 1, length 5, only 2 bytes
        _ = try long.readTag()
        #expect(Result { () throws(ONNXError) in try long.readLengthDelimited() }.failure?.offset == 1)
        var badUTF8 = ProtobufReader(bytes: [0x02, 0xC3, 0x28])
        #expect(Result { () throws(ONNXError) in try badUTF8.readString() }.failure?.kind == .invalidUTF8)
    }

    @Test func repeatedFieldsPackedAndUnpackedMix() throws {
        var w = ProtoWriter()
        w.varint(8, 1); w.packedVarints(8, [-2, 300]); w.varint(8, 1 << 40)
        w.fixed32(7, Float(0.5).bitPattern); w.packedFloats(7, [-1, 2])
        var r = ProtobufReader(bytes: w.bytes)
        var ints: [UInt64] = [], floats: [UInt32] = []
        while let (field, wireType) = try r.readTag() {
            if field == 8 { try r.readRepeatedVarint(wireType, field: field, into: &ints) }
            else { try r.readRepeatedFixed32(wireType, field: field, into: &floats) }
        }
        #expect(ints.map { Int64(bitPattern: $0) } == [1, -2, 300, 1 << 40])
        #expect(floats.map { Float(bitPattern: $0) } == [0.5, -1, 2])

        var odd = ProtobufReader(bytes: [0x3A, 0x03, 0, 0, 0])  // packed floats, 3 bytes
        var out: [UInt32] = []
        let (f, wt) = try odd.readTag()!
        #expect(Result { () throws(ONNXError) in try odd.readRepeatedFixed32(wt, field: f, into: &out) }.failure?.kind
                == .malformedField)
    }

    @Test func skipsEveryWireTypeIncludingNestedGroups() throws {
        var w = ProtoWriter()
        w.varint(100, -5); w.fixed64(101, 1); w.fixed32(102, 2); w.string(103, "skip me")
        w.tag(104, 3)                       // start group 104
        w.varint(1, 7); w.tag(105, 3); w.string(2, "inner"); w.tag(105, 4)  // nested group 105
        w.tag(104, 4)                       // end group 104
        w.varint(1, 42)
        var r = ProtobufReader(bytes: w.bytes)
        var last: Int64? = nil
        while let (field, wireType) = try r.readTag() {
            if field == 1 { last = try r.readInt64() } else { try r.skip(field: field, wireType: wireType) }
        }
        #expect(last == 42)
    }

    @Test(arguments: [
        ([0x0E, 0x00] as [UInt8], ONNXError.Kind.malformedField),   // wire type 6
        ([0x0F, 0x00], .malformedField),                            // wire type 7
        ([0x00, 0x00], .malformedField),                            // field number 0
        ([0x0C], .malformedField),                                  // end group with no start
        ([0x0B, 0x08, 0x01], .truncated),                           // group never closed
        ([0x0B, 0x14], .malformedField),                            // group 1 closed by end-group 2
    ])
    func malformedRecords(bytes: [UInt8], kind: ONNXError.Kind) {
        var r = ProtobufReader(bytes: bytes)
        let result = Result { () throws(ONNXError) in
            while let (field, wireType) = try r.readTag() { try r.skip(field: field, wireType: wireType) }
        }
        #expect(result.failure?.kind == kind)
    }

    @Test func deeplyNestedGroupsStopAtTheDepthLimit() {
        var bytes: [UInt8] = []
        for _ in 0..<10_000 { bytes.append(0x0B) }  // start group 1, never-ending nesting
        var r = ProtobufReader(bytes: bytes)
        let result = Result { () throws(ONNXError) in
            while let (field, wireType) = try r.readTag() { try r.skip(field: field, wireType: wireType) }
        }
        #expect(result.failure?.kind == .nestingTooDeep)
    }
}

extension Result {
    var failure: Failure? { if case .failure(let e) = self { return e } else { return nil } }
}
