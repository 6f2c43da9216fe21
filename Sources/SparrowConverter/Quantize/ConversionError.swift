// Errors of the quantizer, the lowering and the conversion driver. Each names the IR node (its
// ONNX name) and op where there is one, and the value concerned.

public struct ConversionError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        /// The graph uses something the int8 lowering cannot express.
        case unsupported
        /// Calibration data is missing, has the wrong shape/dtype, or left a value unobserved.
        case calibration
        /// A tensor would exceed a format limit (rank > 4, sizes beyond 32 bits).
        case formatLimit
        /// The runtime verifier rejected the file the converter wrote: a converter bug.
        case verifierRejected
    }

    public var kind: Kind
    public var node: String?
    public var op: String?
    public var message: String

    public init(_ kind: Kind, node: String? = nil, op: String? = nil, _ message: String) {
        self.kind = kind
        self.node = node
        self.op = op
        self.message = message
    }

    public var description: String {
        var text = ""
        if let node { text += "Node \(node)" + (op.map { " (\($0))" } ?? "") + ": " } else if let op { text += "\(op): " }
        switch kind {
        case .verifierRejected: text += "converter bug, the verifier rejected the output: "
        default: break
        }
        return text + message
    }
}
