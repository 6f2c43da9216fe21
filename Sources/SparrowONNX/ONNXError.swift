/// Why an ONNX file could not be read: what went wrong, where (the field path inside the model,
/// e.g. `graph.node[3].attribute[1]`, and the byte offset in the file), and what to do about it.
public struct ONNXError: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        /// The file could not be opened or read.
        case fileUnreadable
        /// A field or length runs past the end of its enclosing message (file cut short).
        case truncated
        /// A varint longer than 10 bytes or overflowing 64 bits.
        case malformedVarint
        /// Wire type 6 or 7, field number 0, an unbalanced group, or a known field sent with a
        /// wire type its declared type cannot have.
        case malformedField
        /// A string field that is not valid UTF-8.
        case invalidUTF8
        /// A value outside what ONNX defines (unknown data type code, negative dimension, ...).
        case invalidValue
        /// Two fields that may not both be present, or a repeated key.
        case conflictingFields
        /// Element data does not match the tensor's dims.
        case dataSizeMismatch
        /// Something valid ONNX that Sparrow does not read (external data, sparse tensors, ...).
        case unsupported
        /// A typed accessor asked for a type the tensor or attribute does not hold.
        case wrongType
        /// Messages nested deeper than `ProtobufReader.maxDepth` (subgraphs inside subgraphs...).
        case nestingTooDeep
        /// The file is something else (a .sparrow, .npy, zip, TFLite file, text, ...).
        case notONNX
    }

    public var kind: Kind
    /// Field path from the ModelProto root, e.g. `graph.initializer[2]` ("" for the file itself).
    public var path: String
    /// Byte offset in the file where the problem was found, when known.
    public var offset: Int?
    /// What is wrong and, where there is one, what to do about it.
    public var message: String
    /// The model file, when the bytes came from `ONNXModel.load(path:)`.
    public var file: String?

    public init(_ kind: Kind, path: String, offset: Int?, _ message: String) {
        self.kind = kind
        self.path = path
        self.offset = offset
        self.message = message
        self.file = nil
    }

    public var description: String {
        if kind == .notONNX { return (file.map { "\($0): " } ?? "") + message }
        var where_ = path.isEmpty ? "model" : path
        if let offset { where_ += " (byte \(offset))" }
        let prefix = file.map { "\($0): " } ?? ""
        return "\(prefix)\(where_): \(message)"
    }
}
