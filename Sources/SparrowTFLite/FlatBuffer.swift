// Reading the flatbuffers binary format (https://flatbuffers.dev/internals/), enough for the
// TFLite schema. All integers are little-endian.
//
//   buffer  u32 offset of the root table, then (TFLite) the 4-byte file identifier "TFL3"
//   table   i32 soffset: the table's vtable is at (table position − soffset); then the fields
//   vtable  u16 vtable size in bytes, u16 table inline size, then one u16 per field: the field's
//           offset from the table start, 0 when the field is absent (its default applies)
//   offset  a u32 field holding the distance from the field itself forward to a table, vector
//           or string (unsigned, so references only point forward: a flatbuffer cannot hold a
//           cycle except through vtables, which reference nothing)
//   vector  u32 element count, then the elements (tables as u32 offsets, each relative to its slot)
//   string  u32 byte count, the UTF-8 bytes, a NUL terminator
//   union   two fields: a u8 type (0 = NONE) and an offset to the table of that type
//
// Every read is bounds-checked against the file; malformed input gives a `TFLiteError` naming
// the table path and byte offset, never a trap. Two limits keep hostile files cheap: nesting
// depth (`maxDepth`) and a work budget proportional to the file size, charged for every table
// visited and vector element decoded, so tables shared by many references cannot make a small
// file expand into gigabytes of decoded values.

/// A flatbuffer in memory and the work budget its readers share.
public final class FlatBuffer {
    /// How deep tables may nest. The TFLite schema needs 6 (Model → SubGraph → Operator →
    /// options); the limit only guards readers against runaway recursion.
    public static let maxDepth = 32

    public let bytes: [UInt8]
    /// Work units left; see `charge`.
    public private(set) var budget: Int

    /// `budget` defaults to 4 units per file byte plus a floor. Every honest table, vector
    /// element and 4 string bytes take at least 4 bytes of the file, so a real model spends at
    /// most a quarter of it, while a hostile one cannot decode more than ~32 bytes of values
    /// per file byte.
    public init(bytes: [UInt8], budget: Int? = nil) {
        self.bytes = bytes
        self.budget = budget ?? (4 * bytes.count + 65_536)
    }

    public var count: Int { bytes.count }

    /// Spends `units` of the work budget, throwing once it is exhausted.
    func charge(_ units: Int, path: String, at position: Int) throws(TFLiteError) {
        budget -= units
        guard budget >= 0 else {
            throw TFLiteError(.tooComplex, path: path, offset: position,
                              "reading this file takes more work than its size justifies (tables or vectors shared by too many references); the file is corrupt or hostile")
        }
    }

    // MARK: bounds-checked little-endian scalars

    /// Throws unless `size` bytes at `position` lie inside the file.
    func check(_ position: Int, _ size: Int, path: String, _ what: @autoclosure () -> String) throws(TFLiteError) {
        guard position >= 0, size >= 0, position <= bytes.count, size <= bytes.count - position else {
            throw TFLiteError(.outOfBounds, path: path, offset: position,
                              "\(what()) (\(size) bytes at \(position)) lies outside the file of \(bytes.count) bytes (file truncated or corrupt)")
        }
    }

    // The unchecked readers below are only called after `check` covered the bytes.
    func u8(_ p: Int) -> UInt8 { bytes[p] }
    func u16(_ p: Int) -> UInt16 { UInt16(bytes[p]) | UInt16(bytes[p + 1]) << 8 }
    func u32(_ p: Int) -> UInt32 {
        UInt32(bytes[p]) | UInt32(bytes[p + 1]) << 8 | UInt32(bytes[p + 2]) << 16 | UInt32(bytes[p + 3]) << 24
    }
    func u64(_ p: Int) -> UInt64 { UInt64(u32(p)) | UInt64(u32(p + 4)) << 32 }

    // MARK: root

    /// The root table, after checking the 4-byte file identifier at bytes 4..<8.
    public func root(identifier: String) throws(TFLiteError) -> FlatTable {
        guard bytes.count >= 8 else {
            throw TFLiteError(.notTFLite, path: "", offset: 0,
                              "the file is \(bytes.count) bytes, too short for a flatbuffer; pass a .tflite model")
        }
        let found = bytes[4..<8]
        guard Array(found) == Array(identifier.utf8) else {
            let shown = found.map { (32...126).contains($0) ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16) }.joined()
            throw TFLiteError(.notTFLite, path: "", offset: 4,
                              "file identifier is '\(shown)', not '\(identifier)': this is not a TFLite model (a .tflite file from TensorFlow's converter is expected)")
        }
        return try table(at: Int(u32(0)), path: "", depth: 0, referencedFrom: 0)
    }

    /// The table at `position`, with its vtable checked.
    func table(at position: Int, path: String, depth: Int, referencedFrom: Int) throws(TFLiteError) -> FlatTable {
        guard depth <= Self.maxDepth else {
            throw TFLiteError(.nestingTooDeep, path: path, offset: referencedFrom,
                              "tables nest deeper than \(Self.maxDepth) levels (the file is corrupt or hostile)")
        }
        try charge(1, path: path, at: position)
        try check(position, 4, path: path, "the table")
        let soffset = Int(Int32(bitPattern: u32(position)))
        let vtable = position - soffset
        try check(vtable, 4, path: path, "the table's vtable")
        let vtableSize = Int(u16(vtable))
        let inlineSize = Int(u16(vtable + 2))
        guard vtableSize >= 4, vtableSize % 2 == 0 else {
            throw TFLiteError(.malformed, path: path, offset: vtable,
                              "vtable size \(vtableSize) is not an even number of at least 4 bytes (the file is corrupt)")
        }
        guard inlineSize >= 4 else {
            throw TFLiteError(.malformed, path: path, offset: vtable,
                              "table inline size \(inlineSize) is smaller than its 4-byte header (the file is corrupt)")
        }
        try check(vtable, vtableSize, path: path, "the table's vtable")
        try check(position, inlineSize, path: path, "the table")
        return FlatTable(buffer: self, position: position, vtable: vtable, vtableSize: vtableSize,
                         inlineSize: inlineSize, path: path, depth: depth)
    }
}

/// One table: typed accessors for its fields by index (the order of declaration in the schema,
/// a union counting as two fields: its type, then its value).
public struct FlatTable {
    let buffer: FlatBuffer
    /// Byte offset of the table in the file.
    public let position: Int
    let vtable: Int
    let vtableSize: Int
    let inlineSize: Int
    /// Table path used in errors, e.g. `subgraphs[0].tensors[3]`.
    public let path: String
    let depth: Int

    public func error(_ kind: TFLiteError.Kind, at offset: Int? = nil, _ message: String) -> TFLiteError {
        TFLiteError(kind, path: path, offset: offset ?? position, message)
    }

    /// The path of a field of this table, for errors.
    func childPath(_ name: String) -> String { path.isEmpty ? name : path + "." + name }

    /// Position of field `index` if present, after checking its `size` bytes lie inside the table.
    func field(_ index: Int, size: Int, _ name: String) throws(TFLiteError) -> Int? {
        let slot = 4 + 2 * index
        guard slot + 2 <= vtableSize else { return nil }
        let offset = Int(buffer.u16(vtable + slot))
        guard offset != 0 else { return nil }
        guard offset >= 4, offset + size <= inlineSize else {
            throw error(.malformed, "field '\(name)' at offset \(offset) (\(size) bytes) overruns the table's \(inlineSize) bytes (the file is corrupt)")
        }
        return position + offset
    }

    // MARK: scalars (absent fields give the schema default)

    public func uint8(_ index: Int, _ name: String, default value: UInt8 = 0) throws(TFLiteError) -> UInt8 {
        guard let p = try field(index, size: 1, name) else { return value }
        return buffer.u8(p)
    }

    public func int8(_ index: Int, _ name: String, default value: Int8 = 0) throws(TFLiteError) -> Int8 {
        Int8(bitPattern: try uint8(index, name, default: UInt8(bitPattern: value)))
    }

    public func bool(_ index: Int, _ name: String, default value: Bool = false) throws(TFLiteError) -> Bool {
        try uint8(index, name, default: value ? 1 : 0) != 0
    }

    public func int32(_ index: Int, _ name: String, default value: Int32 = 0) throws(TFLiteError) -> Int32 {
        guard let p = try field(index, size: 4, name) else { return value }
        return Int32(bitPattern: buffer.u32(p))
    }

    public func uint32(_ index: Int, _ name: String, default value: UInt32 = 0) throws(TFLiteError) -> UInt32 {
        guard let p = try field(index, size: 4, name) else { return value }
        return buffer.u32(p)
    }

    public func uint64(_ index: Int, _ name: String, default value: UInt64 = 0) throws(TFLiteError) -> UInt64 {
        guard let p = try field(index, size: 8, name) else { return value }
        return buffer.u64(p)
    }

    public func float(_ index: Int, _ name: String, default value: Float = 0) throws(TFLiteError) -> Float {
        guard let p = try field(index, size: 4, name) else { return value }
        return Float(bitPattern: buffer.u32(p))
    }

    // MARK: references

    /// Follows the offset field `index` to the object it points to.
    func target(_ index: Int, _ name: String) throws(TFLiteError) -> Int? {
        guard let p = try field(index, size: 4, name) else { return nil }
        let target = p + Int(buffer.u32(p))
        try buffer.check(target, 4, path: childPath(name), "the object field '\(name)' points to")
        return target
    }

    /// The sub-table in field `index`, with `path` for its errors.
    public func table(_ index: Int, _ name: String, path: String? = nil) throws(TFLiteError) -> FlatTable? {
        guard let target = try target(index, name) else { return nil }
        return try buffer.table(at: target, path: path ?? childPath(name),
                                depth: depth + 1, referencedFrom: target)
    }

    /// Start and element count of the vector in field `index`, with all its bytes in the file.
    func vector(_ index: Int, _ name: String, elementSize: Int) throws(TFLiteError) -> (start: Int, count: Int)? {
        guard let target = try target(index, name) else { return nil }
        let count = Int(buffer.u32(target))
        let start = target + 4
        guard count <= (buffer.count - start) / elementSize else {
            throw TFLiteError(.outOfBounds, path: childPath(name), offset: target,
                              "vector of \(count) elements (\(elementSize) bytes each) runs past the end of the file (\(buffer.count - start) bytes left; file truncated or corrupt)")
        }
        try buffer.charge(count, path: childPath(name), at: target)
        return (start, count)
    }

    /// The bytes of a `[ubyte]` vector, as a range of the file (not copied, not charged per byte).
    public func byteRange(_ index: Int, _ name: String) throws(TFLiteError) -> Range<Int>? {
        guard let target = try target(index, name) else { return nil }
        let count = Int(buffer.u32(target))
        try buffer.check(target + 4, count, path: childPath(name), "the \(count)-byte vector '\(name)'")
        return (target + 4)..<(target + 4 + count)
    }

    public func int32s(_ index: Int, _ name: String) throws(TFLiteError) -> [Int32]? {
        guard let (start, count) = try vector(index, name, elementSize: 4) else { return nil }
        return (0..<count).map { Int32(bitPattern: buffer.u32(start + 4 * $0)) }
    }

    public func int64s(_ index: Int, _ name: String) throws(TFLiteError) -> [Int64]? {
        guard let (start, count) = try vector(index, name, elementSize: 8) else { return nil }
        return (0..<count).map { Int64(bitPattern: buffer.u64(start + 8 * $0)) }
    }

    public func floats(_ index: Int, _ name: String) throws(TFLiteError) -> [Float]? {
        guard let (start, count) = try vector(index, name, elementSize: 4) else { return nil }
        return (0..<count).map { Float(bitPattern: buffer.u32(start + 4 * $0)) }
    }

    /// The tables of a vector-of-tables field; element i gets the path `name[i]`.
    public func tables(_ index: Int, _ name: String) throws(TFLiteError) -> [FlatTable]? {
        guard let (start, count) = try vector(index, name, elementSize: 4) else { return nil }
        let prefix = childPath(name)
        var result: [FlatTable] = []
        result.reserveCapacity(count)
        for i in 0..<count {
            let slot = start + 4 * i
            let target = slot + Int(buffer.u32(slot))
            result.append(try buffer.table(at: target, path: "\(prefix)[\(i)]", depth: depth + 1, referencedFrom: slot))
        }
        return result
    }

    public func string(_ index: Int, _ name: String) throws(TFLiteError) -> String? {
        guard let target = try target(index, name) else { return nil }
        let count = Int(buffer.u32(target))
        // The bytes and the NUL terminator flatbuffers always writes after them.
        try buffer.check(target + 4, count + 1, path: childPath(name), "the \(count)-byte string '\(name)'")
        guard buffer.u8(target + 4 + count) == 0 else {
            throw TFLiteError(.malformed, path: childPath(name), offset: target,
                              "string '\(name)' is not NUL-terminated (the file is corrupt)")
        }
        try buffer.charge(1 + count / 4, path: childPath(name), at: target)
        guard let string = String(validating: buffer.bytes[(target + 4)..<(target + 4 + count)], as: UTF8.self) else {
            throw TFLiteError(.invalidUTF8, path: childPath(name), offset: target,
                              "string '\(name)' is not valid UTF-8 (the file is corrupt)")
        }
        return string
    }

    /// A union stored as fields `index` (type) and `index + 1` (value): the type code and, when
    /// it is not NONE (0), the value's table.
    public func union(_ index: Int, _ name: String) throws(TFLiteError) -> (type: UInt8, table: FlatTable?) {
        let type = try uint8(index, name + "_type")
        guard type != 0 else { return (0, nil) }
        return (type, try table(index + 1, name))
    }
}
