/// A minimal protobuf encoder for building test inputs byte by byte, written from the wire-format
/// spec (https://protobuf.dev/programming-guides/encoding/) independently of ProtobufReader.
struct ProtoWriter {
    var bytes: [UInt8] = []

    static func varintBytes(_ value: UInt64) -> [UInt8] {
        var v = value
        var out: [UInt8] = []
        repeat {
            var byte = UInt8(v & 0x7F)
            v >>= 7
            if v != 0 { byte |= 0x80 }
            out.append(byte)
        } while v != 0
        return out
    }

    mutating func tag(_ field: Int, _ wireType: UInt8) { bytes += Self.varintBytes(UInt64(field) << 3 | UInt64(wireType)) }

    mutating func varint(_ field: Int, _ value: Int64) {
        tag(field, 0); bytes += Self.varintBytes(UInt64(bitPattern: value))
    }
    mutating func fixed32(_ field: Int, _ value: UInt32) {
        tag(field, 5); bytes += withUnsafeBytes(of: value.littleEndian, Array.init)
    }
    mutating func fixed64(_ field: Int, _ value: UInt64) {
        tag(field, 1); bytes += withUnsafeBytes(of: value.littleEndian, Array.init)
    }
    mutating func bytes(_ field: Int, _ payload: [UInt8]) {
        tag(field, 2); bytes += Self.varintBytes(UInt64(payload.count)) + payload
    }
    mutating func string(_ field: Int, _ s: String) { bytes(field, Array(s.utf8)) }
    mutating func message(_ field: Int, _ m: ProtoWriter) { bytes(field, m.bytes) }
    mutating func packedVarints(_ field: Int, _ values: [Int64]) {
        bytes(field, values.flatMap { Self.varintBytes(UInt64(bitPattern: $0)) })
    }
    mutating func packedFloats(_ field: Int, _ values: [Float]) {
        bytes(field, values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
    }
}

/// Builders for ONNX messages (field numbers from onnx.proto).
enum ONNXProto {
    static func model(graph: ProtoWriter, irVersion: Int64 = 8, opsets: [(String, Int64)] = [("", 13)]) -> [UInt8] {
        var m = ProtoWriter()
        m.varint(1, irVersion)
        m.string(2, "hand-built")
        m.message(7, graph)
        for (domain, version) in opsets {
            var o = ProtoWriter(); o.string(1, domain); o.varint(2, version)
            m.message(8, o)
        }
        return m.bytes
    }

    static func graph(nodes: [ProtoWriter] = [], initializers: [ProtoWriter] = [], name: String = "g") -> ProtoWriter {
        var g = ProtoWriter()
        for n in nodes { g.message(1, n) }
        g.string(2, name)
        for t in initializers { g.message(5, t) }
        return g
    }

    static func node(_ opType: String, name: String, inputs: [String] = ["x"], outputs: [String] = ["y"],
                     attributes: [ProtoWriter] = []) -> ProtoWriter {
        var n = ProtoWriter()
        for i in inputs { n.string(1, i) }
        for o in outputs { n.string(2, o) }
        n.string(3, name)
        n.string(4, opType)
        for a in attributes { n.message(5, a) }
        return n
    }

    static func intsAttribute(_ name: String, _ values: [Int64], packed: Bool) -> ProtoWriter {
        var a = ProtoWriter()
        a.string(1, name)
        if packed { a.packedVarints(8, values) } else { for v in values { a.varint(8, v) } }
        a.varint(20, 7)  // INTS
        return a
    }

    static func floatTensor(_ name: String, dims: [Int64], raw: [Float]) -> ProtoWriter {
        var t = ProtoWriter()
        for d in dims { t.varint(1, d) }
        t.varint(2, 1)  // FLOAT
        t.string(8, name)
        t.bytes(9, raw.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
        return t
    }
}
