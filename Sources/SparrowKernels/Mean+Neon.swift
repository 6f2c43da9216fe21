// mean-hw-s8-neon: the global average pool (Mean over H and W) with the channel sums on NEON.
// Each pixel's 32 (then 16) channels are one load; `saddw` adds them into int16 lanes, which take
// 256 pixels exactly (|Σ| ≤ 256·128 = 2^15), then widen into int32. zx·count is subtracted once
// per channel, and 16 channels are requantized together (`requantizeNeon`, `narrowToS8`).
// Byte-identical to `meanHWS8Scalar` (the batteries compare them); the last depth % 16 channels
// and parameters outside the vector requantization's range take the twin's per-channel rule.
#if arch(arm64) || arch(arm)
import _Builtin_intrinsics.arm.neon

/// Σx over `spatial` pixels (stride `depth` bytes) of the `lanes` channels at `x`, per channel.
private struct ChannelSums {
    var s: (int32x4_t, int32x4_t, int32x4_t, int32x4_t, int32x4_t, int32x4_t, int32x4_t, int32x4_t)

    @inline(__always)
    init(_ x: UnsafePointer<Int8>, depth: Int, spatial: Int, wide: Bool) {
        let zero = vdupq_n_s32(0)
        s = (zero, zero, zero, zero, zero, zero, zero, zero)
        var p = UnsafeRawPointer(x)
        var left = spatial
        while left > 0 {
            // 256 pixels of int8 fit an int16 lane: |Σ| ≤ 256·128 = 32768, and −32768 is the only extreme.
            let run = Swift.min(left, 256)
            var a = vdupq_n_s16(0), b = a, c = a, d = a
            var i = 0
            if wide {
                while i < run {
                    let v0 = p.loadUnaligned(as: int8x16_t.self), v1 = p.loadUnaligned(fromByteOffset: 16, as: int8x16_t.self)
                    a = vaddw_s8(a, vget_low_s8(v0)); b = vaddw_s8(b, vget_high_s8(v0))
                    c = vaddw_s8(c, vget_low_s8(v1)); d = vaddw_s8(d, vget_high_s8(v1))
                    p += depth
                    i &+= 1
                }
            } else {
                while i < run {
                    let v0 = p.loadUnaligned(as: int8x16_t.self)
                    a = vaddw_s8(a, vget_low_s8(v0)); b = vaddw_s8(b, vget_high_s8(v0))
                    p += depth
                    i &+= 1
                }
            }
            // Into int32: |Σx| ≤ 128·maxMeanElementCount < 2^31.
            s.0 = vaddw_s16(s.0, vget_low_s16(a)); s.1 = vaddw_s16(s.1, vget_high_s16(a))
            s.2 = vaddw_s16(s.2, vget_low_s16(b)); s.3 = vaddw_s16(s.3, vget_high_s16(b))
            if wide {
                s.4 = vaddw_s16(s.4, vget_low_s16(c)); s.5 = vaddw_s16(s.5, vget_high_s16(c))
                s.6 = vaddw_s16(s.6, vget_low_s16(d)); s.7 = vaddw_s16(s.7, vget_high_s16(d))
            }
            left &-= run
        }
    }
}

func meanHWS8Neon(input: UnsafePointer<Int8>, inputShape: Shape4, inputZeroPoint: Int32, outputZeroPoint: Int32,
                  multiplier: Int32, shift: Int32, output: UnsafeMutablePointer<Int8>) {
    let spatial = inputShape.h &* inputShape.w, depth = inputShape.c
    // requantizeNeon is exact for shifts in [−31, 30]; narrowToS8 equals clampToS8 for int8 zero points.
    let vectorRequant = shift >= -31 && shift <= 30 && outputZeroPoint >= -128 && outputZeroPoint <= 127
    let m = vdupq_n_s32(multiplier), pre = vdupq_n_s32(Swift.max(shift, 0)), post = vdupq_n_s32(Swift.min(shift, 0))
    let zo = vdupq_n_s16(Int16(truncatingIfNeeded: outputZeroPoint))
    let lo = vdupq_n_s8(-128), hi = vdupq_n_s8(127)
    // Σ(x − zx) = Σx − count·zx: count ≤ maxMeanElementCount and |zx| ≤ 128 keep both terms and the
    // difference (|Σ(x − zx)| ≤ 255·count) below 2^31; wrapping arithmetic is exact here.
    let offset = vdupq_n_s32(0 &- Int32(truncatingIfNeeded: spatial) &* inputZeroPoint)

    @inline(__always)
    func finish(_ a0: int32x4_t, _ a1: int32x4_t, _ a2: int32x4_t, _ a3: int32x4_t, _ out: UnsafeMutablePointer<Int8>) {
        let t0 = vaddq_s32(a0, offset), t1 = vaddq_s32(a1, offset), t2 = vaddq_s32(a2, offset), t3 = vaddq_s32(a3, offset)
        if vectorRequant {
            let y = narrowToS8(requantizeNeon(t0, multiplier: m, preShift: pre, postShift: post),
                               requantizeNeon(t1, multiplier: m, preShift: pre, postShift: post),
                               requantizeNeon(t2, multiplier: m, preShift: pre, postShift: post),
                               requantizeNeon(t3, multiplier: m, preShift: pre, postShift: post),
                               zeroPoint: zo, min: lo, max: hi)
            UnsafeMutableRawPointer(out).storeBytes(of: y, as: int8x16_t.self)
        } else {
            let sums = (t0, t1, t2, t3)
            withUnsafeBytes(of: sums) { raw in
                for j in 0..<16 {
                    let scaled = multiplyByQuantizedMultiplier(raw.load(fromByteOffset: j &* 4, as: Int32.self), multiplier, shift)
                    out[j] = clampToS8(scaled, zeroPoint: outputZeroPoint, min: -128, max: 127)
                }
            }
        }
    }

    for b in 0..<inputShape.n {
        let image = input + b &* spatial &* depth, out = output + b &* depth
        var c0 = 0
        while c0 &+ 32 <= depth {
            let r = ChannelSums(image + c0, depth: depth, spatial: spatial, wide: true)
            finish(r.s.0, r.s.1, r.s.2, r.s.3, out + c0)
            finish(r.s.4, r.s.5, r.s.6, r.s.7, out + (c0 &+ 16))
            c0 &+= 32
        }
        if c0 &+ 16 <= depth {
            let r = ChannelSums(image + c0, depth: depth, spatial: spatial, wide: false)
            finish(r.s.0, r.s.1, r.s.2, r.s.3, out + c0)
            c0 &+= 16
        }
        // The last depth % 16 channels: the twin's rule, one channel at a time.
        while c0 < depth {
            var sum: Int32 = 0
            var p = image + c0
            for _ in 0..<spatial {
                sum &+= Int32(p[0]) &- inputZeroPoint   // |sum| ≤ 255·count < 2^31
                p += depth
            }
            out[c0] = clampToS8(multiplyByQuantizedMultiplier(sum, multiplier, shift), zeroPoint: outputZeroPoint, min: -128, max: 127)
            c0 &+= 1
        }
    }
}
#endif
