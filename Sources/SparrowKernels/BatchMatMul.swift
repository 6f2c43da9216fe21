// Matrix product of two int8 activations, batched over two leading axes (attention's Q·Kᵀ and
// attention·V). Each operand is addressed through strides, so the converter can hand over a
// tensor in whatever axis order the graph left it in (NHWC views of ONNX [B, heads, T, d]
// included) without a copy. Per-tensor quantization on both sides:
//   out[b0, b1, m, n] = clamp(MBQM(Σ_k (a[b0, b1, m, k] − za)·(b[b0, b1, k, n] − zb), mult, shift) + zo)

/// Largest depth K: |(a − za)(b − zb)| ≤ 255·255 = 65025 and 65025·33025 = 2 147 450 625 < 2^31,
/// so the int32 sum is exact (no bias term).
public let maxMatMulDepth = 33_025

/// Element strides of one operand along its four logical axes (two batch axes, then its two
/// matrix axes: rows and depth for the left operand, depth and columns for the right one, rows
/// and columns for the output). A broadcast batch axis has stride 0.
public struct MatMulStrides: Equatable {
    public var batch0: Int
    public var batch1: Int
    public var first: Int
    public var second: Int

    public init(batch0: Int, batch1: Int, first: Int, second: Int) {
        self.batch0 = batch0
        self.batch1 = batch1
        self.first = first
        self.second = second
    }
}

public struct BatchMatMulParams: Equatable {
    public var leftZeroPoint: Int32
    public var rightZeroPoint: Int32
    public var outputZeroPoint: Int32
    /// leftScale · rightScale / outputScale.
    public var multiplier: Int32
    public var shift: Int32
    public var activationMin: Int32
    public var activationMax: Int32

    public init(leftZeroPoint: Int32, rightZeroPoint: Int32, outputZeroPoint: Int32, multiplier: Int32, shift: Int32,
                activationMin: Int32 = -128, activationMax: Int32 = 127) {
        self.leftZeroPoint = leftZeroPoint
        self.rightZeroPoint = rightZeroPoint
        self.outputZeroPoint = outputZeroPoint
        self.multiplier = multiplier
        self.shift = shift
        self.activationMin = activationMin
        self.activationMax = activationMax
    }
}

/// The logical sizes: batches (b0, b1), rows M, depth K, columns N.
public struct MatMulSizes: Equatable {
    public var batch0: Int
    public var batch1: Int
    public var rows: Int
    public var depth: Int
    public var columns: Int

    public init(batch0: Int, batch1: Int, rows: Int, depth: Int, columns: Int) {
        self.batch0 = batch0
        self.batch1 = batch1
        self.rows = rows
        self.depth = depth
        self.columns = columns
    }
}

/// `left` [b0, b1, M, K] times `right` [b0, b1, K, N] into `output` [b0, b1, M, N], each through its
/// strides. Requires depth ≤ `maxMatMulDepth` (the verifier checks it).
public func batchMatMulS8(_ p: BatchMatMulParams, sizes: MatMulSizes,
                          left: UnsafePointer<Int8>, leftStrides: MatMulStrides,
                          right: UnsafePointer<Int8>, rightStrides: MatMulStrides,
                          output: UnsafeMutablePointer<Int8>, outputStrides: MatMulStrides) {
    for b0 in 0..<sizes.batch0 {
        for b1 in 0..<sizes.batch1 {
            let a = left + (b0 * leftStrides.batch0 + b1 * leftStrides.batch1)
            let b = right + (b0 * rightStrides.batch0 + b1 * rightStrides.batch1)
            let y = output + (b0 * outputStrides.batch0 + b1 * outputStrides.batch1)
            for m in 0..<sizes.rows {
                let row = a + m * leftStrides.first
                for n in 0..<sizes.columns {
                    let column = b + n * rightStrides.second
                    var acc: Int32 = 0
                    for k in 0..<sizes.depth {
                        let x = Int32(row[k * leftStrides.second]) &- p.leftZeroPoint
                        let w = Int32(column[k * rightStrides.first]) &- p.rightZeroPoint
                        acc &+= x &* w   // exact: see maxMatMulDepth
                    }
                    let scaled = multiplyByQuantizedMultiplier(acc, p.multiplier, p.shift)
                    y[m * outputStrides.first + n * outputStrides.second] =
                        clampToS8(scaled, zeroPoint: p.outputZeroPoint, min: p.activationMin, max: p.activationMax)
                }
            }
        }
    }
}
