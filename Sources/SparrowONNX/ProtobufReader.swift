// Protocol-buffer wire format decoding, enough for ONNX (https://protobuf.dev/programming-guides/encoding/).
//
// A message is a sequence of (tag, value) records; tag = field_number << 3 | wire_type:
//   0 varint   1 fixed64   2 length-delimited   3 start group   4 end group   5 fixed32
// Every read is bounds-checked against the end of the enclosing message; malformed input gives an
// `ONNXError` with the byte offset, never a trap.

/// The wire type of a field record.
public enum ProtobufWireType: UInt8, Sendable {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case startGroup = 3
    case endGroup = 4
    case fixed32 = 5
}

/// A cursor over one protobuf message inside a shared byte buffer.
public struct ProtobufReader {
    /// How deep messages may nest (graph → node → attribute → graph ...). Bounds recursion so a
    /// crafted file cannot exhaust the stack.
    public static let maxDepth = 64

    public let bytes: [UInt8]
    /// Offset of the next unread byte, from the start of `bytes`.
    public private(set) var offset: Int
    /// End of this message (exclusive).
    public let end: Int
    /// Field path used in errors, e.g. `graph.node[3]`.
    public let path: String
    /// Nesting depth of this message (0 for the root).
    public let depth: Int

    public init(bytes: [UInt8]) {
        self.init(bytes: bytes, range: 0..<bytes.count, path: "", depth: 0)
    }

    init(bytes: [UInt8], range: Range<Int>, path: String, depth: Int) {
        self.bytes = bytes
        self.offset = range.lowerBound
        self.end = range.upperBound
        self.path = path
        self.depth = depth
    }

    public var isAtEnd: Bool { offset >= end }

    public func error(_ kind: ONNXError.Kind, at position: Int? = nil, _ message: String) -> ONNXError {
        ONNXError(kind, path: path, offset: position ?? offset, message)
    }

    /// The next field's number and wire type, or nil at the end of the message.
    public mutating func readTag() throws(ONNXError) -> (field: Int, wireType: ProtobufWireType)? {
        guard !isAtEnd else { return nil }
        let start = offset
        let tag = try readVarint()
        let field = tag >> 3
        guard let wireType = ProtobufWireType(rawValue: UInt8(tag & 7)) else {
            throw error(.malformedField, at: start, "wire type \(tag & 7) does not exist (the file is corrupt)")
        }
        guard field >= 1, field <= 536_870_911 else {
            throw error(.malformedField, at: start, "field number \(field) is out of range (the file is corrupt)")
        }
        return (Int(field), wireType)
    }

    public mutating func readVarint() throws(ONNXError) -> UInt64 {
        let start = offset
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < end else {
                throw error(.truncated, at: start, "varint runs past the end of the message (file truncated?)")
            }
            let byte = bytes[offset]
            offset += 1
            // The 10th byte may only contribute the top bit of a 64-bit value.
            if shift == 63 && byte > 1 {
                throw error(.malformedVarint, at: start, "varint overflows 64 bits")
            }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    public mutating func readFixed32() throws(ONNXError) -> UInt32 {
        guard end - offset >= 4 else { throw error(.truncated, "fixed32 runs past the end of the message") }
        var value: UInt32 = 0
        for i in 0..<4 { value |= UInt32(bytes[offset + i]) << (8 * UInt32(i)) }
        offset += 4
        return value
    }

    public mutating func readFixed64() throws(ONNXError) -> UInt64 {
        guard end - offset >= 8 else { throw error(.truncated, "fixed64 runs past the end of the message") }
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        offset += 8
        return value
    }

    /// Reads a length prefix and returns the byte range of the payload, leaving the cursor after it.
    public mutating func readLengthDelimited() throws(ONNXError) -> Range<Int> {
        let start = offset
        let length = try readVarint()
        guard length <= UInt64(end - offset) else {
            throw error(.truncated, at: start,
                        "length \(length) runs past the end of the enclosing message (\(end - offset) bytes left; file truncated?)")
        }
        let range = offset..<(offset + Int(length))
        offset = range.upperBound
        return range
    }

    public mutating func readBytes() throws(ONNXError) -> [UInt8] {
        Array(bytes[try readLengthDelimited()])
    }

    public mutating func readString() throws(ONNXError) -> String {
        let start = offset
        let range = try readLengthDelimited()
        guard let string = String(validating: bytes[range], as: UTF8.self) else {
            throw error(.invalidUTF8, at: start, "string field is not valid UTF-8 (the file is corrupt)")
        }
        return string
    }

    /// A reader for the embedded message that follows, with `path` for its errors.
    public mutating func readMessage(path: String) throws(ONNXError) -> ProtobufReader {
        let start = offset
        let range: Range<Int>
        do throws(ONNXError) {
            range = try readLengthDelimited()
        } catch {
            // The field being read is the one cut short: name it, not its parent.
            var error = error
            error.path = path
            throw error
        }
        guard depth + 1 <= Self.maxDepth else {
            throw ONNXError(.nestingTooDeep, path: path, offset: start,
                            "messages nest deeper than \(Self.maxDepth) levels (subgraphs within subgraphs)")
        }
        return ProtobufReader(bytes: bytes, range: range, path: path, depth: depth + 1)
    }

    /// Skips the value of a field whose tag was just read, whatever its wire type.
    public mutating func skip(field: Int, wireType: ProtobufWireType) throws(ONNXError) {
        switch wireType {
        case .varint: _ = try readVarint()
        case .fixed64: _ = try readFixed64()
        case .fixed32: _ = try readFixed32()
        case .lengthDelimited: _ = try readLengthDelimited()
        case .endGroup:
            throw error(.malformedField, "end-group tag for field \(field) without a matching start group")
        case .startGroup:
            // Groups (deprecated, never written by ONNX) can nest: skip the records inside, recursing
            // for inner groups up to the depth limit, until the end-group tag of this field.
            guard depth + 1 <= Self.maxDepth else {
                throw error(.nestingTooDeep, "groups nest deeper than \(Self.maxDepth) levels")
            }
            var inner = ProtobufReader(bytes: bytes, range: offset..<end, path: path, depth: depth + 1)
            while true {
                guard let (innerField, innerType) = try inner.readTag() else {
                    throw error(.truncated, "group for field \(field) is never closed")
                }
                if innerType == .endGroup {
                    guard innerField == field else {
                        throw inner.error(.malformedField, "end-group for field \(innerField) closes group \(field)")
                    }
                    break
                }
                try inner.skip(field: innerField, wireType: innerType)
            }
            offset = inner.offset
        }
    }

    // MARK: typed scalar helpers (ONNX int32/int64 are varints; negative values are sign-extended)

    public mutating func readInt64() throws(ONNXError) -> Int64 { Int64(bitPattern: try readVarint()) }

    public mutating func readInt32() throws(ONNXError) -> Int32 { Int32(truncatingIfNeeded: try readVarint()) }

    public mutating func readFloat() throws(ONNXError) -> Float { Float(bitPattern: try readFixed32()) }

    public mutating func readDouble() throws(ONNXError) -> Double { Double(bitPattern: try readFixed64()) }

    /// Appends a repeated varint field in either encoding: one value (wire type 0) or packed (2).
    public mutating func readRepeatedVarint(_ wireType: ProtobufWireType, field: Int, into out: inout [UInt64]) throws(ONNXError) {
        switch wireType {
        case .varint:
            out.append(try readVarint())
        case .lengthDelimited:
            let range = try readLengthDelimited()
            var packed = ProtobufReader(bytes: bytes, range: range, path: path, depth: depth)
            while !packed.isAtEnd { out.append(try packed.readVarint()) }
        default:
            throw error(.malformedField, "field \(field) holds varints but has wire type \(wireType.rawValue)")
        }
    }

    /// Appends a repeated fixed32 field (float) in either encoding: one value (wire type 5) or packed (2).
    public mutating func readRepeatedFixed32(_ wireType: ProtobufWireType, field: Int, into out: inout [UInt32]) throws(ONNXError) {
        switch wireType {
        case .fixed32:
            out.append(try readFixed32())
        case .lengthDelimited:
            let start = offset
            let range = try readLengthDelimited()
            guard range.count % 4 == 0 else {
                throw error(.malformedField, at: start, "packed fixed32 field \(field) is \(range.count) bytes, not a multiple of 4")
            }
            var packed = ProtobufReader(bytes: bytes, range: range, path: path, depth: depth)
            out.reserveCapacity(out.count + range.count / 4)
            while !packed.isAtEnd { out.append(try packed.readFixed32()) }
        default:
            throw error(.malformedField, "field \(field) holds fixed32 values but has wire type \(wireType.rawValue)")
        }
    }

    /// Appends a repeated fixed64 field (double) in either encoding: one value (wire type 1) or packed (2).
    public mutating func readRepeatedFixed64(_ wireType: ProtobufWireType, field: Int, into out: inout [UInt64]) throws(ONNXError) {
        switch wireType {
        case .fixed64:
            out.append(try readFixed64())
        case .lengthDelimited:
            let start = offset
            let range = try readLengthDelimited()
            guard range.count % 8 == 0 else {
                throw error(.malformedField, at: start, "packed fixed64 field \(field) is \(range.count) bytes, not a multiple of 8")
            }
            var packed = ProtobufReader(bytes: bytes, range: range, path: path, depth: depth)
            out.reserveCapacity(out.count + range.count / 8)
            while !packed.isAtEnd { out.append(try packed.readFixed64()) }
        default:
            throw error(.malformedField, "field \(field) holds fixed64 values but has wire type \(wireType.rawValue)")
        }
    }

    /// Throws unless the field just tagged has the wire type its declared type requires.
    public func expect(_ wireType: ProtobufWireType, is required: ProtobufWireType, field: Int, name: String) throws(ONNXError) {
        guard wireType == required else {
            throw error(.malformedField, "field \(field) (\(name)) has wire type \(wireType.rawValue), expected \(required.rawValue) (the file is corrupt)")
        }
    }
}
