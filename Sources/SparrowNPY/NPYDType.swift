// Element types Sparrow reads and writes in .npy files. Only the little-endian (or byte-order-free)
// forms are accepted: every board Sparrow targets is little-endian, so data is used in place.
public enum NPYDType: UInt8, Sendable {
    case float32
    case int64
    case int8
    case uint8
    case int32

    /// Bytes per element.
    public var byteWidth: Int {
        switch self {
        case .float32: return 4
        case .int64: return 8
        case .int8: return 1
        case .uint8: return 1
        case .int32: return 4
        }
    }

    /// The `descr` string numpy writes for this type on a little-endian machine
    /// (`'<f4'`, `'<i8'`, `'|i1'`, `'|u1'`, `'<i4'`), without quotes.
    public var descr: StaticString {
        switch self {
        case .float32: return "<f4"
        case .int64: return "<i8"
        case .int8: return "|i1"
        case .uint8: return "|u1"
        case .int32: return "<i4"
        }
    }
}
