import Testing
@testable import SparrowKernels

// Depthwise 3×3 microkernels at tolerance 0: the portable twin against the definition in 64-bit
// integers and against depthwiseConv2DS8; every kernel this build contains against the twin.
// Battery: channel counts below, at and above the 16-lane group, tiny and odd images (all border),
// strides 1 and 2, symmetric and TF-"SAME" asymmetric padding, extreme zero points, clamping.
// The NEON kernel runs the same battery on the device builds (Tests/Fixtures/kernels).

private struct DwCase: CustomStringConvertible {
    var h: Int, w: Int, c: Int, stride: Int
    var pad: (top: Int, left: Int, bottom: Int, right: Int)
    var zx: Int8, zy: Int32, lo: Int8 = -128, hi: Int8 = 127
    /// Requantization shifts per channel; the default keeps most outputs unclamped.
    var shifts: ClosedRange<Int> = -9 ... -6
    var shape: Qs8Dwconv3x3Shape {
        Qs8Dwconv3x3Shape(batches: 2, inH: h, inW: w, channels: c, outH: (h + pad.top + pad.bottom - 3) / stride + 1,
                          outW: (w + pad.left + pad.right - 3) / stride + 1, stride: stride, padTop: pad.top, padLeft: pad.left)
    }
    var description: String { "h \(h) w \(w) c \(c) s \(stride) pad \(pad) zx \(zx) zy \(zy) act [\(lo), \(hi)]" }
}

private func battery() -> [DwCase] {
    var cases: [DwCase] = []
    var rng = MicrokernelRNG(seed: 3)
    for c in [1, 8, 16, 17, 32, 40] {
        for (h, w) in [(1, 1), (2, 3), (5, 5), (8, 7)] {
            for stride in [1, 2] {
                let pads = stride == 1 ? (1, 1, 1, 1) : (0, 0, 1, 1)
                if h + pads.0 + pads.2 < 3 || w + pads.1 + pads.3 < 3 { continue }
                cases.append(DwCase(h: h, w: w, c: c, stride: stride, pad: pads, zx: Int8([-128, 127, 0, -9][rng.int(0...3)]),
                                    zy: Int32(rng.int(-128...127))))
            }
        }
    }
    cases.append(DwCase(h: 6, w: 6, c: 32, stride: 1, pad: (0, 0, 0, 0), zx: 5, zy: 3))
    // 32-channel blocks (the AVX-512 kernel): two blocks and a lone whole group (48), a block, a
    // group and a partial one (72 = 32 + 32 + 8), padding 2 on every side.
    cases.append(DwCase(h: 5, w: 6, c: 48, stride: 1, pad: (2, 2, 2, 2), zx: -3, zy: 9))
    cases.append(DwCase(h: 7, w: 6, c: 72, stride: 2, pad: (2, 1, 1, 2), zx: 12, zy: -40))
    cases.append(DwCase(h: 9, w: 9, c: 24, stride: 2, pad: (1, 1, 1, 1), zx: -128, zy: 100, lo: -20, hi: 90))
    // Left shifts (saturating) next to right shifts in one 8-lane block, and small shifts of both
    // signs: the vector requantization's general path, not only its right-shift-only one.
    cases.append(DwCase(h: 5, w: 4, c: 24, stride: 1, pad: (1, 1, 1, 1), zx: 7, zy: -3, shifts: -31 ... 30))
    cases.append(DwCase(h: 4, w: 5, c: 16, stride: 2, pad: (0, 0, 1, 1), zx: -1, zy: 2, shifts: -3 ... 2))
    return cases
}

private struct DwData {
    var x: [Int8], filter: [Int8], bias: [Int32], multipliers: [Int32], shifts: [Int32]
    init(_ c: DwCase, seed: UInt64) {
        var rng = MicrokernelRNG(seed: seed)
        x = rng.int8s(2 * c.h * c.w * c.c)
        filter = rng.int8s(9 * c.c, -127...127)
        bias = (0..<c.c).map { _ in Int32(rng.int(-4000...4000)) }
        multipliers = (0..<c.c).map { _ in Int32(rng.int((1 << 30)...Int(Int32.max))) }
        shifts = (0..<c.c).map { _ in Int32(rng.int(c.shifts)) }   // default: |acc| ≈ 3·128·73, mostly unclamped
    }
}

private func run(_ config: Qs8Dwconv3x3Config, _ c: DwCase, _ d: DwData) -> [Int8] {
    var packed = [UInt8](repeating: 0xAB, count: Qs8Dwconv3x3Layout.packedBytes(c: c.c))
    let rejection = packed.withUnsafeMutableBytes {
        packQs8Dwconv3x3Weights(c: c.c, filter: d.filter, bias: d.bias, inputZeroPoint: Int32(c.zx),
                                multipliers: d.multipliers, shifts: d.shifts, into: $0.baseAddress!)
    }
    #expect(rejection == nil)
    let s = c.shape
    var y = [Int8](repeating: 0x55, count: 2 * s.outH * s.outW * c.c)
    packed.withUnsafeBytes { p in
        y.withUnsafeMutableBufferPointer { out in
            config.kernel(s, Qs8DwconvParams(inputZeroPoint: c.zx, output: Qs8GemmParams(outputZeroPoint: c.zy, activationMin: c.lo, activationMax: c.hi)),
                          d.x, p.baseAddress!, out.baseAddress!)
        }
    }
    return y
}

private func definition(_ c: DwCase, _ d: DwData) -> [Int8] {
    let s = c.shape
    var y = [Int8](repeating: 0, count: 2 * s.outH * s.outW * c.c)
    for n in 0..<2 { for oy in 0..<s.outH { for ox in 0..<s.outW { for ch in 0..<c.c {
        var acc = Int(d.bias[ch])
        for ky in 0..<3 { for kx in 0..<3 {
            let iy = oy * c.stride - c.pad.top + ky, ix = ox * c.stride - c.pad.left + kx
            if iy < 0 || iy >= c.h || ix < 0 || ix >= c.w { continue }
            acc += (Int(d.x[((n * c.h + iy) * c.w + ix) * c.c + ch]) - Int(c.zx)) * Int(d.filter[(ky * 3 + kx) * c.c + ch])
        } }
        let scaled = Int(multiplyByQuantizedMultiplier(Int32(acc), d.multipliers[ch], d.shifts[ch]))
        y[((n * s.outH + oy) * s.outW + ox) * c.c + ch] = Int8(min(max(min(max(scaled, -512), 512) + Int(c.zy), Int(c.lo)), Int(c.hi)))
    } } } }
    return y
}

@Suite struct Qs8Dwconv3x3Tests {
    @Test func portableTwinMatchesDefinitionAndReference() {
        var unclamped = 0, total = 0
        for (index, c) in battery().enumerated() {
            let d = DwData(c, seed: UInt64(40 + index))
            let want = definition(c, d)
            let got = run(.qs8Dwconv3x3Scalar, c, d)
            #expect(got == want, "\(c)")
            let s = c.shape
            var reference = [Int8](repeating: 0, count: want.count)
            depthwiseConv2DS8(ConvParams(strideH: c.stride, strideW: c.stride, padTop: c.pad.top, padLeft: c.pad.left,
                                         inputZeroPoint: Int32(c.zx), outputZeroPoint: c.zy,
                                         activationMin: Int32(c.lo), activationMax: Int32(c.hi)),
                              input: d.x, inputShape: Shape4(2, c.h, c.w, c.c), filter: d.filter, filterShape: Shape4(1, 3, 3, c.c),
                              bias: d.bias, multipliers: d.multipliers, shifts: d.shifts, output: &reference,
                              outputShape: Shape4(2, s.outH, s.outW, c.c))
            #expect(got == reference, "vs depthwiseConv2DS8 \(c)")
            total += want.count
            unclamped += want.filter { $0 > c.lo && $0 < c.hi }.count
        }
        #expect(unclamped * 100 >= total * 30, "only \(unclamped) of \(total) outputs unclamped")
    }

    /// Every kernel this build contains and this CPU runs (x86 with AVX2: qs8-dwconv-3x3-avx2;
    /// aarch64: NEON) against the twin.
    @Test func everyAvailableKernelMatchesTheTwin() {
        #if arch(x86_64)
        #expect(Qs8Dwconv3x3Config.select(for: .thisBuild).requiresAVX2 == CPUFeatures.thisBuild.avx2)
        #endif
        var rank = 0
        while let config = Qs8Dwconv3x3Config.table(rank) {
            rank += 1
            guard config.runs(on: .thisBuild) else { continue }
            for (index, c) in battery().enumerated() {
                let d = DwData(c, seed: UInt64(90 + index))
                #expect(run(config, c, d) == run(.qs8Dwconv3x3Scalar, c, d), "\(config.name) \(c)")
            }
        }
    }

    @Test func packedLayoutByHand() {
        // c = 2: bias′ = bias − zx·Σw; weights tap-major with 16 lanes; constants after 64 + 144 bytes.
        var filter: [Int8] = []   // ch0: 1…9, ch1: −1…−9
        for tap in 1...9 { filter.append(Int8(tap)); filter.append(Int8(-tap)) }
        var packed = [UInt8](repeating: 0xAB, count: Qs8Dwconv3x3Layout.packedBytes(c: 2))
        #expect(packed.count == 400)
        let rejection = packed.withUnsafeMutableBytes {
            packQs8Dwconv3x3Weights(c: 2, filter: filter, bias: [10, 20], inputZeroPoint: -2,
                                    multipliers: [1 << 30, 1 << 29], shifts: [1, -5], into: $0.baseAddress!)
        }
        #expect(rejection == nil)
        func int32(_ o: Int) -> Int32 { packed.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: o, as: Int32.self) } }
        #expect(int32(0) == 10 + 2 * 45 && int32(4) == 20 - 2 * 45 && int32(8) == 0)
        #expect(Int8(bitPattern: packed[64]) == 1 && Int8(bitPattern: packed[65]) == -1 && packed[66] == 0)
        #expect(Int8(bitPattern: packed[64 + 8 * 16]) == 9 && Int8(bitPattern: packed[64 + 8 * 16 + 1]) == -9)
        #expect(int32(208) == 1 << 30 && int32(212) == 1 << 29 && int32(208 + 64) == 1 && int32(208 + 128 + 4) == -5)
    }
}
