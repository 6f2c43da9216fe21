/// TensorProto: a constant tensor (initializer or attribute value).
public struct ONNXTensor: Equatable, Sendable {
    public var name: String
    public var dataType: ONNXDataType
    public var dims: [Int]
    /// The element data exactly as the file stores it; decode with `floats()`, `int64s()`, ...
    public var data: ONNXTensorData

    public init(name: String = "", dataType: ONNXDataType, dims: [Int], data: ONNXTensorData) {
        self.name = name
        self.dataType = dataType
        self.dims = dims
        self.data = data
    }

    /// Product of `dims` (1 for a scalar). The reader rejects dims whose product overflows.
    public var elementCount: Int { dims.reduce(1, *) }

    /// raw_data bytes, when the tensor stores its elements there.
    public var rawData: [UInt8]? {
        if case .raw(let bytes) = data { return bytes }
        return nil
    }
}

/// Where a TensorProto keeps its elements: raw_data, one of the typed repeated fields, or an
/// external file.
public enum ONNXTensorData: Equatable, Sendable {
    /// raw_data: fixed-width little-endian elements.
    case raw([UInt8])
    /// float_data (FLOAT, COMPLEX64).
    case floatData([Float])
    /// int32_data (INT32, INT16, INT8, UINT16, UINT8, BOOL, FLOAT16/BFLOAT16 bit patterns, ...).
    case int32Data([Int32])
    /// int64_data (INT64).
    case int64Data([Int64])
    /// double_data (DOUBLE, COMPLEX128).
    case doubleData([Double])
    /// uint64_data (UINT32, UINT64).
    case uint64Data([UInt64])
    /// string_data (STRING).
    case stringData([[UInt8]])
    /// data_location = EXTERNAL: the bytes live in another file, which Sparrow does not read.
    case external(location: String)

    /// The TensorProto field name, for messages.
    public var fieldName: String {
        switch self {
        case .raw: return "raw_data"
        case .floatData: return "float_data"
        case .int32Data: return "int32_data"
        case .int64Data: return "int64_data"
        case .doubleData: return "double_data"
        case .uint64Data: return "uint64_data"
        case .stringData: return "string_data"
        case .external: return "external_data"
        }
    }
}

// MARK: decoding elements

extension ONNXTensor {
    /// Elements as Float. Accepts FLOAT; FLOAT16, BFLOAT16 (exact widening); DOUBLE (rounded to
    /// nearest Float).
    public func floats() throws(ONNXError) -> [Float] {
        let values: [Float]
        switch (dataType, data) {
        case (.float, .raw(let b)): values = try fixedWidth(b, 4) { Float(bitPattern: UInt32(truncatingIfNeeded: $0)) }
        case (.float, .floatData(let f)): values = f
        case (.float16, .raw(let b)): values = try fixedWidth(b, 2) { floatFromHalf(UInt16(truncatingIfNeeded: $0)) }
        case (.float16, .int32Data(let v)): values = v.map { floatFromHalf(UInt16(truncatingIfNeeded: $0)) }
        case (.bfloat16, .raw(let b)): values = try fixedWidth(b, 2) { Float(bitPattern: UInt32(truncatingIfNeeded: $0) << 16) }
        case (.bfloat16, .int32Data(let v)): values = v.map { Float(bitPattern: UInt32(truncatingIfNeeded: $0) << 16) }
        case (.double, .raw(let b)): values = try fixedWidth(b, 8) { Float(Double(bitPattern: $0)) }
        case (.double, .doubleData(let d)): values = d.map { Float($0) }
        default: throw unreadable(as: "Float")
        }
        return try checkedCount(values)
    }

    /// Elements as Int64. Accepts every integer type and BOOL (exact widening); UINT64 values
    /// above Int64.max are an error.
    public func int64s() throws(ONNXError) -> [Int64] {
        let values: [Int64]
        switch (dataType, data) {
        case (.int64, .raw(let b)): values = try fixedWidth(b, 8) { Int64(bitPattern: $0) }
        case (.int64, .int64Data(let v)): values = v
        case (.uint64, .raw(let b)): values = try exactInt64(fixedWidth(b, 8) { $0 })
        case (.uint64, .uint64Data(let v)): values = try exactInt64(v)
        case (.uint32, .raw(let b)): values = try fixedWidth(b, 4) { Int64($0) }
        case (.uint32, .uint64Data(let v)): values = try exactInt64(v)
        case (.int32, _), (.int16, _), (.uint16, _), (.int8, _), (.uint8, _), (.bool, _):
            values = try int32s().map { Int64($0) }
        default: throw unreadable(as: "Int64")
        }
        return try checkedCount(values)
    }

    /// Elements as Int32. Accepts INT32 and the narrower integer types and BOOL (exact widening).
    public func int32s() throws(ONNXError) -> [Int32] {
        let values: [Int32]
        switch (dataType, data) {
        case (.int32, .raw(let b)): values = try fixedWidth(b, 4) { Int32(truncatingIfNeeded: $0) }
        case (.int16, .raw(let b)): values = try fixedWidth(b, 2) { Int32(Int16(truncatingIfNeeded: $0)) }
        case (.uint16, .raw(let b)): values = try fixedWidth(b, 2) { Int32($0) }
        case (.int8, .raw(let b)): values = b.map { Int32(Int8(bitPattern: $0)) }
        case (.uint8, .raw(let b)): values = b.map { Int32($0) }
        case (.bool, .raw(let b)): values = b.map { Int32($0) }
        case (.int32, .int32Data(let v)): values = v
        case (.int16, .int32Data(let v)): values = try inRange(v, -32768...32767)
        case (.uint16, .int32Data(let v)): values = try inRange(v, 0...65535)
        case (.int8, .int32Data(let v)): values = try inRange(v, -128...127)
        case (.uint8, .int32Data(let v)): values = try inRange(v, 0...255)
        case (.bool, .int32Data(let v)): values = try inRange(v, 0...1)
        default: throw unreadable(as: "Int32")
        }
        return try checkedCount(values)
    }

    /// Elements as Int8. Accepts INT8 only.
    public func int8s() throws(ONNXError) -> [Int8] {
        guard dataType == .int8 else { throw unreadable(as: "Int8") }
        return try int32s().map { Int8(truncatingIfNeeded: $0) }  // int32s() checked the range
    }

    /// Elements as UInt8. Accepts UINT8 and BOOL (0 or 1).
    public func uint8s() throws(ONNXError) -> [UInt8] {
        guard dataType == .uint8 || dataType == .bool else { throw unreadable(as: "UInt8") }
        return try int32s().map { UInt8(truncatingIfNeeded: $0) }  // int32s() checked the range
    }

    /// Elements as Double. Accepts DOUBLE, and everything `floats()` accepts (exact widening).
    public func doubles() throws(ONNXError) -> [Double] {
        switch (dataType, data) {
        case (.double, .raw(let b)): return try checkedCount(fixedWidth(b, 8) { Double(bitPattern: $0) })
        case (.double, .doubleData(let d)): return try checkedCount(d)
        default: return try floats().map { Double($0) }
        }
    }

    /// Elements of a STRING tensor, decoded as UTF-8.
    public func strings() throws(ONNXError) -> [String] {
        guard dataType == .string, case .stringData(let items) = data else {
            if dataType == .string, case .raw(let b) = data, b.isEmpty, elementCount == 0 { return [] }
            throw unreadable(as: "String")
        }
        var out: [String] = []
        for item in items {
            guard let s = String(validating: item, as: UTF8.self) else {
                throw tensorError(.invalidUTF8, "string_data element is not valid UTF-8")
            }
            out.append(s)
        }
        return try checkedCount(out)
    }

    // MARK: helpers

    private func tensorError(_ kind: ONNXError.Kind, _ message: String) -> ONNXError {
        ONNXError(kind, path: "tensor '\(name)'", offset: nil, message)
    }

    /// The error for asking a tensor for a type it cannot give; external data gets its own message.
    private func unreadable(as swiftType: String) -> ONNXError {
        if case .external(let location) = data {
            return tensorError(.unsupported, "data is stored in the external file '\(location)', which Sparrow does not read; "
                + "load the model with onnx.load (which pulls external data in) and save it with "
                + "onnx.save_model(model, path, save_as_external_data=False)")
        }
        if case .raw = data, dataType.rawByteWidth != nil {
            return tensorError(.wrongType, "is \(dataType.name); it cannot be read as \(swiftType)")
        }
        if case .raw = data {
            return tensorError(.unsupported, "\(dataType.name) tensors are not supported")
        }
        return tensorError(.wrongType, "is \(dataType.name) stored in \(data.fieldName); it cannot be read as \(swiftType)"
            + " (ONNX allows \(data.fieldName) only for other element types)")
    }

    /// Splits little-endian raw bytes into `width`-byte elements.
    private func fixedWidth<T>(_ bytes: [UInt8], _ width: Int, _ make: (UInt64) -> T) throws(ONNXError) -> [T] {
        guard bytes.count % width == 0 else {
            throw tensorError(.dataSizeMismatch, "raw_data holds \(bytes.count) bytes, not a multiple of the "
                + "\(width)-byte \(dataType.name) element size")
        }
        let count = bytes.count / width
        var out: [T] = []
        out.reserveCapacity(count)
        for i in 0..<count {
            var bits: UInt64 = 0
            for k in 0..<width { bits |= UInt64(bytes[i * width + k]) << (8 * UInt64(k)) }
            out.append(make(bits))
        }
        return out
    }

    private func inRange(_ values: [Int32], _ range: ClosedRange<Int32>) throws(ONNXError) -> [Int32] {
        if let bad = values.firstIndex(where: { !range.contains($0) }) {
            throw tensorError(.invalidValue, "int32_data[\(bad)] = \(values[bad]) is outside the \(dataType.name) range \(range)")
        }
        return values
    }

    private func exactInt64(_ values: [UInt64]) throws(ONNXError) -> [Int64] {
        if let bad = values.firstIndex(where: { $0 > UInt64(Int64.max) }) {
            throw tensorError(.invalidValue, "element \(bad) = \(values[bad]) does not fit in Int64")
        }
        return values.map { Int64($0) }
    }

    private func checkedCount<T>(_ values: [T]) throws(ONNXError) -> [T] {
        guard values.count == elementCount else {
            throw tensorError(.dataSizeMismatch, "dims \(dims) give \(elementCount) elements but \(data.fieldName) "
                + "holds \(values.count) \(dataType.name) elements")
        }
        return values
    }
}

/// IEEE 754 binary16 bits to Float (exact). Written out rather than using `Float16`, which is not
/// available on every host platform.
func floatFromHalf(_ h: UInt16) -> Float {
    let sign = UInt32(h >> 15) << 31
    let exponent = UInt32((h >> 10) & 0x1F)
    var mantissa = UInt32(h & 0x3FF)
    if exponent == 0x1F {  // inf / NaN
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    }
    if exponent == 0 {
        if mantissa == 0 { return Float(bitPattern: sign) }
        // Subnormal: value = mantissa * 2^-24, exact in Float.
        var e: Int32 = -14
        while mantissa & 0x400 == 0 { mantissa <<= 1; e -= 1 }
        mantissa &= 0x3FF
        return Float(bitPattern: sign | (UInt32(e + 127) << 23) | (mantissa << 13))
    }
    return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
}
