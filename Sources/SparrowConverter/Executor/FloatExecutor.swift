// The float reference executor: runs an IRGraph on float32 data with plain loops. It is the
// reference for calibration (every intermediate tensor can be observed), for `--compare`, and for
// the constant-folding pass. Correctness first; the loops avoid per-element allocation so the
// digits models run their whole test split in well under a second in release builds.

/// Bad input to the executor (wrong element count, wrong number of inputs).
public struct ExecutorError: Error, Equatable, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

public struct FloatExecutor: Sendable {
    public let graph: IRGraph

    public init(graph: IRGraph) { self.graph = graph }

    /// Runs once. `inputs[i]` is graph input i in IR layout (row-major over its IR shape); returns
    /// each graph output in IR layout.
    public func run(inputs: [[Float]]) throws(ExecutorError) -> [[Float]] {
        try runCollecting(inputs: inputs) { _, _ in }
    }

    /// As `run`, and calls `observe(valueID, data)` for every graph input and every node output,
    /// in execution order (data in IR layout). Constants are not reported.
    public func runCollecting(inputs: [[Float]], observe: (Int, [Float]) -> Void) throws(ExecutorError) -> [[Float]] {
        guard inputs.count == graph.inputs.count else {
            throw ExecutorError("the graph has \(graph.inputs.count) inputs; \(inputs.count) were given")
        }
        var store = [[Float]?](repeating: nil, count: graph.values.count)
        for (i, v) in graph.values.enumerated() where v.constant != nil { store[i] = v.constant }
        for (k, id) in graph.inputs.enumerated() {
            let expected = graph.values[id].elementCount
            guard inputs[k].count == expected else {
                throw ExecutorError("input \(k) ('\(graph.inputPorts[k].onnxName)') has \(inputs[k].count) elements; "
                                    + "shape \(graph.values[id].shape) needs \(expected)")
            }
            store[id] = inputs[k]
            observe(id, inputs[k])
        }
        for node in graph.nodes {
            var args: [[Float]] = []
            var shapes: [[Int]] = []
            for v in node.inputs {
                if v < 0 { args.append([]); shapes.append([]); continue }
                guard let data = store[v] else {
                    throw ExecutorError("node '\(node.name)' reads value \(v) ('\(graph.values[v].name)') before it is computed")
                }
                args.append(data)
                shapes.append(graph.values[v].shape)
            }
            let outShape = graph.values[node.outputs[0]].shape
            let out = FloatKernels.compute(node.op, inputs: args, shapes: shapes, outShape: outShape)
            store[node.outputs[0]] = out
            observe(node.outputs[0], out)
        }
        var outputs: [[Float]] = []
        for id in graph.outputs {
            guard let data = store[id] else { throw ExecutorError("output value \(id) was never computed") }
            outputs.append(data)
        }
        return outputs
    }

    /// Runs `batch` samples given in the ONNX model's own layout (e.g. NCHW), concatenated per
    /// input. Each sample run uses the graph's batch size (its inputs' leading dimension), so
    /// `batch` must be a multiple of it. Returns each output in ONNX layout, samples concatenated.
    public func run(onnxLayoutInputs: [[Float]], batch: Int) throws(ExecutorError) -> [[Float]] {
        guard onnxLayoutInputs.count == graph.inputPorts.count else {
            throw ExecutorError("the graph has \(graph.inputPorts.count) inputs; \(onnxLayoutInputs.count) were given")
        }
        let graphBatch = graph.inputPorts.first?.onnxShape.first ?? 1
        guard batch >= 0, graphBatch > 0, batch % graphBatch == 0 else {
            throw ExecutorError("batch \(batch) is not a multiple of the graph's batch size \(graphBatch)")
        }
        let runs = batch / graphBatch
        for (k, port) in graph.inputPorts.enumerated() {
            let per = port.onnxShape.reduce(1, *)
            guard onnxLayoutInputs[k].count == per * runs else {
                throw ExecutorError("input '\(port.onnxName)' has \(onnxLayoutInputs[k].count) elements; \(batch) samples "
                                    + "of shape \(port.onnxShape.dropFirst()) need \(per * runs)")
            }
        }
        var outputs = [[Float]](repeating: [], count: graph.outputPorts.count)
        for run in 0..<runs {
            var inputs: [[Float]] = []
            for (k, port) in graph.inputPorts.enumerated() {
                let per = port.onnxShape.reduce(1, *)
                let chunk = Array(onnxLayoutInputs[k][(run * per)..<((run + 1) * per)])
                inputs.append(Self.toIRLayout(chunk, port: port))
            }
            let result = try self.run(inputs: inputs)
            for (k, port) in graph.outputPorts.enumerated() {
                outputs[k].append(contentsOf: Self.toONNXLayout(result[k], port: port))
            }
        }
        return outputs
    }

    /// One-input convenience for `run(onnxLayoutInputs:batch:)`.
    public static func run(graph: IRGraph, onnxLayoutInput: [Float], batch: Int) throws(ExecutorError) -> [[Float]] {
        try FloatExecutor(graph: graph).run(onnxLayoutInputs: [onnxLayoutInput], batch: batch)
    }

    /// ONNX-layout data (shape `port.onnxShape`) → IR layout.
    public static func toIRLayout(_ data: [Float], port: IRGraphPort) -> [Float] {
        port.isPermuted ? TensorLayout.transpose(data, shape: port.onnxShape, perm: port.onnxToIR) : data
    }

    /// IR-layout data → ONNX layout (shape `port.onnxShape`).
    public static func toONNXLayout(_ data: [Float], port: IRGraphPort) -> [Float] {
        guard port.isPermuted else { return data }
        let irShape = TensorLayout.permute(port.onnxShape, port.onnxToIR)
        return TensorLayout.transpose(data, shape: irShape, perm: TensorLayout.inverse(port.onnxToIR))
    }
}
