// Binary elementwise ops with numpy broadcasting over Shape4 (a dimension of 1 broadcasts).

/// Quantized add / subtract, TFLite's int8 scheme: both inputs are shifted left by
/// `leftShift` (20) for headroom, rescaled to a common scale 2·max(s1, s2) by multipliers ≤ 1/2,
/// summed, then rescaled to the output scale.
public struct AddParams: Equatable {
    public var input1ZeroPoint: Int32
    public var input2ZeroPoint: Int32
    public var outputZeroPoint: Int32
    public var leftShift: Int32
    public var input1Multiplier: Int32
    public var input1Shift: Int32
    public var input2Multiplier: Int32
    public var input2Shift: Int32
    public var outputMultiplier: Int32
    public var outputShift: Int32
    public var activationMin: Int32
    public var activationMax: Int32
    /// true: output = input1 − input2.
    public var subtract: Bool

    public init(input1ZeroPoint: Int32, input2ZeroPoint: Int32, outputZeroPoint: Int32, leftShift: Int32,
                input1Multiplier: Int32, input1Shift: Int32, input2Multiplier: Int32, input2Shift: Int32,
                outputMultiplier: Int32, outputShift: Int32, activationMin: Int32, activationMax: Int32,
                subtract: Bool) {
        self.input1ZeroPoint = input1ZeroPoint
        self.input2ZeroPoint = input2ZeroPoint
        self.outputZeroPoint = outputZeroPoint
        self.leftShift = leftShift
        self.input1Multiplier = input1Multiplier
        self.input1Shift = input1Shift
        self.input2Multiplier = input2Multiplier
        self.input2Shift = input2Shift
        self.outputMultiplier = outputMultiplier
        self.outputShift = outputShift
        self.activationMin = activationMin
        self.activationMax = activationMax
        self.subtract = subtract
    }

    /// Prepare-time: turns the float scales into multipliers (scales must be > 0).
    public static func prepare(input1Scale: Double, input1ZeroPoint: Int32, input2Scale: Double, input2ZeroPoint: Int32,
                               outputScale: Double, outputZeroPoint: Int32, activationMin: Int32, activationMax: Int32,
                               subtract: Bool) -> AddParams {
        let leftShift: Int32 = 20
        let twiceMaxInputScale = 2 * max(input1Scale, input2Scale)
        let m1 = quantizeMultiplier(input1Scale / twiceMaxInputScale)
        let m2 = quantizeMultiplier(input2Scale / twiceMaxInputScale)
        let mo = quantizeMultiplier(twiceMaxInputScale / (Double(1 << leftShift) * outputScale))
        return AddParams(input1ZeroPoint: input1ZeroPoint, input2ZeroPoint: input2ZeroPoint,
                         outputZeroPoint: outputZeroPoint, leftShift: leftShift,
                         input1Multiplier: m1.multiplier, input1Shift: m1.shift,
                         input2Multiplier: m2.multiplier, input2Shift: m2.shift,
                         outputMultiplier: mo.multiplier, outputShift: mo.shift,
                         activationMin: activationMin, activationMax: activationMax, subtract: subtract)
    }
}

/// Quantized multiply: output = requant((x1 − z1)·(x2 − z2)) with one multiplier s1·s2/so.
public struct MulParams: Equatable {
    public var input1ZeroPoint: Int32
    public var input2ZeroPoint: Int32
    public var outputZeroPoint: Int32
    public var outputMultiplier: Int32
    public var outputShift: Int32
    public var activationMin: Int32
    public var activationMax: Int32

    public init(input1ZeroPoint: Int32, input2ZeroPoint: Int32, outputZeroPoint: Int32,
                outputMultiplier: Int32, outputShift: Int32, activationMin: Int32, activationMax: Int32) {
        self.input1ZeroPoint = input1ZeroPoint
        self.input2ZeroPoint = input2ZeroPoint
        self.outputZeroPoint = outputZeroPoint
        self.outputMultiplier = outputMultiplier
        self.outputShift = outputShift
        self.activationMin = activationMin
        self.activationMax = activationMax
    }

    public static func prepare(input1Scale: Double, input1ZeroPoint: Int32, input2Scale: Double, input2ZeroPoint: Int32,
                               outputScale: Double, outputZeroPoint: Int32,
                               activationMin: Int32, activationMax: Int32) -> MulParams {
        let m = quantizeMultiplier(input1Scale * input2Scale / outputScale)
        return MulParams(input1ZeroPoint: input1ZeroPoint, input2ZeroPoint: input2ZeroPoint,
                         outputZeroPoint: outputZeroPoint, outputMultiplier: m.multiplier, outputShift: m.shift,
                         activationMin: activationMin, activationMax: activationMax)
    }
}

/// One scalar int8 binary function; generic code over it is specialized per op.
protocol BinaryS8Operation {
    func apply(_ a: Int8, _ b: Int8) -> Int8
}

struct AddOperation: BinaryS8Operation {
    let p: AddParams
    @inline(__always)
    func apply(_ a: Int8, _ b: Int8) -> Int8 {
        // |x − z| ≤ 255, so (x − z)·2^20 < 2^28.
        let shifted1 = (Int32(a) &- p.input1ZeroPoint) &<< p.leftShift
        let shifted2 = (Int32(b) &- p.input2ZeroPoint) &<< p.leftShift
        // Input multipliers represent ≤ 1/2, so |scaled| < 2^27 and the sum/difference < 2^28.
        let scaled1 = multiplyByQuantizedMultiplier(shifted1, p.input1Multiplier, p.input1Shift)
        let scaled2 = multiplyByQuantizedMultiplier(shifted2, p.input2Multiplier, p.input2Shift)
        let raw = p.subtract ? scaled1 &- scaled2 : scaled1 &+ scaled2
        let result = multiplyByQuantizedMultiplier(raw, p.outputMultiplier, p.outputShift)
        return clampToS8(result, zeroPoint: p.outputZeroPoint, min: p.activationMin, max: p.activationMax)
    }
}

struct MulOperation: BinaryS8Operation {
    let p: MulParams
    @inline(__always)
    func apply(_ a: Int8, _ b: Int8) -> Int8 {
        // |x − z| ≤ 255 each, so |product| ≤ 65025.
        let product = (Int32(a) &- p.input1ZeroPoint) &* (Int32(b) &- p.input2ZeroPoint)
        let result = multiplyByQuantizedMultiplier(product, p.outputMultiplier, p.outputShift)
        return clampToS8(result, zeroPoint: p.outputZeroPoint, min: p.activationMin, max: p.activationMax)
    }
}

/// LiteRT's int8 MAXIMUM / MINIMUM: the raw codes compared, no rescaling.
struct MaximumOperation: BinaryS8Operation {
    @inline(__always)
    func apply(_ a: Int8, _ b: Int8) -> Int8 { Swift.max(a, b) }
}

struct MinimumOperation: BinaryS8Operation {
    @inline(__always)
    func apply(_ a: Int8, _ b: Int8) -> Int8 { Swift.min(a, b) }
}

/// Element strides of a broadcast operand: 0 along every axis where its dimension is 1.
@inline(__always)
func broadcastStrides(_ s: Shape4) -> (n: Int, h: Int, w: Int, c: Int) {
    (s.n == 1 ? 0 : s.h * s.w * s.c, s.h == 1 ? 0 : s.w * s.c, s.w == 1 ? 0 : s.c, s.c == 1 ? 0 : 1)
}

/// Applies `op` over the broadcast of shape1 and shape2 to outputShape. The innermost (c) loop
/// is specialized for both-contiguous, one-scalar and both-scalar operands.
@inline(__always)
func broadcastBinaryS8<Op: BinaryS8Operation>(_ op: Op, input1: UnsafePointer<Int8>, shape1: Shape4,
                                               input2: UnsafePointer<Int8>, shape2: Shape4,
                                               output: UnsafeMutablePointer<Int8>, outputShape: Shape4) {
    if shape1 == outputShape && shape2 == outputShape {
        for i in 0..<outputShape.count { output[i] = op.apply(input1[i], input2[i]) }
        return
    }
    let s1 = broadcastStrides(shape1)
    let s2 = broadcastStrides(shape2)
    let depth = outputShape.c
    var out = output
    for n in 0..<outputShape.n {
        for h in 0..<outputShape.h {
            for w in 0..<outputShape.w {
                let a = input1 + (n * s1.n + h * s1.h + w * s1.w)
                let b = input2 + (n * s2.n + h * s2.h + w * s2.w)
                if s1.c == 1 && s2.c == 1 {
                    for c in 0..<depth { out[c] = op.apply(a[c], b[c]) }
                } else if s1.c == 1 {
                    let bValue = b[0]
                    for c in 0..<depth { out[c] = op.apply(a[c], bValue) }
                } else if s2.c == 1 {
                    let aValue = a[0]
                    for c in 0..<depth { out[c] = op.apply(aValue, b[c]) }
                } else {
                    let value = op.apply(a[0], b[0])
                    for c in 0..<depth { out[c] = value }
                }
                out += depth
            }
        }
    }
}

/// int8 add (or subtract when `p.subtract`) with broadcasting. Each input dimension equals
/// the output's or is 1 (verifier).
public func addS8(_ p: AddParams, input1: UnsafePointer<Int8>, shape1: Shape4, input2: UnsafePointer<Int8>, shape2: Shape4,
                  output: UnsafeMutablePointer<Int8>, outputShape: Shape4) {
    if shape1 == outputShape && shape2 == outputShape {
        addS8SameShape(p, input1: input1, input2: input2, output: output, count: outputShape.count)   // NEON on arm
        return
    }
    broadcastBinaryS8(AddOperation(p: p), input1: input1, shape1: shape1, input2: input2, shape2: shape2,
                      output: output, outputShape: outputShape)
}

/// Same-shape int8 add / subtract, one element at a time: the portable twin (oracle) of the
/// NEON path in `addS8SameShape` (AddS8+Neon.swift).
public func addS8SameShapeScalar(_ p: AddParams, input1: UnsafePointer<Int8>, input2: UnsafePointer<Int8>,
                                 output: UnsafeMutablePointer<Int8>, count: Int) {
    let op = AddOperation(p: p)
    for i in 0..<count { output[i] = op.apply(input1[i], input2[i]) }
}

/// int8 multiply with broadcasting (e.g. squeeze-excitation [1,H,W,C] × [1,1,1,C]).
public func mulS8(_ p: MulParams, input1: UnsafePointer<Int8>, shape1: Shape4, input2: UnsafePointer<Int8>, shape2: Shape4,
                  output: UnsafeMutablePointer<Int8>, outputShape: Shape4) {
    broadcastBinaryS8(MulOperation(p: p), input1: input1, shape1: shape1, input2: input2, shape2: shape2,
                      output: output, outputShape: outputShape)
}

/// int8 elementwise maximum (`maximum`) or minimum of the raw codes, with broadcasting.
public func maxMinS8(maximum: Bool, input1: UnsafePointer<Int8>, shape1: Shape4, input2: UnsafePointer<Int8>,
                     shape2: Shape4, output: UnsafeMutablePointer<Int8>, outputShape: Shape4) {
    if maximum {
        broadcastBinaryS8(MaximumOperation(), input1: input1, shape1: shape1, input2: input2, shape2: shape2,
                          output: output, outputShape: outputShape)
    } else {
        broadcastBinaryS8(MinimumOperation(), input1: input1, shape1: shape1, input2: input2, shape2: shape2,
                          output: output, outputShape: outputShape)
    }
}
