// LiteRT's prepare-time arithmetic for int8 models, reproduced so that an imported model's
// integer parameters are the ones LiteRT's reference kernels (BUILTIN_REF) compute. Each rule
// was checked against LiteRT on the fixtures (Docs/tflite-import.md, "Per-operator arithmetic").
import Foundation
import SparrowKernels
import SparrowTFLite

enum TFLiteArithmetic {
    /// TfLiteRound: half away from zero.
    static func roundHalfAway(_ x: Float) -> Float { x.rounded(.toNearestOrAwayFromZero) }

    /// CalculateActivationRangeQuantized: `zo + round_half_away(f / so)` in float32, then the
    /// RELU/RELU6/RELU_N1_TO_1 bounds within [−128, 127]. nil for TANH and SIGN_BIT (not a clamp).
    static func activationRange(_ activation: TFLiteActivation, scale: Float, zeroPoint: Int32) -> (min: Int32, max: Int32)? {
        func q(_ f: Float) -> Int32 {
            let r = roundHalfAway(f / scale)
            return zeroPoint &+ Int32(max(min(r, 1e6), -1e6))
        }
        switch activation {
        case .none: return (-128, 127)
        case .relu: return (max(-128, zeroPoint), 127)
        case .relu6: return (max(-128, zeroPoint), min(127, q(6)))
        case .reluN1To1: return (max(-128, q(-1)), min(127, q(1)))
        case .tanh, .signBit: return nil
        }
    }

    /// LUTPopulate<int8>: every code dequantized in float32, `f` applied in float32, multiplied by
    /// 1/so (float32), rounded half away, + zo, saturated.
    static func lookupTable(inputScale si: Float, inputZeroPoint zi: Int32, outputScale so: Float, outputZeroPoint zo: Int32,
                            _ f: (Float) -> Float) -> [Int8] {
        let inverse: Float = 1 / so
        return (-128...127).map { (v: Int32) -> Int8 in
            let x = si * Float(v - zi)
            let r = roundHalfAway(f(x) * inverse)
            let q = r.isNaN ? Float(zo) : min(max(r + Float(zo), -128), 127)
            return Int8(q)
        }
    }

    /// The table of an int8→int8 op that LiteRT computes as MBQM(x − zi, m) + zo with one
    /// multiplier for x ≥ zi and another below (RELU, RELU6, LEAKY_RELU), clamped to [lo, hi].
    static func rescaleTable(inputZeroPoint zi: Int32, outputZeroPoint zo: Int32, positive: (Int32, Int32),
                             negative: (Int32, Int32), min lo: Int32, max hi: Int32) -> [Int8] {
        (-128...127).map { (v: Int32) -> Int8 in
            let d = v - zi
            let (m, s) = d >= 0 ? positive : negative
            let r = multiplyByQuantizedMultiplier(d, m, s) &+ zo
            return Int8(min(max(r, lo), hi))
        }
    }

    /// MEAN's multiplier: quantizeMultiplier(si/so) with 1/count folded in by an integer division,
    /// m' = (m << k) / count, shift' = shift − k, k = ⌊log2 count⌋ (m' lies in [2^29, 2^31)).
    static func meanMultiplier(inputScale: Float, outputScale: Float, count: Int) -> (multiplier: Int32, shift: Int32) {
        let (m, s) = quantizeMultiplier(Double(inputScale) / Double(outputScale))
        guard count > 1 else { return (m, s) }
        let k = Int.bitWidth - 1 - count.leadingZeroBitCount
        let folded = (Int64(m) << Int64(k)) / Int64(count)
        return (Int32(folded), s - Int32(k))
    }

    /// LiteRT's int8 HARD_SWISH reference kernel (reference_ops::HardSwish: 16-bit fixed point,
    /// input scaled by 2^7, a "reluish" factor at scale 3/32768), evaluated on every input code.
    /// nil when the scales put an exponent outside what the kernel's shifts allow (output
    /// exponent > 0 or < −31, reluish exponent outside −31…15).
    static func hardSwishTable(inputScale si: Float, inputZeroPoint zi: Int32, outputScale so: Float,
                               outputZeroPoint zo: Int32) -> [Int8]? {
        func sat16(_ v: Int32) -> Int32 { max(-32768, min(32767, v)) }
        func srdhm16(_ a: Int32, _ b: Int32) -> Int32 {   // SaturatingRoundingDoublingHighMul, int16
            if a == -32768 && b == -32768 { return 32767 }
            let ab = a * b
            let nudge: Int32 = ab >= 0 ? 1 << 14 : 1 - (1 << 14)
            return (ab + nudge) / (1 << 15)   // C division, truncating toward zero
        }
        func sdhm16(_ a: Int32, _ b: Int32) -> Int32 {   // SaturatingDoublingHighMul, truncating
            if a == -32768 && b == -32768 { return 32767 }
            return (a * b) / (1 << 15)
        }
        func rdbpot(_ x: Int32, _ e: Int32) -> Int32 {   // e in 0...31
            let mask: Int32 = (Int32(1) &<< e) &- 1
            let remainder = x & mask
            let threshold = (mask >> 1) + (x < 0 ? 1 : 0)
            return (x >> e) + (remainder > threshold ? 1 : 0)
        }
        func down16(_ m32: Int32) -> Int32 {
            m32 >= Int32.max - (1 << 15) ? 32767 : (m32 + (1 << 15)) >> 16
        }
        let hires: Float = Float(1.0 / 128.0) * si
        let (outM, outE) = quantizeMultiplier(Double(hires / so))
        let (relM, relE) = quantizeMultiplier(Double(hires / Float(3.0 / 32768.0)))
        guard outE <= 0, outE >= -31, relE <= 15, relE >= -31 else { return nil }
        let outM16 = down16(outM), relM16 = down16(relM)
        return (-128...127).map { (q: Int32) -> Int8 in
            let hiresV = sat16((q - zi) * (1 << 7))
            let preOut = srdhm16(hiresV, outM16)
            var r = hiresV
            if relE > 0 { r = sat16(r &* (1 << (relE - 1))) }   // |r| ≤ 2^15, relE ≤ 15: no wrap
            r = srdhm16(r, relM16)
            if relE > 0 { r = sat16(r * 2) }
            if relE < 0 { r = rdbpot(r, -relE) }
            r = (r + (1 << 15)) >> 1
            let o = rdbpot(sdhm16(r, preOut), -outE) + zo
            return Int8(max(-128, min(127, o)))
        }
    }

    /// ComputePaddingHeightWidth for one axis: (before, after) of SAME padding for the model's
    /// own output size; VALID pads nothing.
    static func padding(_ padding: TFLitePadding, input: Int, filter: Int, stride: Int, dilation: Int,
                        output: Int) -> (before: Int, after: Int) {
        guard padding == .same else { return (0, 0) }
        let effective = (filter - 1) * dilation + 1
        let total = max((output - 1) * stride + effective - input, 0)
        return (total / 2, total - total / 2)
    }

    // MARK: Resize taps (Sparrow's Resize: lower index, upper index, weight of upper in 1/1024)

    /// RESIZE_NEAREST_NEIGHBOR's source index (reference GetNearestNeighbor): float32
    /// `(i + offset)·scale`, floored, or rounded half away with align_corners; clamped.
    static func nearestTap(_ i: Int, input: Int, output: Int, alignCorners: Bool, halfPixelCenters: Bool)
        -> (lower: Int, upper: Int, weight: Int) {
        let scale: Float = alignCorners && output > 1 ? Float(input - 1) / Float(output - 1) : Float(input) / Float(output)
        let offset: Float = halfPixelCenters ? 0.5 : 0
        let v = (Float(i) + offset) * scale
        var j = min(Int(alignCorners ? v.rounded(.toNearestOrAwayFromZero) : v.rounded(.down)), input - 1)
        if halfPixelCenters { j = max(j, 0) }
        return (j, j, 0)
    }

    /// RESIZE_BILINEAR's 10-bit source coordinate (reference ResizeBilinearInteger and
    /// ComputeInterpolationValuesInteger). LiteRT weighs the lower neighbour by 1024 − f and the
    /// upper by f with f = coordinate − 1024·lower, which leaves 0…1023 when the neighbours
    /// differ; when they coincide (the clamped edges, where f may be negative or the upper index
    /// clamped) both weights multiply one value and sum to 1024, so weight 0 gives the same sum.
    static func bilinearTap(_ i: Int, input: Int, output: Int, alignCorners: Bool, halfPixelCenters: Bool)
        -> (lower: Int, upper: Int, weight: Int) {
        let scale10 = alignCorners && output > 1
            ? (1024 * (input - 1) + (output - 1) / 2) / (output - 1)
            : (1024 * input + output / 2) / output
        let v = halfPixelCenters ? i * scale10 + scale10 / 2 - 512 : i * scale10
        // C++ integer division truncates toward zero, as Swift's does.
        let lower = max(v / 1024, 0)
        let upper = min((v + 1023) / 1024, input - 1)
        guard upper != lower else { return (lower, lower, 0) }
        return (lower, upper, v - 1024 * lower)
    }

    // MARK: STRIDED_SLICE

    /// One axis of STRIDED_SLICE as LiteRT's StartForAxis/StopForAxis compute it: negative
    /// indices count from the end, then clamp to `[0, dim]` (`[−1, dim − 1]` for a negative
    /// stride); a masked begin/end takes the axis' far end in the stride's direction; shrink
    /// keeps one element at `begin` (ignoring the begin mask); `offset` makes end relative to
    /// begin. Returns the first index and the element count, nil for an empty axis.
    static func stridedSliceAxis(dim: Int, begin: Int, end: Int, stride: Int, beginMasked: Bool, endMasked: Bool,
                                 shrink: Bool, offset: Bool) -> (start: Int, count: Int)? {
        guard stride != 0 else { return nil }
        func clamped(_ v: Int) -> Int { stride > 0 ? min(max(v, 0), dim) : min(max(v, -1), dim - 1) }
        let b = beginMasked && !shrink ? (stride > 0 ? 0 : dim - 1) : clamped(begin < 0 ? begin + dim : begin)
        let e: Int
        if shrink {
            e = b + 1
        } else if endMasked {
            e = stride > 0 ? dim : -1
        } else if offset {
            e = clamped(b + end)
        } else {
            e = clamped(end < 0 ? end + dim : end)
        }
        let count = stride > 0 ? (e - b + stride - 1) / stride : (b - e - stride - 1) / -stride
        guard count >= 1, b >= 0, b < dim else { return nil }
        return (b, count)
    }
}
