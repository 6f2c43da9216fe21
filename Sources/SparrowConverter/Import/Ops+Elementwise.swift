// Elementwise ops: binary arithmetic with numpy broadcasting, unary activations, Clip, Identity.
// All of them fold when their inputs are constants.
import Foundation

enum BinaryKind {
    case add, sub, mul, div, pow, equal, less, greater

    func apply(_ a: Double, _ b: Double, integer: Bool) -> Double {
        switch self {
        case .add: return a + b
        case .sub: return a - b
        case .mul: return a * b
        case .div: return integer ? (b == 0 ? 0 : (a / b).rounded(.towardZero)) : Double(Float(a) / Float(b))
        case .pow: return Foundation.pow(a, b)
        case .equal: return a == b ? 1 : 0
        case .less: return a < b ? 1 : 0
        case .greater: return a > b ? 1 : 0
        }
    }

    var irOp: IROp? {
        switch self {
        case .add: return .add(.none)
        case .sub: return .sub(.none)
        case .mul: return .mul(.none)
        case .div: return .div(.none)
        default: return nil
        }
    }

    var isComparison: Bool { self == .equal || self == .less || self == .greater }
}

extension ONNXImporter {
    static func importBinary(_ s: inout ImportState, _ r: NodeReader, _ kind: BinaryKind) throws(ImportError) {
        let a = try r.symbol(0, in: s)
        let b = try r.symbol(1, in: s)
        let aShape = onnxShape(a), bShape = onnxShape(b)
        guard let outShape = TensorLayout.broadcastShape(aShape, bShape) else {
            throw r.error(nil, "input shapes \(aShape) and \(bShape) do not broadcast")
        }
        if case .constant(let ca) = a, case .constant(let cb) = b {
            let integer = ca.isInteger && cb.isInteger
            let out = TensorLayout.broadcast(ca.values, ca.shape, cb.values, cb.shape) { kind.apply($0, $1, integer: integer) }!
            s.symbols[r.output] = .constant(ConstTensor(shape: out.shape, values: out.data,
                                                        isInteger: integer || kind.isComparison))
            return
        }
        if kind == .pow, case .activation(let x) = a {
            // Pow with a constant scalar exponent is a unary function of x (an int8 lookup table).
            guard case .constant(let e) = b, e.count == 1 else {
                throw r.inputError(1, "Pow of a computed tensor needs a constant scalar exponent")
            }
            guard outShape == x.onnxShape else {
                throw r.inputError(1, "the exponent must not broadcast the base's shape \(x.onnxShape) to \(outShape)")
            }
            let id = s.emit(.unary(.pow(exponent: Float(e.values[0]))), inputs: [x.id],
                            irShape: TensorLayout.irShape(ofONNX: x.onnxShape), name: r.name, outputName: r.output)
            s.symbols[r.output] = .activation(ActivationRef(id: id, onnxShape: x.onnxShape))
            return
        }
        guard let op = kind.irOp else {
            throw r.inputError(0, "\(r.opType) is supported only on constants (it is folded at conversion time)")
        }
        let rank = outShape.count
        let ids = [try operand(&s, r, a, rank: rank), try operand(&s, r, b, rank: rank)]
        let id = s.emit(op, inputs: ids, irShape: TensorLayout.irShape(ofONNX: outShape), name: r.name, outputName: r.output)
        s.symbols[r.output] = .activation(ActivationRef(id: id, onnxShape: outShape))
    }

    /// An operand of an elementwise op with output rank `rank`, in IR layout for that rank.
    static func operand(_ s: inout ImportState, _ r: NodeReader, _ symbol: Symbol, rank: Int) throws(ImportError) -> Int {
        switch symbol {
        case .constant(let c): return s.elementwiseConstant(c, outputRank: rank, name: r.name + "/const")
        case .activation(let a): return s.raiseRank(a, to: rank, name: r.name + "/rank").id
        }
    }

    static func importWhere(_ s: inout ImportState, _ r: NodeReader) throws(ImportError) {
        let cond = try r.constant(0, in: s, what: "Where condition")
        let x = try r.constant(1, in: s, what: "Where X")
        let y = try r.constant(2, in: s, what: "Where Y")
        guard let xy = TensorLayout.broadcast(x.values, x.shape, y.values, y.shape, { a, _ in a }),
              let shape = TensorLayout.broadcastShape(cond.shape, xy.shape) else {
            throw r.error(nil, "input shapes \(cond.shape), \(x.shape), \(y.shape) do not broadcast")
        }
        let ic = TensorLayout.broadcastIndices(from: cond.shape, to: shape)
        let ix = TensorLayout.broadcastIndices(from: x.shape, to: shape)
        let iy = TensorLayout.broadcastIndices(from: y.shape, to: shape)
        let values = (0..<ic.count).map { cond.values[ic[$0]] != 0 ? x.values[ix[$0]] : y.values[iy[$0]] }
        s.symbols[r.output] = .constant(ConstTensor(shape: shape, values: values, isInteger: x.isInteger && y.isInteger))
    }

    /// The unary function an ONNX op computes, or nil for ops Sparrow only folds.
    static func unaryFunction(_ r: NodeReader) throws(ImportError) -> UnaryFunction? {
        switch r.opType {
        case "Relu": return .relu
        case "Sigmoid": return .sigmoid
        case "Tanh": return .tanh
        case "HardSigmoid": return .hardSigmoid(alpha: try r.float("alpha", default: 0.2), beta: try r.float("beta", default: 0.5))
        case "HardSwish": return .hardSwish
        case "LeakyRelu": return .leakyRelu(alpha: try r.float("alpha", default: 0.01))
        case "Elu": return .elu(alpha: try r.float("alpha", default: 1))
        case "Neg": return .neg
        case "Abs": return .abs
        case "Exp": return .exp
        case "Log": return .log
        case "Erf": return .erf
        case "Sqrt": return .sqrt
        case "Reciprocal": return .reciprocal
        case "Softplus": return .softplus
        case "Softsign": return .softsign
        case "Gelu":
            let approximate = try r.string("approximate", default: "none")
            guard approximate == "none" || approximate == "tanh" else {
                throw r.attributeError("approximate", "value '\(approximate)' is not supported (none, tanh)")
            }
            return .gelu(approximateTanh: approximate == "tanh")
        default: return nil
        }
    }

    static func importUnary(_ s: inout ImportState, _ r: NodeReader) throws(ImportError) {
        let function = try unaryFunction(r)
        switch try r.symbol(0, in: s) {
        case .constant(var c):
            c.values = c.values.map { v -> Double in
                // Folding stays in Double where ONNX's constant arithmetic would (shapes, scales).
                switch r.opType {
                case "Sqrt": return v.squareRoot()
                case "Reciprocal": return 1 / v
                case "Log": return Foundation.log(v)
                default: break
                }
                if let function { return Double(function.apply(Float(v))) }
                switch r.opType {
                case "Floor": return v.rounded(.down)
                case "Ceil": return v.rounded(.up)
                case "Not": return v == 0 ? 1 : 0
                default: return v
                }
            }
            if function != nil { c.isInteger = false }
            s.symbols[r.output] = .constant(c)
        case .activation(let a):
            guard let function else {
                throw r.inputError(0, "\(r.opType) is supported only on constants (it is folded at conversion time)")
            }
            let id = s.emit(.unary(function), inputs: [a.id], irShape: TensorLayout.irShape(ofONNX: a.onnxShape),
                            name: r.name, outputName: r.output)
            s.symbols[r.output] = .activation(ActivationRef(id: id, onnxShape: a.onnxShape))
        }
    }

    static func importClip(_ s: inout ImportState, _ r: NodeReader) throws(ImportError) {
        var lo = -Float.greatestFiniteMagnitude, hi = Float.greatestFiniteMagnitude
        if r.opset < 11 {
            lo = try r.float("min", default: lo, allowInfinite: true)
            hi = try r.float("max", default: hi, allowInfinite: true)
        } else {
            if let c = try r.optionalConstant(1, in: s, what: "min") {
                guard c.count == 1 else { throw r.inputError(1, "min must be a scalar") }
                lo = Float(c.values[0])
            }
            if let c = try r.optionalConstant(2, in: s, what: "max") {
                guard c.count == 1 else { throw r.inputError(2, "max must be a scalar") }
                hi = Float(c.values[0])
            }
        }
        switch try r.symbol(0, in: s) {
        case .constant(var c):
            c.values = c.values.map { min(max($0, Double(lo)), Double(hi)) }
            s.symbols[r.output] = .constant(c)
        case .activation(let a):
            let id = s.emit(.unary(.clip(lo, hi)), inputs: [a.id], irShape: TensorLayout.irShape(ofONNX: a.onnxShape),
                            name: r.name, outputName: r.output)
            s.symbols[r.output] = .activation(ActivationRef(id: id, onnxShape: a.onnxShape))
        }
    }

    /// Identity and Dropout (inference): an `.identity` node the passes remove.
    static func importIdentity(_ s: inout ImportState, _ r: NodeReader) throws(ImportError) {
        if r.opType == "Dropout" {
            if r.node.outputs.count > 1 && !r.node.outputs[1].isEmpty {
                throw r.error("output 1 ('\(r.node.outputs[1])')", "the dropout mask is not supported (inference only)")
            }
            if let training = try r.optionalConstant(2, in: s, what: "training_mode"), training.values.contains(where: { $0 != 0 }) {
                throw r.inputError(2, "training_mode = true is not supported (inference only)")
            }
        }
        switch try r.symbol(0, in: s) {
        case .constant(let c):
            s.symbols[r.output] = .constant(c)
        case .activation(let a):
            let id = s.emit(.identity, inputs: [a.id], irShape: TensorLayout.irShape(ofONNX: a.onnxShape),
                            name: r.name, outputName: r.output)
            s.symbols[r.output] = .activation(ActivationRef(id: id, onnxShape: a.onnxShape))
        }
    }
}

extension ONNXImporter {
    /// PRelu: y = x for x >= 0, slope·x below. The slope is a constant broadcast to the input that
    /// may vary only along the innermost IR axis (the channel axis of a 4-D NCHW input, the last
    /// axis otherwise), so the int8 kernel indexes it per channel (Lower/Ops/PRelu.swift).
    static func importPRelu(_ s: inout ImportState, _ r: NodeReader) throws(ImportError) {
        let slope = try r.constant(1, in: s, what: "PRelu slope")
        let xSymbol = try r.symbol(0, in: s)
        let shape = onnxShape(xSymbol)
        guard slope.shape.count <= shape.count, TensorLayout.broadcastShape(shape, slope.shape) == shape else {
            throw r.inputError(1, "slope shape \(slope.shape) does not broadcast to the input shape \(shape)")
        }
        if case .constant(let c) = xSymbol {
            let out = TensorLayout.broadcast(c.values, c.shape, slope.values, slope.shape) { x, a in x >= 0 ? x : a * x }!
            s.symbols[r.output] = .constant(ConstTensor(shape: out.shape, values: out.data, isInteger: false))
            return
        }
        guard case .activation(let x) = xSymbol else { return }
        let padded = [Int](repeating: 1, count: shape.count - slope.shape.count) + slope.shape
        let irSlope = TensorLayout.irShape(ofONNX: padded)
        guard irSlope.dropLast().allSatisfy({ $0 == 1 }) else {
            throw r.inputError(1, "slope shape \(slope.shape) varies along an axis other than the channels; "
                               + "only one slope, or one per channel (axis 1 of NCHW, else the last axis), is supported")
        }
        let slopeID = s.elementwiseConstant(slope, outputRank: shape.count, name: r.name + "/slope")
        let id = s.emit(.prelu, inputs: [x.id, slopeID], irShape: TensorLayout.irShape(ofONNX: shape), name: r.name,
                        outputName: r.output)
        s.symbols[r.output] = .activation(ActivationRef(id: id, onnxShape: shape))
    }
}
