// Rank-5 and rank-6 tensors (ShuffleNet's channel shuffle Reshape→Transpose→Reshape, YOLO heads
// split into anchors, space-to-depth written by hand) folded to rank ≤ 4, which is all the file
// format holds. Adjacent axes that move together can be merged without changing the element
// order: in a transpose, input axes that stay neighbours in the output; in an elementwise op,
// axes that every operand either spans fully or broadcasts. Each such op becomes
// reshape → the op at rank ≤ 4 → reshape back, and `simplifyReshapes` then joins the reshape
// chains, so the high-rank values disappear when only reshapes read them. What is left at rank > 4
// is reported by `highRankBlockers`, naming the node.

extension Passes {
    public static func foldHighRank(_ graph: IRGraph) -> IRGraph {
        var g = graph
        var nodes: [IRNode] = []
        for node in g.nodes {
            let highRank = (node.outputs + node.inputs).contains { $0 >= 0 && g.values[$0].shape.count > 4 }
            if highRank, let folded = foldedNodes(node, in: &g) {
                nodes += folded
            } else {
                nodes.append(node)
            }
        }
        g.nodes = nodes
        return removeDeadNodes(simplifyReshapes(g))
    }

    /// Nodes computing `node` at rank ≤ 4 between two reshapes, or nil when its axes do not merge
    /// that far (or it is not a transpose or an elementwise op).
    static func foldedNodes(_ node: IRNode, in g: inout IRGraph) -> [IRNode]? {
        let out = node.outputs[0]
        let outShape = g.values[out].shape
        switch node.op {
        case .transpose(let perm):
            let inShape = g.values[node.inputs[0]].shape
            guard let (mergedIn, mergedPerm) = mergedTranspose(shape: inShape, perm: perm), mergedIn.count <= 4 else { return nil }
            let mergedOut = TensorLayout.permute(mergedIn, mergedPerm)
            let x = g.addValue(IRValue(name: g.values[node.inputs[0]].name + "/rank\(mergedIn.count)", shape: mergedIn))
            let y = g.addValue(IRValue(name: g.values[out].name + "/rank\(mergedOut.count)", shape: mergedOut))
            return [IRNode(name: node.name + "/fold_in", op: .reshape(shape: mergedIn), inputs: [node.inputs[0]], outputs: [x]),
                    IRNode(name: node.name, op: mergedPerm.isEmpty ? .reshape(shape: mergedOut) : .transpose(perm: mergedPerm),
                           inputs: [x], outputs: [y]),
                    IRNode(name: node.name + "/fold_out", op: .reshape(shape: outShape), inputs: [y], outputs: [out])]
        case .unary, .add, .sub, .mul, .div, .maximum, .minimum, .prelu:
            let operands = node.inputs.filter { $0 >= 0 }
            let shapes = operands.map { g.values[$0].shape }
            guard let merged = mergedElementwise(shapes: shapes, output: outShape), merged.output.count <= 4 else { return nil }
            var result: [IRNode] = []
            var inputs: [Int] = []
            for (k, v) in operands.enumerated() {
                let value = g.values[v]
                if let data = value.constant {
                    inputs.append(g.addValue(IRValue(name: value.name + "/merged", shape: merged.operands[k], constant: data,
                                                     quantization: value.quantization)))
                } else {
                    let x = g.addValue(IRValue(name: value.name + "/rank\(merged.operands[k].count)", shape: merged.operands[k]))
                    result.append(IRNode(name: node.name + "/fold_in\(k)", op: .reshape(shape: merged.operands[k]), inputs: [v], outputs: [x]))
                    inputs.append(x)
                }
            }
            let y = g.addValue(IRValue(name: g.values[out].name + "/rank\(merged.output.count)", shape: merged.output))
            result.append(IRNode(name: node.name, op: node.op, inputs: inputs, outputs: [y]))
            result.append(IRNode(name: node.name + "/fold_out", op: .reshape(shape: outShape), inputs: [y], outputs: [out]))
            return result
        default:
            return nil
        }
    }

    /// The transpose of `shape` by `perm` with size-1 axes dropped and input axes that stay
    /// adjacent in the output merged: (merged input shape, its permutation). An empty permutation
    /// means the transpose keeps the element order. Nil only for a malformed permutation.
    static func mergedTranspose(shape: [Int], perm: [Int]) -> ([Int], [Int])? {
        guard perm.sorted() == Array(0..<shape.count) else { return nil }
        let kept = perm.filter { shape[$0] != 1 }
        // Groups of input axes, in output order: a run continues while the next output axis is
        // the next input axis (size-1 axes are already out of the way).
        var groups: [[Int]] = []
        for axis in kept {
            if let last = groups.last?.last, axis == nextKept(after: last, shape: shape) {
                groups[groups.count - 1].append(axis)
            } else {
                groups.append([axis])
            }
        }
        let byInput = groups.indices.sorted { groups[$0][0] < groups[$1][0] }
        let mergedIn = byInput.map { groups[$0].reduce(1) { $0 * shape[$1] } }
        // Output group j is input group position(of j) in the merged input.
        var position = [Int](repeating: 0, count: groups.count)
        for (p, j) in byInput.enumerated() { position[j] = p }
        let mergedPerm = Array(0..<groups.count).map { position[$0] }
        return (mergedIn, mergedPerm == Array(0..<groups.count) ? [] : mergedPerm)
    }

    /// The next input axis after `axis` whose size is not 1.
    static func nextKept(after axis: Int, shape: [Int]) -> Int? {
        var a = axis + 1
        while a < shape.count, shape[a] == 1 { a += 1 }
        return a < shape.count ? a : nil
    }

    /// Shapes of an elementwise op's operands (numpy broadcasting to `output`) with adjacent
    /// axes merged where every operand spans both fully or broadcasts both, and size-1 output
    /// axes dropped; nil when an operand does not broadcast to `output`.
    static func mergedElementwise(shapes: [[Int]], output: [Int]) -> (operands: [[Int]], output: [Int])? {
        let rank = output.count
        var padded: [[Int]] = []
        for s in shapes {
            guard s.count <= rank else { return nil }
            let p = [Int](repeating: 1, count: rank - s.count) + s
            guard zip(p, output).allSatisfy({ $0 == $1 || $0 == 1 }) else { return nil }
            padded.append(p)
        }
        // Per kept output axis, which operands span it (true) or broadcast it (false).
        let axes = (0..<rank).filter { output[$0] != 1 }
        var groups: [[Int]] = []
        for a in axes {
            let pattern = padded.map { $0[a] != 1 }
            if let last = groups.last?.last, padded.map({ $0[last] != 1 }) == pattern {
                groups[groups.count - 1].append(a)
            } else {
                groups.append([a])
            }
        }
        let mergedOutput = groups.map { $0.reduce(1) { $0 * output[$1] } }
        let operands = padded.map { p in groups.map { $0.reduce(1) { $0 * p[$1] } } }
        // A scalar result still needs one axis.
        if mergedOutput.isEmpty { return (padded.map { _ in [1] }, [1]) }
        return (operands, mergedOutput)
    }

    /// Nodes that still produce or read a tensor of rank > 4 (what the file format holds), as
    /// (node name, op name, shape): each is an error for the converter to report.
    public static func highRankBlockers(_ g: IRGraph) -> [(node: String, op: String, shape: [Int])] {
        var blockers: [(node: String, op: String, shape: [Int])] = []
        for node in g.nodes {
            let values = (node.outputs + node.inputs).filter { $0 >= 0 && !g.values[$0].isConstant }
            if let v = values.first(where: { g.values[$0].shape.count > 4 }) {
                blockers.append((node.name, node.op.name, g.values[v].shape))
            }
        }
        // Reshapes to and from a high rank are blocked by the op between them: name that op.
        let ops = blockers.filter { $0.op != IROp.reshape(shape: []).name && $0.op != IROp.identity.name }
        return ops.isEmpty ? blockers : ops
    }
}
