// Transposes that cancel. tf2onnx graphs carry NHWC↔NCHW transposes around ops its optimizer
// could not push through; the importer adds its own layout changes for such ops. Composing chains
// of transposes lets `simplifyReshapes` turn the ones that keep the element order into reshapes
// (free aliases) instead of int8 data movement.

extension Passes {
    /// A transpose whose input is produced by another transpose reads that transpose's input with
    /// the composed permutation; an identity permutation becomes an `.identity` node.
    public static func composeTransposes(_ graph: IRGraph) -> IRGraph {
        var g = graph
        let producers = g.producers()
        for i in g.nodes.indices {
            guard case .transpose(let outer) = g.nodes[i].op else { continue }
            var source = g.nodes[i].inputs[0]
            var perm = outer
            // Output axis j of the chain is axis perm[j] of the innermost input.
            while let p = producers[source], case .transpose(let inner) = g.nodes[p].op, inner.count == perm.count {
                perm = perm.map { inner[$0] }
                source = g.nodes[p].inputs[0]
            }
            g.nodes[i].inputs[0] = source
            g.nodes[i].op = perm == Array(0..<perm.count) ? .identity : .transpose(perm: perm)
        }
        return removeDeadNodes(g)
    }
}

extension Passes {
    /// A graph input read only by one transpose (tf2onnx: NHWC input → Transpose to NCHW) is fed
    /// in the transposed layout directly: the port's permutation absorbs the transpose, so the
    /// model needs no layout change at the input when the two cancel (as NHWC → NCHW → NHWC does).
    public static func absorbInputTransposes(_ graph: IRGraph) -> IRGraph {
        var g = graph
        var readers = [Int](repeating: 0, count: g.values.count)
        for node in g.nodes { for v in node.inputs where v >= 0 { readers[v] += 1 } }
        var removed = Set<Int>()
        for k in g.inputPorts.indices {
            let input = g.inputPorts[k].value
            guard readers[input] == 1, !g.isGraphOutput(input),
                  let i = g.nodes.firstIndex(where: { $0.inputs.contains(input) }),
                  case .transpose(let perm) = g.nodes[i].op, perm.count == g.inputPorts[k].onnxToIR.count,
                  !g.inputPorts.contains(where: { $0.value == g.nodes[i].outputs[0] }) else { continue }
            // Transposed axis j is IR axis perm[j], which is ONNX axis onnxToIR[perm[j]].
            let onnxToIR = perm.map { g.inputPorts[k].onnxToIR[$0] }
            g.inputPorts[k].value = g.nodes[i].outputs[0]
            g.inputPorts[k].onnxToIR = onnxToIR
            removed.insert(i)
        }
        g.removeNodes(removed)
        return removeDeadNodes(g)
    }
}

extension Passes {
    /// A MatMul operand produced by a transpose read by nothing else reads the transpose's input
    /// directly, its logical axes moved through the permutation (BatchMatMul walks any axis order
    /// through strides): attention's head split (reshape + transpose) and Kᵀ cost no copy.
    public static func absorbTransposesIntoMatMul(_ graph: IRGraph) -> IRGraph {
        var g = graph
        let producers = g.producers()
        var readers = [Int](repeating: 0, count: g.values.count)
        for node in g.nodes { for v in node.inputs where v >= 0 { readers[v] += 1 } }
        for i in g.nodes.indices {
            guard case .matMul(var axes) = g.nodes[i].op else { continue }
            for k in 0..<2 {
                let value = g.nodes[i].inputs[k]
                guard value >= 0, readers[value] == 1, !g.isGraphOutput(value), let p = producers[value],
                      case .transpose(let perm) = g.nodes[p].op else { continue }
                let source = g.nodes[p].inputs[0]
                // Padded to four axes: padded output axis j reads padded input axis paddedPerm[j].
                let lead = 4 - perm.count
                let paddedPerm = Array(0..<lead) + perm.map { $0 + lead }
                guard g.values[source].shape.count == perm.count else { continue }
                if k == 0 { axes.left = axes.left.map { paddedPerm[$0] } } else { axes.right = axes.right.map { paddedPerm[$0] } }
                g.nodes[i].inputs[k] = source
            }
            g.nodes[i].op = .matMul(axes)
        }
        return removeDeadNodes(g)
    }
}
