// A small flatbuffer writer for tests: builds the bytes of a tree of tables front to back
// (vtable, then the table, then the objects it references, patching each offset once the target
// is placed), so every reference points forward as the format requires. It writes what the
// reader must accept, and — through `sharedTables` and byte patches in the tests — what it must
// reject.

indirect enum FBValue {
    case uint8(UInt8)
    case int8(Int8)
    case bool(Bool)
    case int32(Int32)
    case uint32(UInt32)
    case uint64(UInt64)
    case float(Float)
    case table(FBTable)
    case string(String)
    case bytes([UInt8])
    case int32s([Int32])
    case int64s([Int64])
    case floats([Float])
    case tables([FBTable])
    /// A vector of `count` slots all pointing at one table (shared references).
    case sharedTables(FBTable, count: Int)

    var inlineSize: Int {
        switch self {
        case .uint8, .int8, .bool: return 1
        case .uint64: return 8
        default: return 4
        }
    }
}

/// Fields by index (schema declaration order; a union is two fields: type, value).
struct FBTable {
    var fields: [Int: FBValue] = [:]

    init(_ fields: [Int: FBValue] = [:]) { self.fields = fields }

    subscript(index: Int) -> FBValue? {
        get { fields[index] }
        set { fields[index] = newValue }
    }
}

struct FlatBufferBuilder {
    private(set) var bytes: [UInt8] = []

    /// A complete buffer: root offset, file identifier, then the root table.
    static func build(root: FBTable, identifier: String = "TFL3") -> [UInt8] {
        var b = FlatBufferBuilder()
        b.bytes = [0, 0, 0, 0] + Array(identifier.utf8.prefix(4))
        let position = b.write(root)
        b.patch(at: 0, UInt32(position))
        return b.bytes
    }

    private mutating func align(_ n: Int) { while bytes.count % n != 0 { bytes.append(0) } }
    private mutating func append<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func patch(at p: Int, _ v: UInt32) {
        for i in 0..<4 { bytes[p + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) }
    }

    /// Writes a table (its vtable first) and everything it references; returns its position.
    @discardableResult
    mutating func write(_ table: FBTable) -> Int {
        let indices = table.fields.keys.sorted()
        // Inline layout: the 4-byte soffset, then fields, largest first so each stays aligned.
        var offsets: [Int: Int] = [:]
        var size = 4
        for i in indices.sorted(by: { table.fields[$0]!.inlineSize > table.fields[$1]!.inlineSize }) {
            let s = table.fields[i]!.inlineSize
            while size % s != 0 { size += 1 }
            offsets[i] = size
            size += s
        }
        while size % 4 != 0 { size += 1 }
        let fieldCount = (indices.last ?? -1) + 1
        align(2)
        let vtable = bytes.count
        append(UInt16(4 + 2 * fieldCount))
        append(UInt16(size))
        for i in 0..<fieldCount { append(UInt16(offsets[i] ?? 0)) }
        align(8)
        let position = bytes.count
        bytes += [UInt8](repeating: 0, count: size)
        let soffset = Int32(position - vtable)
        patch(at: position, UInt32(bitPattern: soffset))
        var references: [(slot: Int, value: FBValue)] = []
        for i in indices {
            let p = position + offsets[i]!
            switch table.fields[i]! {
            case .uint8(let v): bytes[p] = v
            case .int8(let v): bytes[p] = UInt8(bitPattern: v)
            case .bool(let v): bytes[p] = v ? 1 : 0
            case .int32(let v): patch(at: p, UInt32(bitPattern: v))
            case .uint32(let v): patch(at: p, v)
            case .float(let v): patch(at: p, v.bitPattern)
            case .uint64(let v):
                patch(at: p, UInt32(truncatingIfNeeded: v))
                patch(at: p + 4, UInt32(truncatingIfNeeded: v >> 32))
            case let value: references.append((p, value))
            }
        }
        for (slot, value) in references {
            let target = writeObject(value)
            patch(at: slot, UInt32(target - slot))
        }
        return position
    }

    /// Writes a vector, string or table; returns the position offsets must point at.
    private mutating func writeObject(_ value: FBValue) -> Int {
        align(4)
        let start = bytes.count
        switch value {
        case .table(let t): return write(t)
        case .string(let s):
            append(UInt32(s.utf8.count))
            bytes += Array(s.utf8) + [0]
        case .bytes(let v):
            append(UInt32(v.count))
            bytes += v
        case .int32s(let v):
            append(UInt32(v.count))
            for x in v { append(x) }
        case .floats(let v):
            append(UInt32(v.count))
            for x in v { append(x.bitPattern) }
        case .int64s(let v):
            // The elements must be 8-aligned: pad so the count ends on an 8-byte boundary.
            if (bytes.count + 4) % 8 != 0 { append(UInt32(0)) }
            let s = bytes.count
            append(UInt32(v.count))
            for x in v { append(x) }
            return s
        case .tables(let ts):
            append(UInt32(ts.count))
            let slots = bytes.count
            bytes += [UInt8](repeating: 0, count: 4 * ts.count)
            for (i, t) in ts.enumerated() {
                let p = write(t)
                patch(at: slots + 4 * i, UInt32(p - (slots + 4 * i)))
            }
        case .sharedTables(let t, let count):
            append(UInt32(count))
            let slots = bytes.count
            bytes += [UInt8](repeating: 0, count: 4 * count)
            let p = write(t)
            for i in 0..<count { patch(at: slots + 4 * i, UInt32(p - (slots + 4 * i))) }
        default:
            fatalError("scalar \(value) is not an object")
        }
        return start
    }
}
