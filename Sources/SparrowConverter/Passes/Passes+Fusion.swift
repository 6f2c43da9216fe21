// Rewrites toward the device op set: division/subtraction by constants, BatchNormalization (as
// imported: a per-channel Mul and Add) folded into the preceding Conv/FullyConnected, HardSwish and
// SiLU patterns collapsed into one unary op, and Relu/ReLU6/Clip fused into their producer.

extension Passes {
    /// `x / c` → `x * (1/c)` for a constant c.
    public static func divisionByConstantToMultiplication(_ graph: IRGraph) -> IRGraph {
        var g = graph
        for i in g.nodes.indices {
            guard case .div(let act) = g.nodes[i].op, let c = g.constant(g.nodes[i].inputs[1]) else { continue }
            let b = g.nodes[i].inputs[1]
            let id = g.addValue(IRValue(name: g.values[b].name + "/reciprocal", shape: g.values[b].shape, constant: c.map { 1 / $0 }))
            g.nodes[i].op = .mul(act)
            g.nodes[i].inputs[1] = id
        }
        return g
    }

    /// `x / y` for a computed y → `x * reciprocal(y)`: the reciprocal is an int8 lookup table with
    /// its own calibrated output range, so division by a run-time tensor needs no new kernel.
    /// (Run after divisionByConstantToMultiplication, which takes the constant divisors.)
    public static func divisionByActivationToReciprocal(_ graph: IRGraph) -> IRGraph {
        var g = graph
        var nodes: [IRNode] = []
        for var node in g.nodes {
            if case .div(let act) = node.op, g.constant(node.inputs[1]) == nil {
                let b = node.inputs[1]
                let id = g.addValue(IRValue(name: g.values[b].name + "/reciprocal", shape: g.values[b].shape))
                nodes.append(IRNode(name: node.name + "/reciprocal", op: .unary(.reciprocal), inputs: [b], outputs: [id]))
                node.op = .mul(act)
                node.inputs[1] = id
            }
            nodes.append(node)
        }
        g.nodes = nodes
        return g
    }

    /// `x - c` → `x + (-c)` for a constant c.
    public static func subtractionOfConstantToAddition(_ graph: IRGraph) -> IRGraph {
        var g = graph
        for i in g.nodes.indices {
            guard case .sub(let act) = g.nodes[i].op, let c = g.constant(g.nodes[i].inputs[1]) else { continue }
            let b = g.nodes[i].inputs[1]
            let id = g.addValue(IRValue(name: g.values[b].name + "/negated", shape: g.values[b].shape, constant: c.map { -$0 }))
            g.nodes[i].op = .add(act)
            g.nodes[i].inputs[1] = id
        }
        return g
    }

    /// Per-output-channel constants along the last axis: the data if `value` is a constant
    /// broadcasting as [channels] (or a scalar), expanded to `channels` entries.
    static func perChannel(_ g: IRGraph, _ value: Int, channels: Int) -> [Float]? {
        guard let c = g.constant(value) else { return nil }
        let shape = g.values[value].shape
        if c.count == 1 { return [Float](repeating: c[0], count: channels) }
        guard c.count == channels, shape.last == channels, shape.dropLast().allSatisfy({ $0 == 1 }) else { return nil }
        return c
    }

    /// Folds `linear(x) * s` and `linear(x) + t` (s, t per output channel) into the weights and
    /// bias of the preceding Conv/FullyConnected. This is how BatchNormalization disappears.
    public static func foldAffineIntoLinear(_ graph: IRGraph) -> IRGraph {
        var g = graph
        var changed = true
        while changed {
            changed = false
            let producers = g.producers()
            let counts = g.useCounts()
            for i in g.nodes.indices {
                let node = g.nodes[i]
                let isMul: Bool
                switch node.op {
                case .mul(.none): isMul = true
                case .add(.none): isMul = false
                default: continue
                }
                // The run-time operand and the constant one, in either order.
                let (x, c) = g.values[node.inputs[0]].isConstant ? (node.inputs[1], node.inputs[0]) : (node.inputs[0], node.inputs[1])
                guard let p = producers[x], g.hasSingleNodeUse(x, counts: counts),
                      g.values[node.outputs[0]].shape == g.values[x].shape else { continue }
                let linear = g.nodes[p]
                let channels: Int
                switch linear.op {
                // A transposed conv's filter has the conv's layout (OHWI, or depthwise [1,kh,kw,C]).
                case .conv(let a) where a.activation == .none, .convTranspose(let a) where a.activation == .none:
                    channels = g.values[x].shape[3]
                case .fullyConnected(.none): channels = g.values[linear.inputs[1]].shape[0]
                default: continue
                }
                guard let k = perChannel(g, c, channels: channels) else { continue }
                var bias = g.constant(linear.inputs[2]) ?? [Float](repeating: 0, count: channels)
                if isMul {
                    let w = linear.inputs[1]
                    var weights = g.values[w].constant!
                    let isDepthwise: Bool
                    switch linear.op {
                    case .conv(let a), .convTranspose(let a): isDepthwise = a.isDepthwise
                    default: isDepthwise = false
                    }
                    let perChannelCount = weights.count / channels
                    for j in weights.indices {
                        // OHWI / [out, in]: channel-major; depthwise [1, kh, kw, C]: channel-minor.
                        let ch = isDepthwise ? j % channels : j / perChannelCount
                        weights[j] *= k[ch]
                    }
                    g.nodes[p].inputs[1] = g.addValue(IRValue(name: g.values[w].name + "/scaled", shape: g.values[w].shape, constant: weights))
                    for ch in 0..<channels { bias[ch] *= k[ch] }
                } else {
                    for ch in 0..<channels { bias[ch] += k[ch] }
                }
                let biasName = linear.inputs[2] >= 0 ? g.values[linear.inputs[2]].name : linear.name + "/bias"
                g.nodes[p].inputs[2] = g.addValue(IRValue(name: biasName + (isMul ? "/scaled" : "/shifted"), shape: [channels], constant: bias))
                g.nodes[p].outputs = node.outputs
                g.nodes.remove(at: i)
                changed = true
                break
            }
        }
        return removeDeadNodes(g)
    }

    /// `x * hardSigmoid(x)` (alpha 1/6, beta 1/2) and `x * relu6(x + 3) / 6` → hardSwish(x).
    public static func fuseHardSwish(_ graph: IRGraph) -> IRGraph {
        var g = graph
        var changed = true
        func isSixth(_ v: Float) -> Bool { abs(v - 1.0 / 6.0) < 1e-6 }
        while changed {
            changed = false
            let producers = g.producers()
            let counts = g.useCounts()
            func op(_ v: Int) -> IROp? { producers[v].map { g.nodes[$0].op } }
            func scalar(_ v: Int) -> Float? { g.constant(v).flatMap { $0.count == 1 ? $0[0] : nil } }
            /// relu6(x + 3) with single-use intermediates: returns x.
            func relu6Plus3(_ v: Int) -> Int? {
                guard g.hasSingleNodeUse(v, counts: counts), let p = producers[v] else { return nil }
                let n = g.nodes[p]
                var addOut = v
                switch n.op {
                case .add(.relu6): break
                case .unary(.relu6), .unary(.clip(0, 6)):
                    addOut = n.inputs[0]
                    guard g.hasSingleNodeUse(addOut, counts: counts), case .add(.none)? = op(addOut) else { return nil }
                default: return nil
                }
                let add = g.nodes[producers[addOut]!]
                if scalar(add.inputs[1]) == 3 { return add.inputs[0] }
                if scalar(add.inputs[0]) == 3 { return add.inputs[1] }
                return nil
            }
            for i in g.nodes.indices {
                guard case .mul(.none) = g.nodes[i].op else { continue }
                let (a, b) = (g.nodes[i].inputs[0], g.nodes[i].inputs[1])
                var x: Int? = nil
                // x * hardSigmoid(x)
                for (u, h) in [(a, b), (b, a)] {
                    if case .unary(.hardSigmoid(let alpha, let beta))? = op(h), isSixth(alpha), beta == 0.5,
                       g.nodes[producers[h]!].inputs[0] == u, g.hasSingleNodeUse(h, counts: counts) { x = u }
                }
                // (x * relu6(x + 3)) * (1/6)
                if x == nil, let sixth = scalar(b), isSixth(sixth), case .mul(.none)? = op(a), g.hasSingleNodeUse(a, counts: counts) {
                    let inner = g.nodes[producers[a]!]
                    for (u, r) in [(inner.inputs[0], inner.inputs[1]), (inner.inputs[1], inner.inputs[0])] where relu6Plus3(r) == u { x = u }
                }
                // x * (relu6(x + 3) * (1/6))
                if x == nil {
                    for (u, m) in [(a, b), (b, a)] {
                        guard case .mul(.none)? = op(m), g.hasSingleNodeUse(m, counts: counts) else { continue }
                        let scale = g.nodes[producers[m]!]
                        if let s = scalar(scale.inputs[1]), isSixth(s), relu6Plus3(scale.inputs[0]) == u { x = u }
                    }
                }
                guard let input = x, g.values[input].shape == g.values[g.nodes[i].outputs[0]].shape else { continue }
                g.nodes[i].op = .unary(.hardSwish)
                g.nodes[i].inputs = [input]
                changed = true
                break
            }
            if changed { g = removeDeadNodes(g) }
        }
        return g
    }

    /// `x * sigmoid(x)` → silu(x): one lookup table in int8 instead of a table and a multiply.
    public static func fuseSiLU(_ graph: IRGraph) -> IRGraph {
        var g = graph
        let producers = g.producers()
        let counts = g.useCounts()
        for i in g.nodes.indices {
            guard case .mul(.none) = g.nodes[i].op else { continue }
            let (a, b) = (g.nodes[i].inputs[0], g.nodes[i].inputs[1])
            for (x, s) in [(a, b), (b, a)] {
                guard let p = producers[s], g.nodes[p].op == .unary(.sigmoid), g.nodes[p].inputs[0] == x,
                      g.hasSingleNodeUse(s, counts: counts), g.values[x].shape == g.values[g.nodes[i].outputs[0]].shape else { continue }
                g.nodes[i].op = .unary(.silu)
                g.nodes[i].inputs = [x]
                break
            }
        }
        return removeDeadNodes(g)
    }

    /// GELU as exporters decompose it, `x · ½ · (1 + erf(x · 1/√2))` or its tanh form
    /// `x · ½ · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))` (after division by constants became
    /// multiplication; the ½ on either product) → gelu(x): one lookup table in int8 instead of
    /// one or two tables and several rescaled adds and multiplies (each adds rounding).
    public static func fuseGELU(_ graph: IRGraph) -> IRGraph {
        var g = graph
        let producers = g.producers()
        let counts = g.useCounts()
        func scalar(_ v: Int) -> Float? {
            guard let c = g.constant(v), !c.isEmpty, c.allSatisfy({ $0 == c[0] }) else { return nil }
            return c[0]
        }
        func close(_ a: Float?, _ b: Float) -> Bool { a.map { abs($0 - b) <= 1e-5 * b } ?? false }
        /// The node reading `v` through a single-use mul by a constant `k`: its other input.
        func mulByConstant(_ v: Int, _ k: Float) -> Int? {
            guard let p = producers[v], g.hasSingleNodeUse(v, counts: counts), case .mul(.none) = g.nodes[p].op else { return nil }
            let (a, b) = (g.nodes[p].inputs[0], g.nodes[p].inputs[1])
            if close(scalar(b), k) { return a }
            if close(scalar(a), k) { return b }
            return nil
        }
        /// x when `v` is x + 0.044715·x³ (every step single-use).
        func cubicInner(_ v: Int) -> Int? {
            guard let p = producers[v], g.hasSingleNodeUse(v, counts: counts), case .add(.none) = g.nodes[p].op else { return nil }
            let (a, b) = (g.nodes[p].inputs[0], g.nodes[p].inputs[1])
            for (x, w) in [(a, b), (b, a)] {
                guard let cube = mulByConstant(w, 0.044715), let q = producers[cube], g.hasSingleNodeUse(cube, counts: counts),
                      g.nodes[q].op == .unary(.pow(exponent: 3)), g.nodes[q].inputs[0] == x else { continue }
                return x
            }
            return nil
        }
        /// (x, tanh form?) when `v` is 1 + erf(x/√2) or 1 + tanh(√(2/π)·(x + 0.044715·x³)).
        func onePlusPhi(_ v: Int) -> (x: Int, tanh: Bool)? {
            guard let p = producers[v], g.hasSingleNodeUse(v, counts: counts), case .add(.none) = g.nodes[p].op else { return nil }
            let (a, b) = (g.nodes[p].inputs[0], g.nodes[p].inputs[1])
            for (e, one) in [(a, b), (b, a)] where close(scalar(one), 1) {
                guard let q = producers[e], g.hasSingleNodeUse(e, counts: counts) else { continue }
                if g.nodes[q].op == .unary(.erf), let x = mulByConstant(g.nodes[q].inputs[0], Float(0.7071067811865476)) {
                    return (x, false)
                }
                if g.nodes[q].op == .unary(.tanh), let inner = mulByConstant(g.nodes[q].inputs[0], Float(0.7978845608028654)),
                   let x = cubicInner(inner) {
                    return (x, true)
                }
            }
            return nil
        }
        for i in g.nodes.indices {
            guard case .mul(.none) = g.nodes[i].op else { continue }
            let (a, b) = (g.nodes[i].inputs[0], g.nodes[i].inputs[1])
            var x: Int?, tanhForm = false
            for (m, half) in [(a, b), (b, a)] where close(scalar(half), 0.5) {
                // (x · (1 + Φ)) · ½
                guard let p = producers[m], g.hasSingleNodeUse(m, counts: counts), case .mul(.none) = g.nodes[p].op else { continue }
                let (c, d) = (g.nodes[p].inputs[0], g.nodes[p].inputs[1])
                if let e = onePlusPhi(d), e.x == c { (x, tanhForm) = (c, e.tanh) } else if let e = onePlusPhi(c), e.x == d { (x, tanhForm) = (d, e.tanh) }
            }
            if x == nil {
                // (x · ½) · (1 + Φ)
                for (h, t) in [(a, b), (b, a)] {
                    if let xh = mulByConstant(h, 0.5), let e = onePlusPhi(t), e.x == xh { (x, tanhForm) = (xh, e.tanh) }
                }
            }
            guard let x, g.values[x].shape == g.values[g.nodes[i].outputs[0]].shape else { continue }
            g.nodes[i].op = .unary(.gelu(approximateTanh: tanhForm))
            g.nodes[i].inputs = [x]
        }
        return removeDeadNodes(g)
    }

    /// The fused form of a standalone clamp, or nil when it is not a clamp.
    static func clampActivation(_ f: UnaryFunction) -> Activation? {
        switch f {
        case .relu: return .relu
        case .relu6: return .relu6
        case .clip(let lo, let hi):
            if lo == 0 && hi == 6 { return .relu6 }
            if lo == 0 && hi >= Float.greatestFiniteMagnitude { return .relu }
            return .clip(lo, hi)
        default: return nil
        }
    }

    /// Relu / Clip(0,6) / Clip(a,b) following a Conv, FullyConnected, Add, Sub, Mul or pool whose
    /// output has no other reader: folded into that op's activation.
    public static func fuseActivations(_ graph: IRGraph) -> IRGraph {
        var g = graph
        var removed = Set<Int>()
        let counts = g.useCounts()
        var producers = g.producers()
        for i in g.nodes.indices {
            guard case .unary(let f) = g.nodes[i].op, let act = clampActivation(f) else { continue }
            let x = g.nodes[i].inputs[0]
            guard let p = producers[x], !removed.contains(p), g.hasSingleNodeUse(x, counts: counts) else { continue }
            var op = g.nodes[p].op
            switch op {
            case .conv(var a) where a.activation == .none: a.activation = act; op = .conv(a)
            case .convTranspose(var a) where a.activation == .none: a.activation = act; op = .convTranspose(a)
            case .fullyConnected(.none): op = .fullyConnected(act)
            case .add(.none): op = .add(act)
            case .sub(.none): op = .sub(act)
            case .mul(.none): op = .mul(act)
            case .maxPool(var a) where a.activation == .none: a.activation = act; op = .maxPool(a)
            case .averagePool(var a) where a.activation == .none: a.activation = act; op = .averagePool(a)
            default: continue
            }
            g.nodes[p].op = op
            g.nodes[p].outputs = g.nodes[i].outputs
            producers[g.nodes[i].outputs[0]] = p
            removed.insert(i)
        }
        g.removeNodes(removed)
        return removeDeadNodes(g)
    }
}
