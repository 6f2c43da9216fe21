// Why an ONNX model could not be turned into an IRGraph: names the node, its op type and the
// attribute (or input) at fault, in the form `Node 'conv_3' (Conv), attribute 'pads': …`.

public struct ImportError: Error, Equatable, CustomStringConvertible, Sendable {
    /// Node name (or a synthesized `#index` when the node has none); nil for graph-level problems.
    public var node: String?
    public var opType: String?
    /// The attribute or input at fault, already quoted with its kind, e.g. `attribute 'pads'`.
    public var subject: String?
    public var message: String
    /// The file itself could not be read as ONNX: the message already names the file and place.
    public var isFileError = false

    public init(node: String?, opType: String?, subject: String? = nil, _ message: String) {
        self.node = node
        self.opType = opType
        self.subject = subject
        self.message = message
    }

    public var description: String {
        if isFileError { return message }
        var prefix = ""
        if let node {
            prefix = "Node '\(node)'"
            if let opType { prefix += " (\(opType))" }
        } else {
            prefix = "Graph"
        }
        if let subject { prefix += ", \(subject)" }
        return "\(prefix): \(message)"
    }
}
