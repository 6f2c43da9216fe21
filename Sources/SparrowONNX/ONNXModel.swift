// The parts of an ONNX model Sparrow reads (onnx.proto: ModelProto, GraphProto, NodeProto,
// AttributeProto, TensorProto, ValueInfoProto), as plain values.

/// ModelProto.
public struct ONNXModel: Equatable, Sendable {
    public var irVersion: Int64
    /// Operator-set versions by domain. The default ONNX domain appears as "" (or "ai.onnx", as
    /// some exporters write it); use `defaultOpsetVersion` to read it either way.
    public var opsetImports: [String: Int]
    public var producerName: String
    public var producerVersion: String
    public var domain: String
    public var modelVersion: Int64
    public var metadata: [String: String]
    public var graph: ONNXGraph

    public init(irVersion: Int64 = 0, opsetImports: [String: Int] = [:], producerName: String = "",
                producerVersion: String = "", domain: String = "", modelVersion: Int64 = 0,
                metadata: [String: String] = [:], graph: ONNXGraph = ONNXGraph()) {
        self.irVersion = irVersion
        self.opsetImports = opsetImports
        self.producerName = producerName
        self.producerVersion = producerVersion
        self.domain = domain
        self.modelVersion = modelVersion
        self.metadata = metadata
        self.graph = graph
    }

    /// The opset version of the default (`ai.onnx`) domain, written as "" or "ai.onnx".
    public var defaultOpsetVersion: Int? { opsetImports[""] ?? opsetImports["ai.onnx"] }
}

/// GraphProto.
public struct ONNXGraph: Equatable, Sendable {
    public var name: String
    /// In file order, which ONNX requires to be a topological order.
    public var nodes: [ONNXNode]
    public var initializers: [ONNXTensor]
    public var inputs: [ONNXValueInfo]
    public var outputs: [ONNXValueInfo]
    public var valueInfo: [ONNXValueInfo]

    public init(name: String = "", nodes: [ONNXNode] = [], initializers: [ONNXTensor] = [],
                inputs: [ONNXValueInfo] = [], outputs: [ONNXValueInfo] = [], valueInfo: [ONNXValueInfo] = []) {
        self.name = name
        self.nodes = nodes
        self.initializers = initializers
        self.inputs = inputs
        self.outputs = outputs
        self.valueInfo = valueInfo
    }
}

/// NodeProto.
public struct ONNXNode: Equatable, Sendable {
    public var name: String
    public var opType: String
    /// "" (or "ai.onnx") for standard ONNX operators.
    public var domain: String
    /// Input value names; "" marks an omitted optional input.
    public var inputs: [String]
    public var outputs: [String]
    public var attributes: [String: ONNXAttribute]

    public init(name: String = "", opType: String = "", domain: String = "", inputs: [String] = [],
                outputs: [String] = [], attributes: [String: ONNXAttribute] = [:]) {
        self.name = name
        self.opType = opType
        self.domain = domain
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
    }
}

/// ValueInfoProto: a graph input, output or intermediate value with its declared type.
public struct ONNXValueInfo: Equatable, Sendable {
    public var name: String
    /// False for sequence, map, optional and sparse-tensor values, and when no type is given.
    public var isTensor: Bool
    /// Element type of a tensor value; nil when not a tensor or not declared.
    public var elemType: ONNXDataType?
    /// Dimensions of a tensor value; nil when the rank itself is unknown (no shape field),
    /// `[]` for a scalar.
    public var shape: [ONNXDim]?

    public init(name: String = "", isTensor: Bool = false, elemType: ONNXDataType? = nil, shape: [ONNXDim]? = nil) {
        self.name = name
        self.isTensor = isTensor
        self.elemType = elemType
        self.shape = shape
    }
}

/// TensorShapeProto.Dimension.
public enum ONNXDim: Equatable, Hashable, Sendable {
    /// A fixed size.
    case value(Int)
    /// A named symbolic size such as "batch_size".
    case param(String)
    /// Neither given (or a negative dim_value, which some exporters write for "unknown").
    case unknown
}
