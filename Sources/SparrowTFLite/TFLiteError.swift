/// Why a .tflite file could not be read: what went wrong, where (the table path inside the model,
/// e.g. `subgraphs[0].operators[3].builtin_options`, the operator index and opcode name when an
/// operator is at fault, and the byte offset in the file), and what to do about it.
public struct TFLiteError: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        /// The file could not be opened or read.
        case fileUnreadable
        /// Not a TFLite flatbuffer (too short, or the file identifier is not "TFL3").
        case notTFLite
        /// An offset, vtable, vector or string lies (partly) outside the file.
        case outOfBounds
        /// A structure that flatbuffers cannot produce: a vtable smaller than its header, a table
        /// whose fields overrun its inline size, a string without its terminator, ...
        case malformed
        /// A string that is not valid UTF-8.
        case invalidUTF8
        /// A value outside what the schema defines or what the operator allows (unknown tensor
        /// type, tensor index out of range, options of the wrong kind, stride 0, ...).
        case invalidValue
        /// Reading would take far more work than the file's size justifies (tables shared by
        /// thousands of references, the flatbuffer form of a zip bomb).
        case tooComplex
        /// Tables nested deeper than `FlatBuffer.maxDepth`.
        case nestingTooDeep
        /// Valid TFLite that Sparrow does not read (unsupported operators, sparse tensors, ...).
        case unsupported
    }

    public var kind: Kind
    /// Table path from the Model root, e.g. `subgraphs[0].tensors[7].quantization` ("" for the file).
    public var path: String
    /// Byte offset in the file where the problem was found, when known.
    public var offset: Int?
    /// The operator at fault (index in subgraph 0) and its opcode name, when there is one.
    public var operatorIndex: Int?
    public var opcodeName: String?
    /// What is wrong and, where there is one, what to do about it.
    public var message: String
    /// The model file, when the bytes came from `TFLiteModel.load(path:)`.
    public var file: String?

    public init(_ kind: Kind, path: String, offset: Int?, operatorIndex: Int? = nil, opcodeName: String? = nil,
                _ message: String) {
        self.kind = kind
        self.path = path
        self.offset = offset
        self.operatorIndex = operatorIndex
        self.opcodeName = opcodeName
        self.message = message
        self.file = nil
    }

    public var description: String {
        var parts: [String] = []
        if let file { parts.append(file) }
        if let operatorIndex {
            parts.append("operator \(operatorIndex)" + (opcodeName.map { " (\($0))" } ?? ""))
        }
        var location = path
        if let offset { location += location.isEmpty ? "byte \(offset)" : " (byte \(offset))" }
        if !location.isEmpty { parts.append(location) }
        return parts.joined(separator: ": ") + ": " + message
    }
}
