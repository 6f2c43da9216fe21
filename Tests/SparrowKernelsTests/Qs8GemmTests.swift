import Testing
@testable import SparrowKernels

// The GEMM microkernels (1×1 conv / fully connected) at tolerance 0: the portable twins against the
// definition in 64-bit integers, every microkernel this build contains against its twin, over one
// battery of shapes (k equal to, below and above the KR step and the tile, n not a multiple of NR,
// m remainders, output strides wider than n, extreme zero points and shifts, qmin/qmax clamping).
// On an x86 host the twins and (when CPUID reports AVX2 / AVX-VNNI) the AVX2 and AVX-VNNI kernels
// run; the NEON kernels run
// the same battery on the device builds under qemu (Tests/SparrowDeviceTests/MicrokernelBatteryTests.swift).

private struct GemmCase: CustomStringConvertible {
    var m: Int, n: Int, k: Int
    var zx: Int32, zy: Int32
    var lo: Int8, hi: Int8
    /// nil: around −(6 + log2(k)/2), which keeps most outputs inside the int8 range (|acc| ≈ 5400·√k).
    var shifts: ClosedRange<Int>?
    var outputStride: Int
    var description: String { "m \(m) n \(n) k \(k) zx \(zx) zy \(zy) act [\(lo), \(hi)] shifts \(shifts) ldc \(outputStride)" }
}

private func battery() -> [GemmCase] {
    var cases: [GemmCase] = []
    var rng = MicrokernelRNG(seed: 11)
    for k in [1, 3, 4, 5, 8, 15, 16, 17, 31, 32, 33, 64, 100] {
        for (m, n) in [(1, 1), (4, 16), (5, 17), (3, 8), (2, 9), (7, 31), (9, 33)] {
            let zx = Int32([-128, 127, 0, -5][rng.int(0...3)])
            cases.append(GemmCase(m: m, n: n, k: k, zx: zx, zy: Int32(rng.int(-128...127)), lo: -128, hi: 127,
                                  shifts: nil, outputStride: n + rng.int(0...3)))
        }
    }
    // Clamping, extreme shifts (left shifts saturate, right shift 31), large accumulators.
    cases.append(GemmCase(m: 6, n: 20, k: 48, zx: -128, zy: 100, lo: -20, hi: 90, shifts: -31 ... 30, outputStride: 21))
    cases.append(GemmCase(m: 5, n: 19, k: 256, zx: 127, zy: -128, lo: 0, hi: 127, shifts: -31 ... -20, outputStride: 19))
    cases.append(GemmCase(m: 4, n: 16, k: 16, zx: 3, zy: 0, lo: -128, hi: 127, shifts: 0 ... 30, outputStride: 16))
    return cases
}

private struct GemmData {
    var x: [Int8], w: [Int8], bias: [Int32], multipliers: [Int32], shifts: [Int32]
    init(_ c: GemmCase, seed: UInt64) {
        var rng = MicrokernelRNG(seed: seed)
        x = rng.int8s(c.m * c.k)
        w = rng.int8s(c.n * c.k, -127...127)
        bias = (0..<c.n).map { _ in Int32(rng.int(-(1 << 12)...(1 << 12))) }
        multipliers = (0..<c.n).map { _ in Int32(rng.int((1 << 30)...Int(Int32.max))) }
        let typical = -(6 + (Int.bitWidth - 1 - c.k.leadingZeroBitCount) / 2)
        let range = c.shifts ?? (typical - 1)...(typical + 1)
        shifts = (0..<c.n).map { _ in Int32(rng.int(range)) }
        if c.n > 2 { multipliers[1] = Int32.min + 1; multipliers[2] = 1 << 30 }   // edge multipliers
    }
}

private func pack(_ config: Qs8GemmConfig, _ c: GemmCase, _ d: GemmData) -> [UInt8] {
    var packed = [UInt8](repeating: 0xAB, count: config.tile.packedBytes(n: c.n, k: c.k))
    let rejection = packed.withUnsafeMutableBytes { buffer in
        packQs8GemmWeights(tile: config.tile, n: c.n, k: c.k, weights: d.w, bias: d.bias, inputZeroPoint: c.zx,
                           multipliers: d.multipliers, shifts: d.shifts, into: buffer.baseAddress!)
    }
    #expect(rejection == nil)
    return packed
}

/// Output of `config` with untouched bytes (beyond n in each row) left at 0x55.
private func run(_ config: Qs8GemmConfig, _ c: GemmCase, _ d: GemmData) -> [Int8] {
    let packed = pack(config, c, d)
    var y = [Int8](repeating: 0x55, count: c.m * c.outputStride)
    packed.withUnsafeBytes { p in
        y.withUnsafeMutableBufferPointer { out in
            qs8Gemm(config, m: c.m, n: c.n, k: c.k, input: d.x, inputStride: c.k, packed: p.baseAddress!,
                    output: out.baseAddress!, outputStride: c.outputStride,
                    params: Qs8GemmParams(outputZeroPoint: c.zy, activationMin: c.lo, activationMax: c.hi))
        }
    }
    return y
}

/// The definition: bias + Σ(x − zx)·w in 64 bits, then TFLite's requantization and clamps.
private func definition(_ c: GemmCase, _ d: GemmData) -> [Int8] {
    var y = [Int8](repeating: 0x55, count: c.m * c.outputStride)
    for i in 0..<c.m {
        for j in 0..<c.n {
            var acc = Int(d.bias[j])
            for t in 0..<c.k { acc += (Int(d.x[i * c.k + t]) - Int(c.zx)) * Int(d.w[j * c.k + t]) }
            let scaled = Int(multiplyByQuantizedMultiplier(Int32(acc), d.multipliers[j], d.shifts[j]))
            y[i * c.outputStride + j] = Int8(min(max(min(max(scaled, -512), 512) + Int(c.zy), Int(c.lo)), Int(c.hi)))
        }
    }
    return y
}

private func expectIdentical(_ got: [Int8], _ want: [Int8], _ c: GemmCase, _ what: String) {
    var failures = 0
    for index in 0..<want.count where got[index] != want[index] {
        failures += 1
        if failures <= 3 {
            Issue.record("\(what) \(c): i \(index / c.outputStride) j \(index % c.outputStride) got \(got[index]) want \(want[index])")
        }
    }
    #expect(failures == 0, "\(what) \(c): \(failures) bytes differ")
}

@Suite struct Qs8GemmTests {
    @Test(arguments: [Qs8GemmConfig.qs8Gemm4x16c4Scalar.name.description, Qs8GemmConfig.qs8Gemm2x8c16Scalar.name.description])
    func portableTwinMatchesDefinition(name: String) {
        let config = name.contains("2x8c16") ? Qs8GemmConfig.qs8Gemm2x8c16Scalar : .qs8Gemm4x16c4Scalar
        var unclamped = 0, total = 0
        for (index, c) in battery().enumerated() {
            let d = GemmData(c, seed: UInt64(100 + index))
            let want = definition(c, d)
            expectIdentical(run(config, c, d), want, c, name)
            for i in 0..<c.m { for j in 0..<c.n { total += 1; if want[i * c.outputStride + j] > c.lo && want[i * c.outputStride + j] < c.hi { unclamped += 1 } } }
        }
        // Not vacuous: most outputs land inside the activation range, where rounding shows.
        #expect(unclamped * 100 >= total * 30, "only \(unclamped) of \(total) outputs unclamped")
    }

    /// Whatever this build contains and this CPU runs (aarch64 host: the NEON kernels; x86 host
    /// with AVX2: the AVX2 kernels) against its twin.
    @Test func everyAvailableKernelMatchesItsTwin() {
        var rank = 0
        while let config = Qs8GemmConfig.table(rank) {
            rank += 1
            guard config.runs(on: .thisBuild) else { continue }
            for (index, c) in battery().enumerated() {
                let d = GemmData(c, seed: UInt64(500 + index))
                expectIdentical(run(config, c, d), run(config.portableTwin, c, d), c, config.name.description)
            }
        }
    }

    /// The twins also agree with the existing reference kernels on a 1×1 conv and an FC.
    @Test func matchesConvAndFullyConnected() {
        let c = GemmCase(m: 49, n: 24, k: 40, zx: -7, zy: 5, lo: -100, hi: 110, shifts: -10 ... -6, outputStride: 24)
        let d = GemmData(c, seed: 9)
        var conv = [Int8](repeating: 0, count: c.m * c.n), fc = conv
        conv2DS8(ConvParams(inputZeroPoint: c.zx, outputZeroPoint: c.zy, activationMin: -100, activationMax: 110),
                 input: d.x, inputShape: Shape4(1, 7, 7, c.k), filter: d.w, filterShape: Shape4(c.n, 1, 1, c.k),
                 bias: d.bias, multipliers: d.multipliers, shifts: d.shifts, output: &conv, outputShape: Shape4(1, 7, 7, c.n))
        fullyConnectedS8(FullyConnectedParams(inputZeroPoint: c.zx, outputZeroPoint: c.zy, activationMin: -100, activationMax: 110),
                         input: d.x, batches: c.m, inputDepth: c.k, weights: d.w, bias: d.bias, outputDepth: c.n,
                         multipliers: d.multipliers, shifts: d.shifts, output: &fc)
        #expect(conv == fc)
        expectIdentical(run(.qs8Gemm4x16c4Scalar, c, d), conv, c, "4x16c4 vs conv2DS8")
        expectIdentical(run(.qs8Gemm2x8c16Scalar, c, d), conv, c, "2x8c16 vs conv2DS8")
    }

    /// The packed layout, worked out by hand for n = 2, k = 5, tile NR 16 / KR 4.
    @Test func packedLayoutByHand() {
        let tile = Qs8GemmTile(mr: 4, nr: 16, kr: 4)
        #expect(tile.packedBytes(n: 2, k: 5) == 64 + 8 * 16 + 192)
        let w: [Int8] = [1, 2, 3, 4, 5, -1, -2, -3, -4, -5]
        var packed = [UInt8](repeating: 0xAB, count: tile.packedBytes(n: 2, k: 5))
        let rejection = packed.withUnsafeMutableBytes {
            packQs8GemmWeights(tile: tile, n: 2, k: 5, weights: w, bias: [100, -100], inputZeroPoint: 3,
                               multipliers: [1 << 30, 1 << 29], shifts: [2, -7], into: $0.baseAddress!)
        }
        #expect(rejection == nil)
        func int32(_ offset: Int) -> Int32 { packed.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: Int32.self) } }
        #expect(int32(0) == 100 - 3 * 15 && int32(4) == -100 + 3 * 15 && int32(8) == 0)
        // k step 0: channel 0 bytes 1..4 at 64, channel 1 at 68; step 1 (offset 128): 5,0,0,0 and −5,0,0,0.
        #expect(packed[64..<72].map { Int8(bitPattern: $0) } == [1, 2, 3, 4, -1, -2, -3, -4])
        #expect(packed[72..<128].allSatisfy { $0 == 0 })
        #expect(packed[128..<136].map { Int8(bitPattern: $0) } == [5, 0, 0, 0, -5, 0, 0, 0])
        let constants = 64 + 128
        #expect(int32(constants) == 1 << 30 && int32(constants + 4) == 1 << 29 && int32(constants + 8) == 0)
        #expect(int32(constants + 64) == 2 && int32(constants + 68) == 0)       // pre: max(shift, 0)
        #expect(int32(constants + 128) == 0 && int32(constants + 132) == -7)    // post: min(shift, 0)
    }

    @Test func packerRejectsWhatTheKernelsCannotReproduce() {
        let tile = Qs8GemmConfig.qs8Gemm2x8c16Scalar.tile
        var packed = [UInt8](repeating: 0, count: tile.packedBytes(n: 2, k: 3))
        let w: [Int8] = [1, 2, 3, 4, -128, 6]
        let minus128 = packed.withUnsafeMutableBytes {
            packQs8GemmWeights(tile: tile, n: 2, k: 3, weights: w, bias: nil, inputZeroPoint: 0,
                               multipliers: [1 << 30, 1 << 30], shifts: [0, 0], into: $0.baseAddress!)
        }
        #expect(minus128 == .weightMinus128(channel: 1, input: 1))
        let badShift = packed.withUnsafeMutableBytes {
            packQs8GemmWeights(tile: tile, n: 2, k: 3, weights: [1, 2, 3, 4, 5, 6], bias: nil, inputZeroPoint: 0,
                               multipliers: [1 << 30, 1 << 30], shifts: [0, -32], into: $0.baseAddress!)
        }
        #expect(badShift == .shiftOutOfRange(channel: 1, shift: -32))
    }

    /// The converter packs for the board, not the host: each target's layout (NR, KR) has a twin.
    @Test func packedTilePerTargetHasAPortableTwin() {
        let dot = Qs8GemmConfig.packedTile(for: .aarch64, dotProduct: true)
        let mlal = Qs8GemmConfig.packedTile(for: .aarch64, dotProduct: false)
        let v7 = Qs8GemmConfig.packedTile(for: .armv7, dotProduct: false)
        #expect((dot.nr, dot.kr) == (16, 4) && (mlal.nr, mlal.kr) == (8, 16) && (v7.nr, v7.kr) == (8, 16))
        for tile in [dot, mlal, v7, Qs8GemmConfig.packedTile(for: .other, dotProduct: false)] {
            let twin = Qs8GemmConfig(name: "probe", tile: tile, requiresNeon: false, requiresDotProduct: false,
                                     isAvailable: true, kernel: .scalar4x16c4).portableTwin
            #expect(twin.tile.nr == tile.nr && twin.tile.kr == tile.kr)
        }
        #if arch(x86_64)
        #expect(!CPUFeatures.thisBuild.neon && !CPUFeatures.thisBuild.dotProduct)
        #endif
    }

    /// On an AVX2 host both board layouts get an AVX2 kernel (so the twin test above ran them);
    /// without AVX2 the portable twins, never an AVX2 row.
    @Test func x86HostSelectsAVX2ByCPUID() {
        let avx2 = CPUFeatures(neon: false, dotProduct: false, avx2: true)
        #if arch(x86_64)
        #expect(Qs8GemmConfig.select(for: avx2, packedNR: 16, kr: 4).name.description == "qs8-gemm-2x16c4-avx2")
        #expect(Qs8GemmConfig.select(for: avx2, packedNR: 8, kr: 16).name.description == "qs8-gemm-1x8c16-avx2")
        #endif
        #expect(Qs8GemmConfig.select(for: .portable, packedNR: 16, kr: 4).name.description == "qs8-gemm-4x16c4-scalar")
        #expect(Qs8GemmConfig.select(for: .portable, packedNR: 8, kr: 16).name.description == "qs8-gemm-2x8c16-scalar")
        let host = Qs8GemmConfig.select(for: .thisBuild, packedNR: 16, kr: 4)
        #expect(host.requiresAVX2 == CPUFeatures.thisBuild.avx2)
        // AVX-VNNI takes both layouts when CPUID reports it.
        let vnni = CPUFeatures(neon: false, dotProduct: false, avx2: true, avxVnni: true)
        #if arch(x86_64)
        #expect(Qs8GemmConfig.select(for: vnni, packedNR: 16, kr: 4).name.description == "qs8-gemm-4x16c4-avxvnni")
        #expect(Qs8GemmConfig.select(for: vnni, packedNR: 8, kr: 16).name.description == "qs8-gemm-2x8c16-avxvnni")
        #expect(host.requiresAVXVNNI == CPUFeatures.thisBuild.avxVnni)
        #else
        #expect(Qs8GemmConfig.select(for: vnni, packedNR: 16, kr: 4).name.description == "qs8-gemm-4x16c4-scalar")
        #endif
    }

    @Test func selectionFollowsTheCPU() {
        #expect(Qs8GemmConfig.select(for: .portable).name.description == "qs8-gemm-4x16c4-scalar")
        let dot = Qs8GemmConfig.select(for: CPUFeatures(neon: true, dotProduct: true))
        let noDot = Qs8GemmConfig.select(for: CPUFeatures(neon: true, dotProduct: false))
        #if arch(x86_64)
        #expect(dot.name.description == "qs8-gemm-4x16c4-scalar" && noDot.name.description == "qs8-gemm-4x16c4-scalar")
        #else
        #expect(noDot.name.description == "qs8-gemm-2x8c16-neon-mlal")
        #endif
        // In-order cores (SPARROW_INORDER boards) take the two-pass variant on the same layout.
        let inOrder = Qs8GemmConfig.select(for: CPUFeatures(neon: true, dotProduct: false, inOrder: true))
        #if arch(arm64)
        #expect(inOrder.name.description == "qs8-gemm-2x8c16-neon-mlal-inorder")
        #endif
        #expect(inOrder.tile.nr == noDot.tile.nr && inOrder.tile.kr == noDot.tile.kr)
    }

    /// The condition of the 3-instruction requantization, per channel group: no left shift and a
    /// right shift ≥ 1, or a multiplier of 0 (padded channels). Hand-made constant blocks.
    @Test func rightShiftOnlyGroupCheck() {
        func check(_ multipliers: [Int32], _ pre: [Int32], _ post: [Int32]) -> Bool {
            (multipliers + pre + post).withUnsafeBytes { qs8GemmRightShiftOnly($0.baseAddress!, nr: multipliers.count) }
        }
        let m: [Int32] = [1 << 30, 1 << 30, Int32.max, 1 << 30, 1 << 30, 1 << 30, 0, 0]
        #expect(check(m, [0, 0, 0, 0, 0, 0, 0, 0], [-1, -31, -7, -7, -8, -9, 0, 0]))
        #expect(!check(m, [0, 0, 0, 0, 0, 1, 0, 0], [-1, -31, -7, -7, -8, 0, 0, 0]))     // a left shift
        #expect(!check(m, [0, 0, 0, 0, 0, 0, 0, 0], [-1, -31, -7, 0, -8, -9, 0, 0]))     // shift 0
        #expect(check(m, [0, 0, 0, 0, 0, 0, 0, 0], [-1, -31, -7, -1, -8, -9, -3, 0]))    // padded lanes: anything
        // NR 16: every vector of the block counts (lane 15 padded; lane 8 real with shift 0).
        let m16 = Array(m[0..<4]) + [0, 0, 0, 0] + Array(m[0..<4]) + [0, 0, 0, 0]
        var post16 = [Int32](repeating: -5, count: 15) + [0]
        #expect(check(m16, [Int32](repeating: 0, count: 16), post16))
        post16[8] = 0
        #expect(!check(m16, [Int32](repeating: 0, count: 16), post16))
    }
}

/// im2col + GEMM convolution (first layer, few input channels) against conv2DS8 at tolerance 0.
@Suite struct Qs8ConvIm2colTests {
    struct Case: CustomStringConvertible {
        var input: Shape4, kernel: (Int, Int), outC: Int, stride: Int, dilation: Int
        var pad: (top: Int, left: Int, bottom: Int, right: Int), zx: Int32
        var output: Shape4 {
            Shape4(input.n, (input.h + pad.top + pad.bottom - (kernel.0 - 1) * dilation - 1) / stride + 1,
                   (input.w + pad.left + pad.right - (kernel.1 - 1) * dilation - 1) / stride + 1, outC)
        }
        var description: String { "in \(input) k \(kernel) outC \(outC) s \(stride) d \(dilation) pad \(pad) zx \(zx)" }
    }

    static let cases: [Case] = [
        Case(input: Shape4(1, 9, 9, 3), kernel: (3, 3), outC: 16, stride: 2, dilation: 1, pad: (0, 0, 1, 1), zx: -1),
        Case(input: Shape4(2, 7, 6, 3), kernel: (3, 3), outC: 8, stride: 1, dilation: 1, pad: (1, 1, 1, 1), zx: -128),
        Case(input: Shape4(1, 5, 5, 1), kernel: (3, 3), outC: 5, stride: 1, dilation: 1, pad: (1, 1, 1, 1), zx: 127),
        Case(input: Shape4(1, 8, 8, 4), kernel: (3, 3), outC: 17, stride: 1, dilation: 2, pad: (2, 2, 2, 2), zx: 3),
        Case(input: Shape4(1, 6, 5, 2), kernel: (1, 3), outC: 33, stride: 2, dilation: 1, pad: (0, 1, 0, 1), zx: 0),
        // The interior fast path's bounds: stride 3 with pads not multiples of it, batch 2, a 20-byte
        // kernel row (the 16-byte copy), 2-byte rows, and an image with no interior pixel at all.
        Case(input: Shape4(2, 11, 10, 1), kernel: (5, 5), outC: 9, stride: 3, dilation: 1, pad: (2, 1, 2, 0), zx: -7),
        Case(input: Shape4(2, 9, 11, 4), kernel: (1, 5), outC: 16, stride: 3, dilation: 1, pad: (2, 2, 1, 1), zx: 11),
        Case(input: Shape4(1, 4, 13, 4), kernel: (3, 3), outC: 16, stride: 2, dilation: 1, pad: (0, 2, 1, 0), zx: 9),
        Case(input: Shape4(1, 2, 2, 3), kernel: (3, 3), outC: 4, stride: 1, dilation: 1, pad: (1, 1, 1, 1), zx: -50),
        Case(input: Shape4(1, 6, 6, 1), kernel: (2, 2), outC: 7, stride: 1, dilation: 1, pad: (0, 0, 0, 0), zx: 5),
    ]

    @Test func portableConfigsMatchConv2D() {
        for (index, c) in Self.cases.enumerated() {
            var rng = MicrokernelRNG(seed: UInt64(70 + index))
            let k = c.kernel.0 * c.kernel.1 * c.input.c
            let x = rng.int8s(c.input.count), w = rng.int8s(c.outC * k, -127...127)
            let bias = (0..<c.outC).map { _ in Int32(rng.int(-3000...3000)) }
            let multipliers = (0..<c.outC).map { _ in Int32(rng.int((1 << 30)...Int(Int32.max))) }
            let shifts = (0..<c.outC).map { _ in Int32(rng.int(-9 ... -6)) }
            let p = ConvParams(strideH: c.stride, strideW: c.stride, dilationH: c.dilation, dilationW: c.dilation,
                               padTop: c.pad.top, padLeft: c.pad.left, inputZeroPoint: c.zx, outputZeroPoint: 4,
                               activationMin: -120, activationMax: 125)
            var reference = [Int8](repeating: 0, count: c.output.count)
            conv2DS8(p, input: x, inputShape: c.input, filter: w, filterShape: Shape4(c.outC, c.kernel.0, c.kernel.1, c.input.c),
                     bias: bias, multipliers: multipliers, shifts: shifts, output: &reference, outputShape: c.output)
            for config in [Qs8GemmConfig.qs8Gemm4x16c4Scalar, .qs8Gemm2x8c16Scalar] {
                var packed = [UInt8](repeating: 0, count: config.tile.packedBytes(n: c.outC, k: k))
                let rejection = packed.withUnsafeMutableBytes {
                    packQs8GemmWeights(tile: config.tile, n: c.outC, k: k, weights: w, bias: bias, inputZeroPoint: c.zx,
                                       multipliers: multipliers, shifts: shifts, into: $0.baseAddress!)
                }
                #expect(rejection == nil)
                var scratch = [Int8](repeating: 0, count: qs8ConvIm2colScratchBytes(config, kernelH: c.kernel.0, kernelW: c.kernel.1,
                                                                                     inputChannels: c.input.c))
                var y = [Int8](repeating: 0x55, count: c.output.count)
                packed.withUnsafeBytes { packedBytes in
                    qs8ConvIm2col(config, p, input: x, inputShape: c.input, kernelH: c.kernel.0, kernelW: c.kernel.1,
                                  packed: packedBytes.baseAddress!, output: &y, outputShape: c.output, scratch: &scratch)
                }
                #expect(y == reference, "\(config.name) \(c)")
                #expect(reference.filter { $0 > -120 && $0 < 125 }.count * 100 >= reference.count * 30, "mostly clamped: \(c)")
            }
        }
    }
}
