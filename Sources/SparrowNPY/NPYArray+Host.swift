// Host-side convenience: whole .npy files as Swift arrays. Not part of the device build
// (it allocates and uses Foundation for file access).
#if !hasFeature(Embedded)
import Foundation

/// An .npy array held in memory: element bytes in C order, little-endian.
public struct NPYArray: Equatable, Sendable {
    public var dtype: NPYDType
    public var shape: [Int]
    public var data: [UInt8]

    public init(dtype: NPYDType, shape: [Int], data: [UInt8]) {
        self.dtype = dtype
        self.shape = shape
        self.data = data
    }

    public var elementCount: Int { shape.reduce(1, *) }

    /// Parses a complete .npy file image.
    public init(bytes: [UInt8]) throws(NPYError) {
        let parsed = bytes.withUnsafeBytes { raw in Result { () throws(NPYError) in try parseNPYHeader(raw) } }
        let header = try parsed.get()
        self.dtype = header.dtype
        self.shape = (0..<header.rank).map { header.dim($0) }
        self.data = Array(bytes[header.dataOffset..<(header.dataOffset + header.dataByteCount)])
    }

    public static func read(path: String) throws(NPYFileError) -> NPYArray {
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw NPYFileError(path: path, message: "cannot read file: \(error.localizedDescription)", npyError: nil)
        }
        do {
            return try NPYArray(bytes: bytes)
        } catch {
            throw NPYFileError(path: path, message: error.describe(in: bytes), npyError: error)
        }
    }

    /// The complete file image numpy's `np.save` would write for this array, or nil if the rank
    /// exceeds `NPYHeader.maxRank`, a dimension is negative, or `data` does not match the shape.
    public func encoded() -> [UInt8]? {
        guard shape.allSatisfy({ $0 >= 0 }), data.count == elementCount * dtype.byteWidth else { return nil }
        return shape.withUnsafeBufferPointer { dims -> [UInt8]? in
            guard let headerLength = npyHeaderLength(dtype: dtype, shape: dims) else { return nil }
            var out = [UInt8](repeating: 0, count: headerLength)
            let written = out.withUnsafeMutableBytes { writeNPYHeader(dtype: dtype, shape: dims, into: $0) }
            guard written == headerLength else { return nil }
            out.append(contentsOf: data)
            return out
        }
    }

    public func write(path: String) throws(NPYFileError) {
        guard let bytes = encoded() else {
            throw NPYFileError(path: path, message: "cannot encode array: shape \(shape) (rank ≤ \(NPYHeader.maxRank), "
                + "non-negative dims) must match \(data.count) data bytes of \(dtype)", npyError: nil)
        }
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        } catch {
            throw NPYFileError(path: path, message: "cannot write file: \(error.localizedDescription)", npyError: nil)
        }
    }

    // MARK: typed views

    public init(floats: [Float], shape: [Int]) {
        self.init(dtype: .float32, shape: shape, elements: floats) { $0.bitPattern.littleEndian }
    }
    public init(int64s: [Int64], shape: [Int]) {
        self.init(dtype: .int64, shape: shape, elements: int64s) { $0.littleEndian }
    }
    public init(int32s: [Int32], shape: [Int]) {
        self.init(dtype: .int32, shape: shape, elements: int32s) { $0.littleEndian }
    }
    public init(int8s: [Int8], shape: [Int]) {
        self.init(dtype: .int8, shape: shape, elements: int8s) { $0 }
    }
    public init(uint8s: [UInt8], shape: [Int]) {
        self.init(dtype: .uint8, shape: shape, elements: uint8s) { $0 }
    }

    /// The elements as Float, or nil if the dtype is not float32.
    public func floats() -> [Float]? {
        guard dtype == .float32 else { return nil }
        return elements(UInt32.self).map { Float(bitPattern: UInt32(littleEndian: $0)) }
    }
    /// The elements as Int64, or nil if the dtype is not int64.
    public func int64s() -> [Int64]? {
        guard dtype == .int64 else { return nil }
        return elements(Int64.self).map { Int64(littleEndian: $0) }
    }
    /// The elements as Int32, or nil if the dtype is not int32.
    public func int32s() -> [Int32]? {
        guard dtype == .int32 else { return nil }
        return elements(Int32.self).map { Int32(littleEndian: $0) }
    }
    /// The elements as Int8, or nil if the dtype is not int8.
    public func int8s() -> [Int8]? {
        guard dtype == .int8 else { return nil }
        return data.map { Int8(bitPattern: $0) }
    }
    /// The elements as UInt8, or nil if the dtype is not uint8.
    public func uint8s() -> [UInt8]? {
        guard dtype == .uint8 else { return nil }
        return data
    }

    private init<T, Bits: FixedWidthInteger>(dtype: NPYDType, shape: [Int], elements: [T], bits: (T) -> Bits) {
        precondition(elements.count == shape.reduce(1, *), "NPYArray: \(elements.count) elements do not fill shape \(shape)")
        var data = [UInt8]()
        data.reserveCapacity(elements.count * MemoryLayout<Bits>.size)
        for e in elements { withUnsafeBytes(of: bits(e)) { data.append(contentsOf: $0) } }
        self.init(dtype: dtype, shape: shape, data: data)
    }

    private func elements<T: FixedWidthInteger>(_: T.Type) -> [T] {
        let n = data.count / MemoryLayout<T>.size
        return data.withUnsafeBytes { raw in
            (0..<n).map { raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self) }
        }
    }
}

/// A .npy file could not be read or written; names the file.
public struct NPYFileError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var message: String
    /// The format error, when the file was read but rejected.
    public var npyError: NPYError?

    public var description: String { "\(path): \(message)" }
}

extension NPYError: CustomStringConvertible {
    public var description: String { describe(in: nil) }

    /// A sentence naming the problem, with the offending header text when `bytes` (the file being
    /// parsed) is given.
    public func describe(in bytes: [UInt8]?) -> String {
        let at = "at byte \(offset)"
        switch kind {
        case .dataTruncated:
            return "data truncated: need \(value) bytes, have \(bound)"
        case .unsupportedVersion:
            return "format version \(value >> 8).\(value & 0xFF) \(at) is not supported; versions 1.0, 2.0 and 3.0 are"
        case .rankTooLarge:
            return "rank \(value) exceeds the maximum of \(bound) (\(at))"
        case .tooShort:
            return "file is \(value) bytes, too short for an .npy preamble of \(bound) bytes"
        case .headerTruncated:
            return "header ends at byte \(value) but the file has \(bound) bytes"
        case .unsupportedDType, .bigEndianDType:
            if let text = quotedText(in: bytes) {
                let why = kind == .bigEndianDType ? " (big-endian)" : ""
                return "dtype \(text) not supported\(why) \(at): \(reason)"
            }
            return "\(reason) (\(at))"
        default:
            return "\(reason) (\(at))"
        }
    }

    /// The quoted string starting at `offset`, if there is one (dtype errors point at it).
    private func quotedText(in bytes: [UInt8]?) -> String? {
        guard let bytes, offset < bytes.count else { return nil }
        let quote = bytes[offset]
        guard quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\"") else { return nil }
        guard let close = bytes[(offset + 1)...].prefix(64).firstIndex(of: quote) else { return nil }
        return String(decoding: bytes[offset...close], as: UTF8.self)
    }
}
#endif
