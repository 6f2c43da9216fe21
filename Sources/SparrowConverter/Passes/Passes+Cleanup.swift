// Cleanup passes: identity removal, constant folding, reshape simplification, dead-node removal.

extension Passes {
    /// Removes `.identity` nodes (ONNX Identity and inference-mode Dropout) by pointing readers at
    /// the identity's input. When the identity produces a graph output, its input's producer is made
    /// to produce the output instead (so outputs keep their names); if that is not possible (the
    /// input is a graph input or has other readers) the identity stays.
    public static func removeIdentities(_ graph: IRGraph) -> IRGraph {
        var g = graph
        var removed = Set<Int>()
        for i in g.nodes.indices where g.nodes[i].op == .identity {
            let input = g.nodes[i].inputs[0], output = g.nodes[i].outputs[0]
            if !g.isGraphOutput(output) {
                g.replaceUses(of: output, with: input)
                g.nodes[i].inputs = []  // detached, so later use counts ignore it; removed below
                removed.insert(i)
            } else if let p = g.producers()[input], g.hasSingleNodeUse(input, counts: g.useCounts()) {
                g.nodes[p].outputs = [output]
                g.nodes[i].inputs = []  // detached; removed below
                removed.insert(i)
            }
        }
        g.removeNodes(removed)
        return g
    }

    /// Evaluates every node whose inputs are all constants and turns its output into a constant.
    public static func foldConstants(_ graph: IRGraph) -> IRGraph {
        var g = graph
        var removed = Set<Int>()
        for i in g.nodes.indices {
            let node = g.nodes[i]
            let present = node.inputs.filter { $0 >= 0 }
            guard !present.isEmpty, present.allSatisfy({ g.values[$0].isConstant }) else { continue }
            let args = node.inputs.map { $0 >= 0 ? g.values[$0].constant! : [] }
            let shapes = node.inputs.map { $0 >= 0 ? g.values[$0].shape : [] }
            let out = node.outputs[0]
            g.values[out].constant = FloatKernels.compute(node.op, inputs: args, shapes: shapes, outShape: g.values[out].shape)
            removed.insert(i)
        }
        g.removeNodes(removed)
        return g
    }

    /// Reshape of a reshape reads the first reshape's input; a transpose that keeps the element
    /// order becomes a reshape; a reshape to the same shape becomes an identity.
    public static func simplifyReshapes(_ graph: IRGraph) -> IRGraph {
        var g = graph
        let producers = g.producers()
        for i in g.nodes.indices {
            let node = g.nodes[i]
            let inShape = g.values[node.inputs.first ?? 0].shape
            switch node.op {
            case .transpose(let perm) where TensorLayout.isOrderPreserving(shape: inShape, perm: perm):
                g.nodes[i].op = .reshape(shape: g.values[node.outputs[0]].shape)
            default: break
            }
            guard case .reshape(let shape) = g.nodes[i].op else { continue }
            var source = node.inputs[0]
            while let p = producers[source], case .reshape = g.nodes[p].op { source = g.nodes[p].inputs[0] }
            g.nodes[i].inputs[0] = source
            if g.values[source].shape == shape { g.nodes[i].op = .identity }
        }
        return removeDeadNodes(g)
    }

    /// Drops nodes whose outputs nobody reads, then values no node or port refers to (renumbering
    /// the rest; graph inputs are always kept).
    public static func removeDeadNodes(_ graph: IRGraph) -> IRGraph {
        var g = graph
        var live = Set(g.outputs)
        var keep = [Bool](repeating: false, count: g.nodes.count)
        for i in g.nodes.indices.reversed() where g.nodes[i].outputs.contains(where: live.contains) {
            keep[i] = true
            for v in g.nodes[i].inputs where v >= 0 { live.insert(v) }
        }
        g.nodes = g.nodes.indices.filter { keep[$0] }.map { g.nodes[$0] }
        for v in g.inputs { live.insert(v) }
        for node in g.nodes { for v in node.outputs { live.insert(v) } }
        // Renumber the live values in their original order.
        var newID = [Int](repeating: -1, count: g.values.count)
        var values: [IRValue] = []
        for (i, v) in g.values.enumerated() where live.contains(i) {
            newID[i] = values.count
            values.append(v)
        }
        g.values = values
        for i in g.nodes.indices {
            g.nodes[i].inputs = g.nodes[i].inputs.map { $0 >= 0 ? newID[$0] : -1 }
            g.nodes[i].outputs = g.nodes[i].outputs.map { newID[$0] }
        }
        for k in g.inputPorts.indices { g.inputPorts[k].value = newID[g.inputPorts[k].value] }
        for k in g.outputPorts.indices { g.outputPorts[k].value = newID[g.outputPorts[k].value] }
        return g
    }
}
