/// AttributeProto's value, by its declared type.
public enum ONNXAttribute: Equatable, Sendable {
    case float(Float)
    case int(Int64)
    /// ONNX declares `s` as bytes holding UTF-8; read it with `string`.
    case string([UInt8])
    case tensor(ONNXTensor)
    case graph(ONNXGraph)
    case floats([Float])
    case ints([Int64])
    case strings([[UInt8]])
    case tensors([ONNXTensor])
    case graphs([ONNXGraph])
    /// SPARSE_TENSOR(S) and TYPE_PROTO(S): kept only as their AttributeProto.type code.
    case unsupported(typeCode: Int32)

    public var float: Float? { if case .float(let v) = self { return v }; return nil }
    public var int: Int64? { if case .int(let v) = self { return v }; return nil }
    /// The string value, if this is a STRING attribute holding valid UTF-8.
    public var string: String? {
        if case .string(let b) = self { return String(validating: b, as: UTF8.self) }
        return nil
    }
    public var bytes: [UInt8]? { if case .string(let v) = self { return v }; return nil }
    public var tensor: ONNXTensor? { if case .tensor(let v) = self { return v }; return nil }
    public var graph: ONNXGraph? { if case .graph(let v) = self { return v }; return nil }
    public var floats: [Float]? { if case .floats(let v) = self { return v }; return nil }
    public var ints: [Int64]? { if case .ints(let v) = self { return v }; return nil }
    /// The strings, if this is a STRINGS attribute whose items are all valid UTF-8.
    public var strings: [String]? {
        guard case .strings(let items) = self else { return nil }
        var out: [String] = []
        for item in items {
            guard let s = String(validating: item, as: UTF8.self) else { return nil }
            out.append(s)
        }
        return out
    }
    public var tensors: [ONNXTensor]? { if case .tensors(let v) = self { return v }; return nil }
    public var graphs: [ONNXGraph]? { if case .graphs(let v) = self { return v }; return nil }

    /// The AttributeProto.AttributeType name (`FLOAT`, `INTS`, ...), for messages.
    public var typeName: String {
        switch self {
        case .float: return "FLOAT"
        case .int: return "INT"
        case .string: return "STRING"
        case .tensor: return "TENSOR"
        case .graph: return "GRAPH"
        case .floats: return "FLOATS"
        case .ints: return "INTS"
        case .strings: return "STRINGS"
        case .tensors: return "TENSORS"
        case .graphs: return "GRAPHS"
        case .unsupported(let code):
            switch code {
            case 11: return "SPARSE_TENSOR"
            case 12: return "SPARSE_TENSORS"
            case 13: return "TYPE_PROTO"
            case 14: return "TYPE_PROTOS"
            default: return "type \(code)"
            }
        }
    }
}
