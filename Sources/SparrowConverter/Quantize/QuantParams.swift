// The int8 quantization scheme's parameter math (host side, prepare time). Docs/quantization.md
// describes the scheme; the kernels' prepare helpers (SparrowKernels) are reused where they exist.
//
//   activations: asymmetric int8, real = (q − zeroPoint)·scale, the range always contains 0 so
//                that 0 (padding, ReLU floor) is exact;
//   weights:     symmetric int8 per output channel in [−127, 127], scale = maxabs / 127;
//   bias:        int32 with scale inputScale·weightScale[c];
//   requant:     multiplier/shift of inputScale·weightScale[c] / outputScale (quantizeMultiplier).
import Foundation
import SparrowKernels

/// Per-tensor asymmetric int8 parameters of an activation.
public struct ActivationQuant: Equatable, Sendable, CustomStringConvertible {
    /// Stored as Float because that is what the file holds; all derived math uses this exact value.
    public var scale: Float
    public var zeroPoint: Int32

    public init(scale: Float, zeroPoint: Int32) {
        self.scale = scale
        self.zeroPoint = zeroPoint
    }

    /// Softmax's fixed output quantization (TFLite convention): [0, 1) in steps of 1/256.
    public static let softmaxOutput = ActivationQuant(scale: 1.0 / 256.0, zeroPoint: -128)
    /// [−15.94, 0] in steps of 1/16 (SparrowKernels/LogSoftmax.swift).
    public static let logSoftmaxOutput = ActivationQuant(scale: logSoftmaxOutputScale, zeroPoint: logSoftmaxOutputZeroPoint)

    /// Parameters covering [min, max] widened to contain 0. A degenerate range (all zeros) gets
    /// scale 1/255 (any scale represents 0 exactly). Bounds must be finite.
    public init(min lower: Float, max upper: Float) {
        let lo = Double(Swift.min(lower, 0)), hi = Double(Swift.max(upper, 0))
        var scale = Float((hi - lo) / 255)
        if !(scale > 0) || !scale.isFinite || !scale.isNormal { scale = 1.0 / 255.0 }
        // Zero point: the int8 value that represents real 0, i.e. qmin − lo/scale, rounded and
        // kept in range (it already is, up to rounding, because lo ≤ 0 ≤ hi).
        let zero = (-128 - lo / Double(scale)).rounded(.toNearestOrAwayFromZero)
        self.scale = scale
        self.zeroPoint = zero.isNaN ? 0 : Int32(Swift.min(Swift.max(zero, -128), 127))
    }

    public var scaleDouble: Double { Double(scale) }

    /// The real value of an int8 code.
    public func dequantize(_ q: Int32) -> Float { Float(Int(q - zeroPoint)) * scale }

    /// round-half-even(x / scale) + zeroPoint, saturated (the Quantize kernel's rule).
    public func quantize(_ x: Float) -> Int32 {
        let v = (x / scale).rounded(.toNearestOrEven) + Float(Int(zeroPoint))
        return v.isNaN ? zeroPoint : Int32(Swift.min(Swift.max(v, -128), 127))
    }

    /// The int8 interval [activationMin, activationMax] a fused clamp becomes.
    public func clamp(_ activation: Activation) -> (min: Int32, max: Int32) {
        let b = activation.bounds
        var lo: Int32 = -128, hi: Int32 = 127
        if b.lower.isFinite { lo = Swift.max(lo, quantize(b.lower)) }
        if b.upper.isFinite { hi = Swift.min(hi, quantize(b.upper)) }
        if lo > hi { hi = lo }   // a clamp entirely outside the range collapses to one code
        return (lo, hi)
    }

    public var description: String { "scale \(scale) zp \(zeroPoint)" }
}

/// Per-output-channel symmetric int8 weights.
public struct ChannelQuantizedWeights: Equatable, Sendable {
    /// Same layout as the float weights.
    public var values: [Int8]
    /// One per output channel; an all-zero channel gets scale 1 (its codes are all 0).
    public var scales: [Float]
}

public enum QuantMath {
    /// Quantizes `weights` whose channel index is `channelOf(flatIndex)`: scale_c = maxabs_c/127,
    /// q = round(w / scale_c) (ties away from zero), clamped to [−127, 127].
    public static func quantizeWeights(_ weights: [Float], channels: Int, channelOf: (Int) -> Int) -> ChannelQuantizedWeights {
        var maxAbs = [Float](repeating: 0, count: channels)
        for (i, w) in weights.enumerated() { maxAbs[channelOf(i)] = max(maxAbs[channelOf(i)], abs(w)) }
        let scales = maxAbs.map { m -> Float in (m > 0 && (m / 127).isNormal) ? m / 127 : 1 }
        var values = [Int8](repeating: 0, count: weights.count)
        for (i, w) in weights.enumerated() {
            let q = (w / scales[channelOf(i)]).rounded(.toNearestOrAwayFromZero)
            // The importer rejects non-finite weights with the tensor's name; NaN here would trap.
            values[i] = q.isNaN ? 0 : Int8(min(max(q, -127), 127))
        }
        return ChannelQuantizedWeights(values: values, scales: scales)
    }

    /// Output-channel-first weights ([outC, …], conv OHWI and fully connected [out, in]).
    public static func quantizeWeightsOutputMajor(_ weights: [Float], outChannels: Int) -> ChannelQuantizedWeights {
        let perChannel = max(weights.count / max(outChannels, 1), 1)
        return quantizeWeights(weights, channels: outChannels) { $0 / perChannel }
    }

    /// Depthwise filters [1, kh, kw, C]: the channel is the innermost index.
    public static func quantizeWeightsChannelLast(_ weights: [Float], channels: Int) -> ChannelQuantizedWeights {
        quantizeWeights(weights, channels: channels) { $0 % channels }
    }

    /// int32 bias = round(b / (inputScale · weightScale[c])), ties away from zero, saturated to
    /// ±maxBiasMagnitude (the verifier's accumulator bound). Returns the values and how many
    /// had to be saturated.
    public static func quantizeBias(_ bias: [Float], inputScale: Float, weightScales: [Float]) -> (values: [Int32], saturated: Int) {
        var saturated = 0
        let limit = Double(maxBiasMagnitude)
        let values = bias.enumerated().map { c, b -> Int32 in
            let q = (Double(b) / (Double(inputScale) * Double(weightScales[c]))).rounded(.toNearestOrAwayFromZero)
            if !(abs(q) <= limit) { saturated += 1 }
            return q.isNaN ? 0 : Int32(min(max(q, -limit), limit))
        }
        return (values, saturated)
    }

    /// Per-channel requantization: quantizeMultiplier(inputScale · weightScale[c] / outputScale).
    public static func channelMultipliers(inputScale: Float, weightScales: [Float], outputScale: Float)
        -> (multipliers: [Int32], shifts: [Int32]) {
        var multipliers: [Int32] = [], shifts: [Int32] = []
        for s in weightScales {
            let (m, shift) = quantizeMultiplier(Double(inputScale) * Double(s) / Double(outputScale))
            multipliers.append(m)
            shifts.append(shift)
        }
        return (multipliers, shifts)
    }

    /// Per-tensor asymmetric int8 for a constant operand (e.g. the second input of Add/Mul).
    public static func quantizeConstant(_ data: [Float]) -> (values: [Int8], quant: ActivationQuant) {
        let q = ActivationQuant(min: data.min() ?? 0, max: data.max() ?? 0)
        return (data.map { Int8(q.quantize($0)) }, q)
    }
}
