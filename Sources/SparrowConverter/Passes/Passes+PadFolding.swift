// Explicit zero padding before a convolution: Keras' ZeroPadding2D ahead of a stride-2 'valid'
// conv (tf2onnx), timm's TF-'SAME' F.pad (PyTorch), paddle's explicit Pad. The conv pads with
// zeros itself (in int8: with the input zero point, which is real 0), so the Pad folds into the
// conv's own — possibly asymmetric — padding, saving the padded copy and its arena space.

extension Passes {
    /// Pad(value 0, H/W only) → Conv becomes a Conv with the pad amounts added to its own.
    public static func foldPadIntoConv(_ graph: IRGraph) -> IRGraph {
        var g = graph
        var readers = [Int](repeating: 0, count: g.values.count)
        for node in g.nodes { for v in node.inputs where v >= 0 { readers[v] += 1 } }
        let producers = g.producers()
        var removed = Set<Int>()
        for i in g.nodes.indices {
            guard case .conv(var attrs) = g.nodes[i].op, let p = producers[g.nodes[i].inputs[0]],
                  case .pad(let before, let after, let value) = g.nodes[p].op,
                  value == 0, before.count == 4, after.count == 4,
                  before[0] == 0, before[3] == 0, after[0] == 0, after[3] == 0,
                  g.hasSingleNodeUse(g.nodes[p].outputs[0], counts: readers) else { continue }
            // attrs.pads is [top, left, bottom, right]; IR pads are NHWC.
            attrs.pads[0] += before[1]
            attrs.pads[1] += before[2]
            attrs.pads[2] += after[1]
            attrs.pads[3] += after[2]
            g.nodes[i].op = .conv(attrs)
            g.nodes[i].inputs[0] = g.nodes[p].inputs[0]
            removed.insert(p)
        }
        g.removeNodes(removed)
        return removeDeadNodes(g)
    }
}
