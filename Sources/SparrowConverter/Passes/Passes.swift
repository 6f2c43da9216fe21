// The pass pipeline and the small graph-rewriting helpers the passes share. Every pass is a pure
// function IRGraph → IRGraph that keeps the graph valid (topological order, shapes) and the
// computed function unchanged (up to float rounding).

public enum Passes {
    /// The standard pipeline, in order. Run after import, before quantization.
    public static func optimize(_ graph: IRGraph) -> IRGraph {
        var g = graph
        g = removeIdentities(g)
        g = foldConstants(g)
        g = divisionByConstantToMultiplication(g)
        g = divisionByActivationToReciprocal(g)
        g = subtractionOfConstantToAddition(g)
        g = foldAffineIntoLinear(g)
        g = foldPadIntoConv(g)
        g = fuseHardSwish(g)
        g = fuseSiLU(g)
        g = fuseGELU(g)
        g = fuseActivations(g)
        g = composeTransposes(g)
        g = absorbTransposesIntoMatMul(g)
        g = absorbInputTransposes(g)
        g = simplifyReshapes(g)
        g = foldHighRank(g)
        g = removeIdentities(g)
        g = removeDeadNodes(g)
        return g
    }
}

extension IRGraph {
    /// Points every reader of `old` (nodes and graph outputs) at `new`.
    mutating func replaceUses(of old: Int, with new: Int) {
        for i in nodes.indices {
            for k in nodes[i].inputs.indices where nodes[i].inputs[k] == old { nodes[i].inputs[k] = new }
        }
        for k in outputPorts.indices where outputPorts[k].value == old { outputPorts[k].value = new }
    }

    func isGraphOutput(_ value: Int) -> Bool { outputPorts.contains { $0.value == value } }

    /// The constant data of `value`, if it is a constant.
    func constant(_ value: Int) -> [Float]? { value >= 0 ? values[value].constant : nil }

    /// A value with exactly one reader (a node, not a graph output): safe to fuse away.
    func hasSingleNodeUse(_ value: Int, counts: [Int]) -> Bool {
        counts[value] == 1 && !isGraphOutput(value)
    }

    /// Removes the nodes at `indices`, keeping the order of the rest.
    mutating func removeNodes(_ indices: Set<Int>) {
        guard !indices.isEmpty else { return }
        nodes = nodes.enumerated().filter { !indices.contains($0.offset) }.map(\.element)
    }

    /// Index of the node producing each value (nil for inputs and constants).
    func producers() -> [Int?] {
        var result = [Int?](repeating: nil, count: values.count)
        for (i, node) in nodes.enumerated() { for v in node.outputs { result[v] = i } }
        return result
    }
}
