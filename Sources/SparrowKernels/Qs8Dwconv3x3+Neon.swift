// qs8-dwconv-3x3-neon-mlal: depthwise 3×3, stride 1 or 2, 16 channels in the vector lanes, for
// every NEON board (aarch64 and armv7; `sdot` does not help: nothing is summed across lanes).
// Channel groups are the outer loop, so a group's 9 weight vectors, bias′ and requantization
// constants are loaded once per call; per output pixel the four int32x4 accumulators stay in
// registers. Two taps are multiplied into one int16x8 (`smull` + `smlal`, |2·x·w| ≤ 32_512 < 2^15
// because the packer rejects −128 weights) and widened into the accumulators (`saddw`).
// Interior pixels read the 9 taps at fixed offsets; border pixels use the input zero point for
// taps outside the input, which makes the folded bias′ exact (Qs8Dwconv3x3+Packing.swift).

#if arch(arm64) || arch(arm)
import _Builtin_intrinsics.arm.neon

let qs8Dwconv3x3NeonIsCompiled = true

struct DwAccumulators {
    var a0: int32x4_t, a1: int32x4_t, a2: int32x4_t, a3: int32x4_t

    /// acc += x0·w0 + x1·w1 over 16 lanes.
    @inline(__always)
    mutating func add(_ x0: int8x16_t, _ w0: int8x16_t, _ x1: int8x16_t, _ w1: int8x16_t) {
        let low = vmlal_s8(vmull_s8(vget_low_s8(x0), vget_low_s8(w0)), vget_low_s8(x1), vget_low_s8(w1))
        let high = vmlal_s8(vmull_s8(vget_high_s8(x0), vget_high_s8(w0)), vget_high_s8(x1), vget_high_s8(w1))
        a0 = vaddw_s16(a0, vget_low_s16(low)); a1 = vaddw_s16(a1, vget_high_s16(low))
        a2 = vaddw_s16(a2, vget_low_s16(high)); a3 = vaddw_s16(a3, vget_high_s16(high))
    }

    /// acc += x·w over 16 lanes.
    @inline(__always)
    mutating func add(_ x: int8x16_t, _ w: int8x16_t) {
        let low = vmull_s8(vget_low_s8(x), vget_low_s8(w)), high = vmull_s8(vget_high_s8(x), vget_high_s8(w))
        a0 = vaddw_s16(a0, vget_low_s16(low)); a1 = vaddw_s16(a1, vget_high_s16(low))
        a2 = vaddw_s16(a2, vget_low_s16(high)); a3 = vaddw_s16(a3, vget_high_s16(high))
    }
}

/// `count` ≤ 16 bytes at `p`, the rest zero (a partial last channel group: no read past it).
@inline(__always)
private func loadLanes(_ p: UnsafePointer<Int8>, _ count: Int) -> int8x16_t {
    if count == 16 { return UnsafeRawPointer(p).loadUnaligned(as: int8x16_t.self) }
    var v = int8x16_t(repeating: 0)
    for i in 0..<count { v[i] = p[i] }
    return v
}

public func qs8Dwconv3x3Neon(_ s: Qs8Dwconv3x3Shape, _ p: Qs8DwconvParams, input: UnsafePointer<Int8>,
                             packed: UnsafeRawPointer, output: UnsafeMutablePointer<Int8>) {
    let c = s.channels
    var c0 = 0
    var group = packed
    while c0 < c {
        let lanes = Swift.min(16, c &- c0)
        // One loop per requantization form, chosen once per group (Requantize+Neon.swift).
        if lanes < 16 {
            dwGroupPartial(s, p, input: input + c0, group: group, output: output + c0, lanes: lanes)
        } else if requantShiftsAllNegative(group + 208, lanes: 16, nr: 16) {
            dwGroup16NegativeShift(s, p, input: input + c0, group: group, output: output + c0)
        } else {
            dwGroup16(s, p, input: input + c0, group: group, output: output + c0)
        }
        c0 &+= 16
        group += Qs8Dwconv3x3Layout.groupBytes
    }
}

// The specialisations of `dwGroup` (kept apart so each is its own loop with constant lanes and form).
@inline(never)
private func dwGroup16NegativeShift(_ s: Qs8Dwconv3x3Shape, _ p: Qs8DwconvParams, input: UnsafePointer<Int8>,
                                    group: UnsafeRawPointer, output: UnsafeMutablePointer<Int8>) {
    dwGroup(s, p, input: input, group: group, output: output, lanes: 16, negativeShift: true)
}
@inline(never)
private func dwGroup16(_ s: Qs8Dwconv3x3Shape, _ p: Qs8DwconvParams, input: UnsafePointer<Int8>,
                       group: UnsafeRawPointer, output: UnsafeMutablePointer<Int8>) {
    dwGroup(s, p, input: input, group: group, output: output, lanes: 16, negativeShift: false)
}
@inline(never)
private func dwGroupPartial(_ s: Qs8Dwconv3x3Shape, _ p: Qs8DwconvParams, input: UnsafePointer<Int8>,
                            group: UnsafeRawPointer, output: UnsafeMutablePointer<Int8>, lanes: Int) {
    dwGroup(s, p, input: input, group: group, output: output, lanes: lanes, negativeShift: false)
}

/// One group of `lanes` channels over the whole image (`input`/`output` point at its first channel).
@inline(__always)
private func dwGroup(_ s: Qs8Dwconv3x3Shape, _ p: Qs8DwconvParams, input: UnsafePointer<Int8>, group: UnsafeRawPointer,
                     output: UnsafeMutablePointer<Int8>, lanes: Int, negativeShift: Bool) {
    let c = s.channels
    let w0 = group.loadUnaligned(fromByteOffset: 64, as: int8x16_t.self)
    let w1 = group.loadUnaligned(fromByteOffset: 80, as: int8x16_t.self)
    let w2 = group.loadUnaligned(fromByteOffset: 96, as: int8x16_t.self)
    let w3 = group.loadUnaligned(fromByteOffset: 112, as: int8x16_t.self)
    let w4 = group.loadUnaligned(fromByteOffset: 128, as: int8x16_t.self)
    let w5 = group.loadUnaligned(fromByteOffset: 144, as: int8x16_t.self)
    let w6 = group.loadUnaligned(fromByteOffset: 160, as: int8x16_t.self)
    let w7 = group.loadUnaligned(fromByteOffset: 176, as: int8x16_t.self)
    let w8 = group.loadUnaligned(fromByteOffset: 192, as: int8x16_t.self)
    let bias = DwAccumulators(a0: group.loadUnaligned(as: int32x4_t.self),
                              a1: group.loadUnaligned(fromByteOffset: 16, as: int32x4_t.self),
                              a2: group.loadUnaligned(fromByteOffset: 32, as: int32x4_t.self),
                              a3: group.loadUnaligned(fromByteOffset: 48, as: int32x4_t.self))
    let constants = group + 208
    let zx = vdupq_n_s8(p.inputZeroPoint)
    let zp = vdupq_n_s16(Int16(truncatingIfNeeded: p.output.outputZeroPoint))
    let lo = vdupq_n_s8(p.output.activationMin), hi = vdupq_n_s8(p.output.activationMax)
    let rowStride = s.inW &* c
    let pixelStride = s.stride &* c

    @inline(__always)
    func finish(_ acc: DwAccumulators, _ out: UnsafeMutablePointer<Int8>) {
        let q0 = RequantConstants4(constants, lane: 0, nr: 16), q1 = RequantConstants4(constants, lane: 4, nr: 16)
        let q2 = RequantConstants4(constants, lane: 8, nr: 16), q3 = RequantConstants4(constants, lane: 12, nr: 16)
        let y = narrowToS8(q0.apply(acc.a0, rightShiftOnly: negativeShift),
                           q1.apply(acc.a1, rightShiftOnly: negativeShift),
                           q2.apply(acc.a2, rightShiftOnly: negativeShift),
                           q3.apply(acc.a3, rightShiftOnly: negativeShift), zeroPoint: zp, min: lo, max: hi)
        if lanes == 16 { UnsafeMutableRawPointer(out).storeBytes(of: y, as: int8x16_t.self) } else { storePartial(y, count: lanes, to: out) }
    }

    // Output columns whose three taps are all inside: [interiorBegin, interiorEnd), the same for
    // every row (worked out once: small images have many rows per pixel).
    let interiorEnd = Swift.min(s.inW &- 3 &+ s.padLeft >= 0 ? (s.inW &- 3 &+ s.padLeft) / s.stride &+ 1 : 0, s.outW)
    let interiorBegin = Swift.min((s.padLeft &+ s.stride &- 1) / s.stride, interiorEnd)
    var out = output
    for n in 0..<s.batches {
        let image = input + n &* s.inH &* rowStride
        for oy in 0..<s.outH {
            let iy0 = oy &* s.stride &- s.padTop
            let rowInside = iy0 >= 0 && iy0 &+ 2 < s.inH
            let oxBegin = rowInside ? interiorBegin : s.outW, oxEnd = rowInside ? interiorEnd : s.outW
            var ox = 0
            while ox < s.outW {
                if ox == oxBegin && oxBegin < oxEnd {
                    // Interior run: nine loads at fixed offsets from the pixel's top-left tap.
                    var x = image + (iy0 &* s.inW &+ ox &* s.stride &- s.padLeft) &* c
                    while ox < oxEnd {
                        var acc = bias
                        let r1 = x + rowStride, r2 = r1 + rowStride
                        acc.add(loadLanes(x, lanes), w0, loadLanes(x + c, lanes), w1)
                        acc.add(loadLanes(x + 2 &* c, lanes), w2, loadLanes(r1, lanes), w3)
                        acc.add(loadLanes(r1 + c, lanes), w4, loadLanes(r1 + 2 &* c, lanes), w5)
                        acc.add(loadLanes(r2, lanes), w6, loadLanes(r2 + c, lanes), w7)
                        acc.add(loadLanes(r2 + 2 &* c, lanes), w8)
                        finish(acc, out)
                        x += pixelStride
                        out += c
                        ox &+= 1
                    }
                    continue
                }
                // Border pixel: taps outside the input read zx. The three column offsets are clamped
                // into the row (every load is in bounds) and the lanes of outside columns replaced by
                // zx (`bsl`, no branch per tap); rows outside are all zx (one branch per row).
                let ix0 = ox &* s.stride &- s.padLeft
                @inline(__always)
                func column(_ kx: Int) -> (offset: Int, inside: uint8x16_t) {
                    let ix = ix0 &+ kx
                    return (Swift.min(Swift.max(ix, 0), s.inW &- 1) &* c, vdupq_n_u8(ix >= 0 && ix < s.inW ? 0xFF : 0))
                }
                let col0 = column(0), col1 = column(1), col2 = column(2)
                @inline(__always)
                func row(_ ky: Int) -> (int8x16_t, int8x16_t, int8x16_t) {
                    let iy = iy0 &+ ky
                    if iy < 0 || iy >= s.inH { return (zx, zx, zx) }
                    let r = image + iy &* rowStride
                    return (vbslq_s8(col0.inside, loadLanes(r + col0.offset, lanes), zx),
                            vbslq_s8(col1.inside, loadLanes(r + col1.offset, lanes), zx),
                            vbslq_s8(col2.inside, loadLanes(r + col2.offset, lanes), zx))
                }
                let t0 = row(0), t1 = row(1), t2 = row(2)
                var acc = bias
                acc.add(t0.0, w0, t0.1, w1)
                acc.add(t0.2, w2, t1.0, w3)
                acc.add(t1.1, w4, t1.2, w5)
                acc.add(t2.0, w6, t2.1, w7)
                acc.add(t2.2, w8)
                finish(acc, out)
                out += c
                ox &+= 1
            }
        }
    }
}
#else
let qs8Dwconv3x3NeonIsCompiled = false

/// Not in this build (no NEON target): the portable twin.
public func qs8Dwconv3x3Neon(_ s: Qs8Dwconv3x3Shape, _ p: Qs8DwconvParams, input: UnsafePointer<Int8>,
                             packed: UnsafeRawPointer, output: UnsafeMutablePointer<Int8>) {
    qs8Dwconv3x3Scalar(s, p, input: input, packed: packed, output: output)
}
#endif

/// The depthwise 3×3 microkernel for a CPU (same table idea as `Qs8GemmConfig`).
public struct Qs8Dwconv3x3Config {
    public var name: StaticString
    public var requiresNeon: Bool
    public var isAvailable: Bool
    public var kernel: (Qs8Dwconv3x3Shape, Qs8DwconvParams, UnsafePointer<Int8>, UnsafeRawPointer, UnsafeMutablePointer<Int8>) -> Void
    /// Needs x86 AVX2 (CPUID at run time, `CPUFeatures.avx2`).
    public var requiresAVX2 = false
    /// Needs x86 AVX-512 VNNI (CPUID, `CPUFeatures.avx512Vnni`).
    public var requiresAVX512VNNI = false

    /// Whether `cpu` can run this microkernel and this build contains it.
    public func runs(on cpu: CPUFeatures) -> Bool {
        isAvailable && (!requiresNeon || cpu.neon) && (!requiresAVX2 || cpu.avx2) && (!requiresAVX512VNNI || cpu.avx512Vnni)
    }

    public static let qs8Dwconv3x3Scalar = Qs8Dwconv3x3Config(
        name: "qs8-dwconv-3x3-scalar", requiresNeon: false, isAvailable: true,
        kernel: { SparrowKernels.qs8Dwconv3x3Scalar($0, $1, input: $2, packed: $3, output: $4) })
    public static let qs8Dwconv3x3NeonMlal = Qs8Dwconv3x3Config(
        name: "qs8-dwconv-3x3-neon-mlal", requiresNeon: true, isAvailable: qs8Dwconv3x3NeonIsCompiled,
        kernel: { SparrowKernels.qs8Dwconv3x3Neon($0, $1, input: $2, packed: $3, output: $4) })

    /// The x86 host kernel (Qs8Dwconv3x3+AVX2.swift in SparrowKernelsX86).
    public static let qs8Dwconv3x3Avx2 = Qs8Dwconv3x3Config(
        name: "qs8-dwconv-3x3-avx2", requiresNeon: false, isAvailable: qs8Dwconv3x3AVX2IsCompiled,
        kernel: { qs8Dwconv3x3AVX2Call($0, $1, input: $2, packed: $3, output: $4) }, requiresAVX2: true)

    /// 32 channels per zmm, `vpdpwssd` (SparrowKernelsX86AVX512/Qs8Dwconv3x3+AVX512.swift).
    public static let qs8Dwconv3x3Avx512Vnni = Qs8Dwconv3x3Config(
        name: "qs8-dwconv-3x3-avx512vnni", requiresNeon: false, isAvailable: qs8Dwconv3x3AVX2IsCompiled,
        kernel: { qs8Dwconv3x3AVX512Call($0, $1, input: $2, packed: $3, output: $4) }, requiresAVX2: true,
        requiresAVX512VNNI: true)

    /// Fastest first; the portable kernel last (rows of another ISA are unavailable and skipped).
    public static func table(_ rank: Int) -> Qs8Dwconv3x3Config? {
        switch rank {
        case 0: return .qs8Dwconv3x3NeonMlal
        case 1: return .qs8Dwconv3x3Avx512Vnni
        case 2: return .qs8Dwconv3x3Avx2
        case 3: return .qs8Dwconv3x3Scalar
        default: return nil
        }
    }

    public static func select(for cpu: CPUFeatures) -> Qs8Dwconv3x3Config {
        var rank = 0
        while let config = table(rank) {
            if config.runs(on: cpu) { return config }
            rank += 1
        }
        return .qs8Dwconv3x3Scalar
    }
}
