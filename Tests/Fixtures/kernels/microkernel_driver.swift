// Built by Tests/Fixtures/kernels/microkernels.sh and by MicrokernelBatteryTests (not a SwiftPM
// target): SparrowKernels compiled with a board's device flags, run under qemu for that board.
//   (default)     every microkernel this build contains against its portable twin, and the twins
//                 against the definition, at tolerance 0 (the same battery as Qs8GemmTests).
//                 Prints one line per kernel; exit status 1 on any difference.
//   BENCH=1       MobileNetV1-α0.5-96×96 1×1 conv / FC shapes: region 2L = today's kernel
//                 (conv2DS8 / fullyConnectedS8), 2L + 1 = the selected microkernel (packing is
//                 convert-time work, outside the region); region 99 = empty marker pair.
//                 Prints "case L name MACs outputs same|DIFFERENT".
//                 Also the depthwise (dwcase, regions 40+) and same-shape Add (addcase, regions
//                 60+: the scalar twin, then addS8) shapes, and Mean over HW (printed as addcase,
//                 regions 26–29: meanHWS8Scalar, then meanHWS8).
// DOTPROD=1 declares the board's dot-product capability (Boards/*.json hasDotProd).
import SparrowKernels

@_extern(c, "syscall") func syscall4(_ nr: Int, _ a1: Int, _ a2: Int, _ a3: Int) -> Int
@_extern(c, "putchar") func putchar(_ c: Int32) -> Int32
@_extern(c, "getenv") func getenv(_ name: UnsafePointer<CChar>) -> UnsafePointer<CChar>?
@_extern(c, "exit") func cExit(_ code: Int32)
func exit(_ code: Int32) -> Never { cExit(code); while true {} }
@inline(never) func begin(_ l: Int) { _ = syscall4(0x5A5A, 0x41524d50, 1, l) }
@inline(never) func end(_ l: Int) { _ = syscall4(0x5A5A, 0x41524d50, 2, l) }

func put(_ s: StaticString) { s.withUTF8Buffer { for b in $0 { _ = putchar(Int32(b)) } } }
func put(_ v: Int) {
    if v < 0 { _ = putchar(45); put(0 - v); return }
    if v >= 10 { put(v / 10) }
    _ = putchar(Int32(48 + v % 10))
}
func env(_ name: StaticString) -> Int? {
    guard let v = getenv(UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self)) else { return nil }
    var r = 0, i = 0
    while v[i] >= 48 && v[i] <= 57 { r = r * 10 + Int(v[i]) - 48; i += 1 }
    return r
}

var state: UInt64 = 0x5eed_1234_abcd_0001
func next() -> UInt64 { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state }
func rand(_ lo: Int, _ hi: Int) -> Int { lo + Int(next() % UInt64(hi - lo + 1)) }
func int8s(_ n: Int, weights: Bool = false) -> UnsafeMutablePointer<Int8> {
    let p = UnsafeMutablePointer<Int8>.allocate(capacity: max(n, 1))
    for i in 0..<n { let v = Int8(truncatingIfNeeded: next() >> 24); p[i] = weights && v == -128 ? -127 : v }
    return p
}
func int32s(_ n: Int, _ lo: Int, _ hi: Int) -> UnsafeMutablePointer<Int32> {
    let p = UnsafeMutablePointer<Int32>.allocate(capacity: max(n, 1))
    for i in 0..<n { p[i] = Int32(truncatingIfNeeded: rand(lo, hi)) }
    return p
}

struct Layer {
    var m: Int, n: Int, k: Int
    var x: UnsafeMutablePointer<Int8>, w: UnsafeMutablePointer<Int8>
    var bias: UnsafeMutablePointer<Int32>, multipliers: UnsafeMutablePointer<Int32>, shifts: UnsafeMutablePointer<Int32>
    var zx: Int32, zy: Int32, lo: Int8, hi: Int8
    /// Default shifts put most outputs inside the int8 range (|acc| ≈ 5400·√k), so rounding
    /// differences show instead of being clamped away.
    init(m: Int, n: Int, k: Int, zx: Int32, zy: Int32, lo: Int8 = -128, hi: Int8 = 127, shifts range: (Int, Int)? = nil) {
        self.m = m; self.n = n; self.k = k; self.zx = zx; self.zy = zy; self.lo = lo; self.hi = hi
        x = int8s(m * k); w = int8s(n * k, weights: true)
        bias = int32s(n, -(1 << 12), 1 << 12); multipliers = int32s(n, 1 << 30, Int(Int32.max))
        var log2k = 0
        while (1 << (log2k + 1)) <= k { log2k += 1 }
        let typical = -(6 + log2k / 2)
        shifts = int32s(n, range?.0 ?? typical - 1, range?.1 ?? typical + 1)
        if n > 2 { multipliers[1] = Int32.min + 1; multipliers[2] = 1 << 30 }
    }
    var params: Qs8GemmParams { Qs8GemmParams(outputZeroPoint: zy, activationMin: lo, activationMax: hi) }

    func pack(_ config: Qs8GemmConfig) -> UnsafeMutableRawPointer {
        let bytes = config.tile.packedBytes(n: n, k: k)
        let p = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 16)
        if packQs8GemmWeights(tile: config.tile, n: n, k: k, weights: w, bias: bias, inputZeroPoint: zx,
                              multipliers: multipliers, shifts: shifts, into: p) != nil {
            put("pack rejected\n"); exit(2)
        }
        return p
    }
    func gemm(_ config: Qs8GemmConfig, _ packed: UnsafeRawPointer, _ out: UnsafeMutablePointer<Int8>, ldc: Int) {
        qs8Gemm(config, m: m, n: n, k: k, input: x, inputStride: k, packed: packed, output: out, outputStride: ldc, params: params)
    }
}

/// The build's own capabilities (CPUFeatures.thisBuild); they must agree with the board profile's
/// hasDotProd (DOTPROD), i.e. the board's flags define SPARROW_DOTPROD exactly where it has sdot.
func features() -> CPUFeatures {
    let cpu = CPUFeatures.thisBuild
    if cpu.dotProduct != (env("DOTPROD") == 1) { put("FAIL: SPARROW_DOTPROD does not match the board's hasDotProd\n"); exit(1) }
#if arch(arm64) || arch(arm)
    if !cpu.neon { put("FAIL: an arm build without NEON\n"); exit(1) }
#endif
    return cpu
}

/// Outputs strictly inside the activation range, over all checks: shows the battery is not vacuous.
var unclamped = 0, checked = 0

func battery() -> Int {
    _ = features()
    var failures = 0
    var rank = 0
    while let config = Qs8GemmConfig.table(rank) {
        rank += 1
        if !config.isAvailable { continue }
        var cases = 0, bad = 0
        let ks = [1, 3, 4, 5, 8, 15, 16, 17, 26, 31, 32, 33, 64, 100]
        // n: full groups, a last group of 8 (its own loop), other partial groups; m: remainders of 1–3.
        let mns = [(1, 1), (4, 16), (5, 17), (3, 8), (2, 9), (7, 31), (9, 33), (13, 24), (10, 40), (6, 22), (8, 8)]
        for k in ks {
            for (m, n) in mns {
                let zxs: [Int32] = [-128, 127, 0, -5]
                bad += check(config, Layer(m: m, n: n, k: k, zx: zxs[rand(0, 3)], zy: Int32(rand(-128, 127))), ldc: n + rand(0, 3))
                cases += 1
            }
        }
        bad += check(config, Layer(m: 6, n: 20, k: 48, zx: -128, zy: 100, lo: -20, hi: 90, shifts: (-31, 30)), ldc: 21)
        bad += check(config, Layer(m: 5, n: 19, k: 256, zx: 127, zy: -128, lo: 0, hi: 127, shifts: (-31, -20)), ldc: 19)
        bad += check(config, Layer(m: 4, n: 16, k: 16, zx: 3, zy: 0, shifts: (0, 30)), ldc: 16)
        cases += 3
        put("battery "); config.name.withUTF8Buffer { for b in $0 { _ = putchar(Int32(b)) } }
        put(" cases "); put(cases); put(" failures "); put(bad)
        put(" unclamped% "); put(unclamped * 100 / max(checked, 1)); put("\n")
        if unclamped * 100 < checked * 30 { put("FAIL: fewer than 30% of the outputs are unclamped\n"); bad += 1 }
        unclamped = 0; checked = 0
        failures += bad
    }
    return failures
}

/// config vs its portable twin, and the twin vs the definition (int32 wrapping = exact here).
func check(_ config: Qs8GemmConfig, _ l: Layer, ldc: Int) -> Int {
    let twin = config.portableTwin
    let a = UnsafeMutablePointer<Int8>.allocate(capacity: l.m * ldc); a.initialize(repeating: 0x55, count: l.m * ldc)
    let b = UnsafeMutablePointer<Int8>.allocate(capacity: l.m * ldc); b.initialize(repeating: 0x55, count: l.m * ldc)
    l.gemm(config, l.pack(config), a, ldc: ldc)
    l.gemm(twin, l.pack(twin), b, ldc: ldc)
    var bad = 0
    for i in 0..<l.m {
        for j in 0..<ldc {
            var want: Int8 = 0x55
            if j < l.n {
                var acc = l.bias[j]
                for t in 0..<l.k { acc &+= (Int32(l.x[i * l.k + t]) &- l.zx) &* Int32(l.w[j * l.k + t]) }
                let s = multiplyByQuantizedMultiplier(acc, l.multipliers[j], l.shifts[j])
                want = Int8(min(max(min(max(s, -512), 512) &+ l.zy, Int32(l.lo)), Int32(l.hi)))
            }
            if j < l.n {
                checked += 1
                if want > l.lo && want < l.hi { unclamped += 1 }
            }
            if a[i * ldc + j] != b[i * ldc + j] || b[i * ldc + j] != want {
                if bad < 3 {
                    put("FAIL m "); put(l.m); put(" n "); put(l.n); put(" k "); put(l.k); put(" i "); put(i); put(" j "); put(j)
                    put(" kernel "); put(Int(a[i * ldc + j])); put(" twin "); put(Int(b[i * ldc + j])); put(" reference "); put(Int(want)); put("\n")
                }
                bad += 1
            }
        }
    }
    return bad
}

func bench() {
    let config = Qs8GemmConfig.select(for: features())
    put("kernel "); config.name.withUTF8Buffer { for b in $0 { _ = putchar(Int32(b)) } }; put("\n")
    // MobileNetV1 α = 0.5 at 96×96: its 1×1 convolutions (pixels, in → out) and the classifier.
    let shapes: [(Int, Int, Int, StaticString)] = [
        (48 * 48, 16, 32, "pw1 48x48 16->32"), (24 * 24, 32, 64, "pw2 24x24 32->64"), (24 * 24, 64, 64, "pw3 24x24 64->64"),
        (12 * 12, 64, 128, "pw4 12x12 64->128"), (12 * 12, 128, 128, "pw5 12x12 128->128"),
        (6 * 6, 128, 256, "pw6 6x6 128->256"), (6 * 6, 256, 256, "pw7-11 6x6 256->256"),
        (3 * 3, 256, 512, "pw12 3x3 256->512"), (3 * 3, 512, 512, "pw13 3x3 512->512"), (1, 512, 1000, "fc 512->1000"),
    ]
    for (label, shape) in shapes.enumerated() {
        let (m, k, n, name) = shape
        let l = Layer(m: m, n: n, k: k, zx: -3, zy: 5)
        let before = UnsafeMutablePointer<Int8>.allocate(capacity: m * n)
        let after = UnsafeMutablePointer<Int8>.allocate(capacity: m * n)
        begin(2 * label)
        if m == 1 {
            fullyConnectedS8(FullyConnectedParams(inputZeroPoint: l.zx, outputZeroPoint: l.zy), input: l.x, batches: 1,
                             inputDepth: k, weights: l.w, bias: l.bias, outputDepth: n, multipliers: l.multipliers,
                             shifts: l.shifts, output: before)
        } else {
            conv2DS8(ConvParams(inputZeroPoint: l.zx, outputZeroPoint: l.zy), input: l.x, inputShape: Shape4(1, 1, m, k),
                     filter: l.w, filterShape: Shape4(n, 1, 1, k), bias: l.bias, multipliers: l.multipliers,
                     shifts: l.shifts, output: before, outputShape: Shape4(1, 1, m, n))
        }
        end(2 * label)
        let packed = l.pack(config)
        begin(2 * label + 1)
        l.gemm(config, packed, after, ldc: n)
        end(2 * label + 1)
        var same = true
        for i in 0..<(m * n) where before[i] != after[i] { same = false }
        put("case "); put(label); put(" "); name.withUTF8Buffer { for b in $0 { _ = putchar(Int32(b)) } }
        put(" macs "); put(m * n * k); put(" outputs "); put(m * n); put(same ? " same\n" : " DIFFERENT\n")
        if !same { exit(1) }
    }
}

// MARK: - depthwise 3×3

struct DwLayer {
    var s: Qs8Dwconv3x3Shape, padBottom: Int, padRight: Int
    var x: UnsafeMutablePointer<Int8>, filter: UnsafeMutablePointer<Int8>
    var bias: UnsafeMutablePointer<Int32>, multipliers: UnsafeMutablePointer<Int32>, shifts: UnsafeMutablePointer<Int32>
    var params: Qs8DwconvParams
    /// pads: TF "SAME" (stride 2: 0 before, 1 after) or 1 on every side (stride 1).
    /// shifts: per-channel shifts drawn from this range (all negative: the kernels' 3-instruction
    /// requantization; a range reaching 0 or above: the general form).
    init(h: Int, w: Int, c: Int, stride: Int, symmetric: Bool, zx: Int8, zy: Int32, lo: Int8 = -128, hi: Int8 = 127, batches: Int = 1,
         shifts shiftRange: (Int, Int) = (-9, -6)) {
        let before = symmetric ? 1 : 0
        padBottom = 1; padRight = 1
        s = Qs8Dwconv3x3Shape(batches: batches, inH: h, inW: w, channels: c, outH: (h + before + 1 - 3) / stride + 1,
                              outW: (w + before + 1 - 3) / stride + 1, stride: stride, padTop: before, padLeft: before)
        x = int8s(batches * h * w * c); filter = int8s(9 * c, weights: true)
        bias = int32s(c, -4000, 4000); multipliers = int32s(c, 1 << 30, Int(Int32.max)); shifts = int32s(c, shiftRange.0, shiftRange.1)
        params = Qs8DwconvParams(inputZeroPoint: zx, output: Qs8GemmParams(outputZeroPoint: zy, activationMin: lo, activationMax: hi))
    }
    var outputs: Int { s.batches * s.outH * s.outW * s.channels }
    func pack() -> UnsafeMutableRawPointer {
        let p = UnsafeMutableRawPointer.allocate(byteCount: Qs8Dwconv3x3Layout.packedBytes(c: s.channels), alignment: 16)
        if packQs8Dwconv3x3Weights(c: s.channels, filter: filter, bias: bias, inputZeroPoint: Int32(params.inputZeroPoint),
                                   multipliers: multipliers, shifts: shifts, into: p) != nil { put("pack rejected\n"); exit(2) }
        return p
    }
    func reference(_ out: UnsafeMutablePointer<Int8>) {
        depthwiseConv2DS8(ConvParams(strideH: s.stride, strideW: s.stride, padTop: s.padTop, padLeft: s.padLeft,
                                     inputZeroPoint: Int32(params.inputZeroPoint), outputZeroPoint: params.output.outputZeroPoint,
                                     activationMin: Int32(params.output.activationMin), activationMax: Int32(params.output.activationMax)),
                          input: x, inputShape: Shape4(s.batches, s.inH, s.inW, s.channels), filter: filter,
                          filterShape: Shape4(1, 3, 3, s.channels), bias: bias, multipliers: multipliers, shifts: shifts,
                          output: out, outputShape: Shape4(s.batches, s.outH, s.outW, s.channels))
    }
}

/// Every available depthwise kernel vs the twin vs depthwiseConv2DS8 (itself tested at tolerance 0
/// against the definition in DenseKernelExactTests).
func dwBattery() -> Int {
    var failures = 0
    var rank = 0
    while let config = Qs8Dwconv3x3Config.table(rank) {
        rank += 1
        if !config.isAvailable { continue }
        var cases = 0, bad = 0, unclampedHere = 0, total = 0
        for c in [1, 8, 16, 17, 32, 40] {
            for (h, w) in [(1, 1), (2, 3), (5, 5), (8, 7)] {
                for stride in [1, 2] {
                    let zxs: [Int8] = [-128, 127, 0, -9]
                    let l = DwLayer(h: h, w: w, c: c, stride: stride, symmetric: stride == 1, zx: zxs[rand(0, 3)],
                                    zy: Int32(rand(-128, 127)), batches: 2, shifts: cases % 3 == 2 ? (-9, 1) : (-9, -6))
                    if l.s.outH < 1 || l.s.outW < 1 { continue }
                    let packed = l.pack()
                    let a = UnsafeMutablePointer<Int8>.allocate(capacity: l.outputs)
                    let b = UnsafeMutablePointer<Int8>.allocate(capacity: l.outputs)
                    let r = UnsafeMutablePointer<Int8>.allocate(capacity: l.outputs)
                    config.kernel(l.s, l.params, l.x, packed, a)
                    qs8Dwconv3x3Scalar(l.s, l.params, input: l.x, packed: packed, output: b)
                    l.reference(r)
                    for i in 0..<l.outputs {
                        total += 1
                        if r[i] > -128 && r[i] < 127 { unclampedHere += 1 }
                        if a[i] != b[i] || b[i] != r[i] {
                            if bad < 3 {
                                put("FAIL dw h "); put(h); put(" w "); put(w); put(" c "); put(c); put(" s "); put(stride)
                                put(" index "); put(i); put(" kernel "); put(Int(a[i])); put(" twin "); put(Int(b[i]))
                                put(" reference "); put(Int(r[i])); put("\n")
                            }
                            bad += 1
                        }
                    }
                    cases += 1
                }
            }
        }
        put("battery "); config.name.withUTF8Buffer { for b in $0 { _ = putchar(Int32(b)) } }
        put(" cases "); put(cases); put(" failures "); put(bad); put(" unclamped% "); put(unclampedHere * 100 / max(total, 1)); put("\n")
        if unclampedHere * 100 < total * 30 { put("FAIL: fewer than 30% of the outputs are unclamped\n"); bad += 1 }
        failures += bad
    }
    return failures
}

func dwBench() {
    let config = Qs8Dwconv3x3Config.select(for: features())
    put("kernel "); config.name.withUTF8Buffer { for b in $0 { _ = putchar(Int32(b)) } }; put("\n")
    // MobileNetV1 α = 0.5 at 96×96: its depthwise layers (input h = w, channels, stride).
    let shapes: [(Int, Int, Int, StaticString)] = [
        (48, 16, 1, "dw1 48x48x16 s1"), (48, 32, 2, "dw2 48x48x32 s2"), (24, 64, 1, "dw3 24x24x64 s1"),
        (24, 64, 2, "dw4 24x24x64 s2"), (12, 128, 1, "dw5 12x12x128 s1"), (12, 128, 2, "dw6 12x12x128 s2"),
        (6, 256, 1, "dw7-11 6x6x256 s1"), (6, 256, 2, "dw12 6x6x256 s2"), (3, 512, 1, "dw13 3x3x512 s1"),
    ]
    // MobileNetV2 1.0 at 224×224 (MOBILENETV2=1): its distinct depthwise shapes instead.
    let v2: [(Int, Int, Int, StaticString)] = [
        (112, 32, 1, "v2 112x112x32 s1"), (112, 96, 2, "v2 112x112x96 s2"), (56, 144, 1, "v2 56x56x144 s1"),
        (56, 144, 2, "v2 56x56x144 s2"), (28, 192, 1, "v2 28x28x192 s1"), (28, 192, 2, "v2 28x28x192 s2"),
        (14, 384, 1, "v2 14x14x384 s1"), (14, 576, 1, "v2 14x14x576 s1"), (14, 576, 2, "v2 14x14x576 s2"),
        (7, 960, 1, "v2 7x7x960 s1"),
    ]
    for (index, shape) in (env("MOBILENETV2") == 1 ? v2 : shapes).enumerated() {
        let (hw, c, stride, name) = shape
        let l = DwLayer(h: hw, w: hw, c: c, stride: stride, symmetric: stride == 1, zx: -3, zy: 5)
        let before = UnsafeMutablePointer<Int8>.allocate(capacity: l.outputs)
        let after = UnsafeMutablePointer<Int8>.allocate(capacity: l.outputs)
        let label = 40 + 2 * index
        begin(label); l.reference(before); end(label)
        let packed = l.pack()
        begin(label + 1); config.kernel(l.s, l.params, l.x, packed, after); end(label + 1)
        var same = true
        for i in 0..<l.outputs where before[i] != after[i] { same = false }
        put("dwcase "); put(label); put(" "); name.withUTF8Buffer { for b in $0 { _ = putchar(Int32(b)) } }
        put(" macs "); put(9 * l.outputs); put(" outputs "); put(l.outputs); put(same ? " same\n" : " DIFFERENT\n")
        if !same { exit(1) }
    }
}

// MARK: - im2col + GEMM convolution (first layer)

struct ConvLayer {
    var input: Shape4, kh: Int, kw: Int, output: Shape4, p: ConvParams
    var x: UnsafeMutablePointer<Int8>, w: UnsafeMutablePointer<Int8>
    var bias: UnsafeMutablePointer<Int32>, multipliers: UnsafeMutablePointer<Int32>, shifts: UnsafeMutablePointer<Int32>
    init(input: Shape4, kh: Int, kw: Int, outC: Int, stride: Int, dilation: Int, pad: (Int, Int, Int, Int), zx: Int32,
         shifts shiftRange: (Int, Int) = (-9, -6), clamp: (Int32, Int32) = (-120, 125)) {
        self.input = input; self.kh = kh; self.kw = kw
        output = Shape4(input.n, (input.h + pad.0 + pad.2 - (kh - 1) * dilation - 1) / stride + 1,
                        (input.w + pad.1 + pad.3 - (kw - 1) * dilation - 1) / stride + 1, outC)
        p = ConvParams(strideH: stride, strideW: stride, dilationH: dilation, dilationW: dilation, padTop: pad.0, padLeft: pad.1,
                       inputZeroPoint: zx, outputZeroPoint: 4, activationMin: clamp.0, activationMax: clamp.1)
        x = int8s(input.count); w = int8s(outC * kh * kw * input.c, weights: true)
        bias = int32s(outC, -3000, 3000); multipliers = int32s(outC, 1 << 30, Int(Int32.max))
        shifts = int32s(outC, shiftRange.0, shiftRange.1)
    }
    var k: Int { kh * kw * input.c }
    func reference(_ out: UnsafeMutablePointer<Int8>) {
        conv2DS8(p, input: x, inputShape: input, filter: w, filterShape: Shape4(output.c, kh, kw, input.c), bias: bias,
                 multipliers: multipliers, shifts: shifts, output: out, outputShape: output)
    }
    func pack(_ config: Qs8GemmConfig) -> UnsafeMutableRawPointer {
        let packed = UnsafeMutableRawPointer.allocate(byteCount: config.tile.packedBytes(n: output.c, k: k), alignment: 16)
        if packQs8GemmWeights(tile: config.tile, n: output.c, k: k, weights: w, bias: bias, inputZeroPoint: p.inputZeroPoint,
                              multipliers: multipliers, shifts: shifts, into: packed) != nil { put("pack rejected\n"); exit(2) }
        return packed
    }
    func scratch(_ config: Qs8GemmConfig) -> UnsafeMutablePointer<Int8> {
        UnsafeMutablePointer<Int8>.allocate(capacity: qs8ConvIm2colScratchBytes(config, kernelH: kh, kernelW: kw, inputChannels: input.c))
    }
    func run(_ config: Qs8GemmConfig, _ packed: UnsafeRawPointer, _ scratch: UnsafeMutablePointer<Int8>, _ out: UnsafeMutablePointer<Int8>) {
        qs8ConvIm2col(config, p, input: x, inputShape: input, kernelH: kh, kernelW: kw, packed: packed, output: out,
                      outputShape: output, scratch: scratch)
    }
}

/// Every available GEMM kernel through im2col vs conv2DS8 (tested at tolerance 0 against the definition).
func im2colBattery() -> Int {
    var failures = 0
    var rank = 0
    while let config = Qs8GemmConfig.table(rank) {
        rank += 1
        if !config.isAvailable { continue }
        let layers = [
            ConvLayer(input: Shape4(1, 9, 9, 3), kh: 3, kw: 3, outC: 16, stride: 2, dilation: 1, pad: (0, 0, 1, 1), zx: -1),
            ConvLayer(input: Shape4(2, 7, 6, 3), kh: 3, kw: 3, outC: 8, stride: 1, dilation: 1, pad: (1, 1, 1, 1), zx: -128),
            ConvLayer(input: Shape4(1, 5, 5, 1), kh: 3, kw: 3, outC: 5, stride: 1, dilation: 1, pad: (1, 1, 1, 1), zx: 127),
            ConvLayer(input: Shape4(1, 8, 8, 4), kh: 3, kw: 3, outC: 17, stride: 1, dilation: 2, pad: (2, 2, 2, 2), zx: 3),
            ConvLayer(input: Shape4(1, 6, 5, 2), kh: 1, kw: 3, outC: 33, stride: 2, dilation: 1, pad: (0, 1, 0, 1), zx: 0),
            // The interior fast path's bounds (as in Qs8ConvIm2colTests).
            ConvLayer(input: Shape4(2, 11, 10, 1), kh: 5, kw: 5, outC: 9, stride: 3, dilation: 1, pad: (2, 1, 2, 0), zx: -7),
            ConvLayer(input: Shape4(2, 9, 11, 4), kh: 1, kw: 5, outC: 16, stride: 3, dilation: 1, pad: (2, 2, 1, 1), zx: 11),
            ConvLayer(input: Shape4(1, 4, 13, 4), kh: 3, kw: 3, outC: 16, stride: 2, dilation: 1, pad: (0, 2, 1, 0), zx: 9),
            ConvLayer(input: Shape4(1, 2, 2, 3), kh: 3, kw: 3, outC: 4, stride: 1, dilation: 1, pad: (1, 1, 1, 1), zx: -50),
            ConvLayer(input: Shape4(1, 6, 6, 1), kh: 2, kw: 2, outC: 7, stride: 1, dilation: 1, pad: (0, 0, 0, 0), zx: 5),
            // 3-channel 3×3 first layers (the dot-product board's register-window kernel): several
            // channel groups, a partial group, pixel counts not multiples of 4, every border, the
            // input's last bytes (its 16-byte row loads must not pass them), shifts ≥ 0 (general form).
            ConvLayer(input: Shape4(1, 17, 19, 3), kh: 3, kw: 3, outC: 32, stride: 2, dilation: 1, pad: (0, 0, 1, 1), zx: -1),
            ConvLayer(input: Shape4(2, 11, 9, 3), kh: 3, kw: 3, outC: 20, stride: 1, dilation: 1, pad: (1, 1, 1, 1), zx: 100),
            ConvLayer(input: Shape4(1, 10, 10, 3), kh: 3, kw: 3, outC: 16, stride: 2, dilation: 1, pad: (1, 1, 1, 1), zx: -128,
                      shifts: (-9, 1)),
            ConvLayer(input: Shape4(2, 13, 14, 3), kh: 3, kw: 3, outC: 7, stride: 3, dilation: 1, pad: (0, 2, 0, 0), zx: 0),
            ConvLayer(input: Shape4(1, 3, 3, 3), kh: 3, kw: 3, outC: 33, stride: 1, dilation: 1, pad: (0, 0, 0, 0), zx: 7,
                      shifts: (-2, 2)),
            // Kernel rows of whole 4-byte steps (kw·inC % 4 = 0: the dot-product board's indirect
            // kernel): the tiny CNN's 3×3 s2 32 → 32, partial channel groups of 4 and 8, pixel
            // counts not multiples of 4, every border, batches, 1×1 s2, 3×1 and 5×5 windows, shifts
            // ≥ 0 (general requantization), no activation clamp.
            ConvLayer(input: Shape4(1, 16, 16, 32), kh: 3, kw: 3, outC: 32, stride: 2, dilation: 1, pad: (0, 0, 1, 1), zx: -3,
                      shifts: (-12, -10)),
            ConvLayer(input: Shape4(2, 7, 9, 8), kh: 3, kw: 3, outC: 20, stride: 1, dilation: 1, pad: (1, 1, 1, 1), zx: 100,
                      shifts: (-10, -8), clamp: (-128, 127)),
            ConvLayer(input: Shape4(1, 9, 8, 4), kh: 5, kw: 5, outC: 40, stride: 2, dilation: 1, pad: (2, 2, 2, 2), zx: -128,
                      shifts: (-2, 3)),
            ConvLayer(input: Shape4(1, 6, 7, 16), kh: 1, kw: 1, outC: 17, stride: 2, dilation: 1, pad: (0, 0, 0, 0), zx: 5),
            ConvLayer(input: Shape4(2, 5, 6, 12), kh: 3, kw: 1, outC: 33, stride: 1, dilation: 1, pad: (1, 0, 1, 0), zx: 0,
                      shifts: (-10, -7)),
            ConvLayer(input: Shape4(1, 4, 4, 20), kh: 3, kw: 3, outC: 8, stride: 1, dilation: 1, pad: (0, 0, 0, 0), zx: -60,
                      shifts: (-11, -9), clamp: (-128, 127)),
        ]
        var bad = 0
        for l in layers {
            let a = UnsafeMutablePointer<Int8>.allocate(capacity: l.output.count)
            let r = UnsafeMutablePointer<Int8>.allocate(capacity: l.output.count)
            l.run(config, l.pack(config), l.scratch(config), a)
            l.reference(r)
            for i in 0..<l.output.count where a[i] != r[i] {
                if bad < 3 { put("FAIL im2col index "); put(i); put(" kernel "); put(Int(a[i])); put(" reference "); put(Int(r[i])); put("\n") }
                bad += 1
            }
        }
        put("battery im2col+"); config.name.withUTF8Buffer { for b in $0 { _ = putchar(Int32(b)) } }
        put(" cases "); put(layers.count); put(" failures "); put(bad); put(" \n")
        failures += bad
    }
    return failures
}

func im2colBench() {
    let config = Qs8GemmConfig.select(for: features())
    // MobileNetV1's first layer at 96×96: 3×3 stride 2, 3 → 16 channels (α = 0.5), TF "SAME" padding.
    let l = ConvLayer(input: Shape4(1, 96, 96, 3), kh: 3, kw: 3, outC: 16, stride: 2, dilation: 1, pad: (0, 0, 1, 1), zx: -1)
    let before = UnsafeMutablePointer<Int8>.allocate(capacity: l.output.count)
    let after = UnsafeMutablePointer<Int8>.allocate(capacity: l.output.count)
    begin(20); l.reference(before); end(20)
    let packed = l.pack(config), scratch = l.scratch(config)
    begin(21); l.run(config, packed, scratch, after); end(21)
    var same = true
    for i in 0..<l.output.count where before[i] != after[i] { same = false }
    put("case 10 conv1 96x96x3->16 s2 macs "); put(l.output.count * l.k); put(" outputs "); put(l.output.count)
    put(same ? " same\n" : " DIFFERENT\n")
    if !same { exit(1) }
    // MobileNetV2's first layer at 224×224: 3 → 32 channels (regions 22, 23).
    let v2 = ConvLayer(input: Shape4(1, 224, 224, 3), kh: 3, kw: 3, outC: 32, stride: 2, dilation: 1, pad: (0, 0, 1, 1), zx: -1)
    let before2 = UnsafeMutablePointer<Int8>.allocate(capacity: v2.output.count)
    let after2 = UnsafeMutablePointer<Int8>.allocate(capacity: v2.output.count)
    begin(22); v2.reference(before2); end(22)
    let packed2 = v2.pack(config), scratch2 = v2.scratch(config)
    begin(23); v2.run(config, packed2, scratch2, after2); end(23)
    var same2 = true
    for i in 0..<v2.output.count where before2[i] != after2[i] { same2 = false }
    put("case 11 conv1 224x224x3->32 s2 macs "); put(v2.output.count * v2.k); put(" outputs "); put(v2.output.count)
    put(same2 ? " same\n" : " DIFFERENT\n")
    if !same2 { exit(1) }
    // The tiny CNN's 3×3 stride-2 32 → 32 conv on 16×16 (im2col + GEMM, K = 288; regions 30, 31).
    let t = ConvLayer(input: Shape4(1, 16, 16, 32), kh: 3, kw: 3, outC: 32, stride: 2, dilation: 1, pad: (0, 0, 1, 1), zx: -3)
    let before3 = UnsafeMutablePointer<Int8>.allocate(capacity: t.output.count)
    let after3 = UnsafeMutablePointer<Int8>.allocate(capacity: t.output.count)
    begin(30); t.reference(before3); end(30)
    let packed3 = t.pack(config), scratch3 = t.scratch(config)
    begin(31); t.run(config, packed3, scratch3, after3); end(31)
    var same3 = true
    for i in 0..<t.output.count where before3[i] != after3[i] { same3 = false }
    put("case 15 conv3x3 16x16x32->32 s2 macs "); put(t.output.count * t.k); put(" outputs "); put(t.output.count)
    put(same3 ? " same\n" : " DIFFERENT\n")
    if !same3 { exit(1) }
}

/// The quantize + NCHW → NHWC input kernel this build selects (NEON on aarch64; the twin on
/// armv7, which has no vector divide) against its portable twin: ties both ways, saturation, NaN,
/// ±inf, −0, every channel count 1–5 and pixel remainder of the 16-pixel step.
func qtBattery() -> Int {
    let specials: [Float] = [.nan, .infinity, -.infinity, -0.0, 1e30, -1e30, 63.875, -63.875, 0.125, -0.375, 0x1p-133, -0x1.8p-129,
                             Float(bitPattern: 0x7F7F_7F7F), 16.07, -16.07, 2047.5, -2048.5, 1e6]
    // 0.25: x / scale is exact; the others: armv7's reciprocal multiply can round differently near
    // ties (its check must send those lanes to the scalar rule); 2^-130 and 3e38 are outside
    // its range (twin); 2/255 is the benchmark models' input scale.
    let scales: [Float] = [0.25, 0.1, 2.0 / 255, 0.0033, 0x1p-130, 3e38]
    var cases = 0, bad = 0
    for scale in scales {
    for channels in 1...5 {
        for pixels in [1, 15, 16, 17, 33, 48, 50] {
            for away in [false, true] {
                let count = 2 * channels * pixels
                let x = UnsafeMutablePointer<Float>.allocate(capacity: count)
                for i in 0..<count {
                    // (k + ½)·scale rounded to float: at or next to a tie of x / scale (exact ties
                    // for scale 0.25), its neighbours, random values, some specials.
                    let tie = Float(2 * rand(-300, 300) + 1) * 0.5 * scale
                    x[i] = i % 5 == 0 ? specials[rand(0, specials.count - 1)]
                        : i % 3 == 0 ? tie : i % 3 == 1 ? (rand(0, 1) == 0 ? tie.nextUp : tie.nextDown)
                        : Float(rand(-400_000, 400_000)) / 9973 * scale * 4
                }
                let a = UnsafeMutablePointer<Int8>.allocate(capacity: count)
                let b = UnsafeMutablePointer<Int8>.allocate(capacity: count)
                let shape = QuantizeTransposeShape(batches: 2, channels: channels, pixels: pixels)
                let zp = Int32(rand(-128, 127))
                quantizeTransposeF32ToS8(features(), shape, input: x, scale: scale, zeroPoint: zp, roundHalfAway: away, output: a)
                quantizeTransposeF32ToS8Scalar(shape, input: x, scale: scale, zeroPoint: zp, roundHalfAway: away, output: b)
                for i in 0..<count where a[i] != b[i] {
                    if bad < 3 {
                        put("FAIL quantize-transpose C "); put(channels); put(" P "); put(pixels); put(" index "); put(i)
                        put(" kernel "); put(Int(a[i])); put(" twin "); put(Int(b[i])); put("\n")
                    }
                    bad += 1
                }
                cases += 1
            }
        }
    }
    }
    put("battery quantize-transpose-f32-s8"); put(features().neon ? " (selected kernel)" : " (twin)")
    put(" cases "); put(cases); put(" failures "); put(bad); put(" \n")
    return bad
}

/// The model input of MobileNetV2 224 (float NCHW [1, 3, 224, 224], uniform in [−1, 1], scale
/// 2/255): region 24 the twin, 25 the selected kernel.
func qtBench() {
    let shape = QuantizeTransposeShape(batches: 1, channels: 3, pixels: 224 * 224)
    let count = 3 * 224 * 224
    let x = UnsafeMutablePointer<Float>.allocate(capacity: count)
    for i in 0..<count { x[i] = Float(rand(-1_000_000, 1_000_000)) / 1_000_000 }
    let before = UnsafeMutablePointer<Int8>.allocate(capacity: count), after = UnsafeMutablePointer<Int8>.allocate(capacity: count)
    begin(24); quantizeTransposeF32ToS8Scalar(shape, input: x, scale: 2.0 / 255, zeroPoint: -1, roundHalfAway: false, output: before); end(24)
    begin(25); quantizeTransposeF32ToS8(features(), shape, input: x, scale: 2.0 / 255, zeroPoint: -1, roundHalfAway: false, output: after); end(25)
    var same = true
    for i in 0..<count where before[i] != after[i] { same = false }
    put("qtcase 24 input 3x224x224 outputs "); put(count); put(same ? " same\n" : " DIFFERENT\n")
    if !same { exit(1) }
}

// MARK: - same-shape int8 Add (residual)

/// Random Add parameters; `shifts` bounds the input rescale shifts (TFLite's are ≤ 0).
func addParams(subtract: Bool, inputShifts: (Int, Int) = (-3, 0), outputShift: (Int, Int) = (-21, -15)) -> AddParams {
    AddParams(input1ZeroPoint: Int32(rand(-128, 127)), input2ZeroPoint: Int32(rand(-128, 127)),
              outputZeroPoint: Int32(rand(-128, 127)), leftShift: Int32(rand(16, 20)),
              input1Multiplier: Int32(rand(1 << 30, Int(Int32.max))), input1Shift: Int32(rand(inputShifts.0, inputShifts.1)),
              input2Multiplier: Int32(rand(1 << 30, Int(Int32.max))), input2Shift: Int32(rand(inputShifts.0, inputShifts.1)),
              outputMultiplier: Int32(rand(1 << 30, Int(Int32.max))), outputShift: Int32(rand(outputShift.0, outputShift.1)),
              activationMin: -128, activationMax: 127, subtract: subtract)
}

/// addS8 on same-shape operands (NEON on arm, 16 per step + scalar tail) vs addS8SameShapeScalar
/// vs the definition restated with multiplyByQuantizedMultiplier: every length 1–40 and some long
/// ones, add and sub, ties (multiplier 2^30, output shift −19: (a + b)/2), saturation, negative
/// and positive shifts, activation clamps.
func addBattery() -> Int {
    var cases = 0, bad = 0, unclampedHere = 0, total = 0
    func run(_ p: AddParams, _ n: Int, ties: Bool = false) {
        let x = int8s(n), w = int8s(n)
        if ties { for i in 0..<n { x[i] = Int8(rand(-20, 20)); w[i] = Int8(rand(-20, 20)) } }
        let a = UnsafeMutablePointer<Int8>.allocate(capacity: n + 1), b = UnsafeMutablePointer<Int8>.allocate(capacity: n + 1)
        a[n] = 0x55; b[n] = 0x55
        let shape = Shape4(1, 1, n, 1)
        addS8(p, input1: x, shape1: shape, input2: w, shape2: shape, output: a, outputShape: shape)
        addS8SameShapeScalar(p, input1: x, input2: w, output: b, count: n)
        for i in 0..<n {
            let s1 = multiplyByQuantizedMultiplier((Int32(x[i]) &- p.input1ZeroPoint) &<< p.leftShift, p.input1Multiplier, p.input1Shift)
            let s2 = multiplyByQuantizedMultiplier((Int32(w[i]) &- p.input2ZeroPoint) &<< p.leftShift, p.input2Multiplier, p.input2Shift)
            let r = multiplyByQuantizedMultiplier(p.subtract ? s1 &- s2 : s1 &+ s2, p.outputMultiplier, p.outputShift)
            let want = Int8(min(max(min(max(r, -512), 512) &+ p.outputZeroPoint, p.activationMin), p.activationMax))
            total += 1
            if want > Int8(p.activationMin) && want < Int8(p.activationMax) { unclampedHere += 1 }
            if a[i] != b[i] || b[i] != want {
                if bad < 3 {
                    put("FAIL add n "); put(n); put(" index "); put(i); put(" kernel "); put(Int(a[i])); put(" twin "); put(Int(b[i]))
                    put(" reference "); put(Int(want)); put("\n")
                }
                bad += 1
            }
        }
        if a[n] != 0x55 { put("FAIL add n "); put(n); put(" wrote past the end\n"); bad += 1 }
        cases += 1
    }
    for n in 1...40 {
        for subtract in [false, true] { run(addParams(subtract: subtract), n) }
    }
    for n in [64, 100, 255, 1000] { run(addParams(subtract: false), n); run(addParams(subtract: true), n) }
    // Ties: (a + b)/2 exactly at .5, rounded away from zero (the RDBPOT fixup).
    for subtract in [false, true] {
        run(AddParams(input1ZeroPoint: 0, input2ZeroPoint: 0, outputZeroPoint: 0, leftShift: 20, input1Multiplier: 1 << 30,
                      input1Shift: 0, input2Multiplier: 1 << 30, input2Shift: 0, outputMultiplier: 1 << 30, outputShift: -19,
                      activationMin: -128, activationMax: 127, subtract: subtract), 37, ties: true)
    }
    // Saturation (large output multiplier), positive shifts, extreme zero points, clamps.
    run(addParams(subtract: false, outputShift: (-12, -8)), 48)
    run(addParams(subtract: true, inputShifts: (1, 11), outputShift: (-31, -25)), 48)
    run(addParams(subtract: false, inputShifts: (-31, -20), outputShift: (-2, 5)), 48)
    var clamped = addParams(subtract: false); clamped.activationMin = -20; clamped.activationMax = 90; run(clamped, 47)
    var edges = addParams(subtract: true); edges.input1ZeroPoint = -128; edges.input2ZeroPoint = 127; edges.outputZeroPoint = -128
    run(edges, 33)
    put("battery add-s8-same-shape"); put(features().neon ? " (neon)" : " (twin)")
    put(" cases "); put(cases); put(" failures "); put(bad); put(" unclamped% "); put(unclampedHere * 100 / max(total, 1)); put("\n")
    if unclampedHere * 100 < total * 30 { put("FAIL: fewer than 30% of the outputs are unclamped\n"); bad += 1 }
    return bad
}

/// MobileNetV2 224 residual Add shapes: region L = the twin (today's scalar loop), L + 1 = addS8.
func addBench() {
    let shapes: [(Int, StaticString)] = [(28 * 28 * 32, "add 28x28x32"), (7 * 7 * 160, "add 7x7x160")]
    for (index, shape) in shapes.enumerated() {
        let (n, name) = shape
        let p = addParams(subtract: false)
        let x = int8s(n), w = int8s(n)
        let before = UnsafeMutablePointer<Int8>.allocate(capacity: n), after = UnsafeMutablePointer<Int8>.allocate(capacity: n)
        let label = 60 + 2 * index, s = Shape4(1, 1, n, 1)
        begin(label); addS8SameShapeScalar(p, input1: x, input2: w, output: before, count: n); end(label)
        begin(label + 1); addS8(p, input1: x, shape1: s, input2: w, shape2: s, output: after, outputShape: s); end(label + 1)
        var same = true
        for i in 0..<n where before[i] != after[i] { same = false }
        put("addcase "); put(label); put(" "); name.withUTF8Buffer { for b in $0 { _ = putchar(Int32(b)) } }
        put(" outputs "); put(n); put(same ? " same\n" : " DIFFERENT\n")
        if !same { exit(1) }
    }
}

// MARK: - Mean over H and W (global average pool)

/// meanHWS8 (NEON sums on arm) vs meanHWS8Scalar vs the definition (Σ in Int, then
/// multiplyByQuantizedMultiplier): every depth 1–70 on small images, 255–1100 pixels (the int16
/// lanes flush every 256), all −128 / all 127 inputs (the int16 extremes), extreme zero points,
/// positive shifts and shifts outside the vector range, batches of 2.
func meanBattery() -> Int {
    var cases = 0, bad = 0, unclampedHere = 0, total = 0
    func run(_ shape: Shape4, zx: Int32, zo: Int32, shift: Int32, fill: Int8? = nil) {
        let n = shape.n * shape.h * shape.w * shape.c
        let x = int8s(n)
        if let fill { for i in 0..<n { x[i] = fill } }
        let spatial = shape.h * shape.w
        // Multiplier ≈ 2^31 / count: the mean of x − zx, a fraction of it spread by `shift`.
        let multiplier = Int32(rand(1 << 30, Int(Int32.max)))
        let a = UnsafeMutablePointer<Int8>.allocate(capacity: shape.n * shape.c + 1)
        let b = UnsafeMutablePointer<Int8>.allocate(capacity: shape.n * shape.c + 1)
        a[shape.n * shape.c] = 0x55
        meanHWS8(input: x, inputShape: shape, inputZeroPoint: zx, outputZeroPoint: zo, multiplier: multiplier, shift: shift, output: a)
        meanHWS8Scalar(input: x, inputShape: shape, inputZeroPoint: zx, outputZeroPoint: zo, multiplier: multiplier, shift: shift, output: b)
        for batch in 0..<shape.n {
            for c in 0..<shape.c {
                var sum = 0
                for s in 0..<spatial { sum += Int(x[(batch * spatial + s) * shape.c + c]) - Int(zx) }
                let r = multiplyByQuantizedMultiplier(Int32(sum), multiplier, shift)
                let want = Int8(min(max(Int(min(max(r, -512), 512)) + Int(zo), -128), 127))
                let i = batch * shape.c + c
                total += 1
                if want > -128 && want < 127 { unclampedHere += 1 }
                if a[i] != b[i] || b[i] != want {
                    if bad < 3 {
                        put("FAIL mean "); put(shape.h); put("x"); put(shape.w); put("x"); put(shape.c); put(" channel "); put(c)
                        put(" kernel "); put(Int(a[i])); put(" twin "); put(Int(b[i])); put(" reference "); put(Int(want)); put("\n")
                    }
                    bad += 1
                }
            }
        }
        if a[shape.n * shape.c] != 0x55 { put("FAIL mean wrote past the end\n"); bad += 1 }
        cases += 1
    }
    // Shifts that spread the mean (|x − zx| ≲ 128) over the int8 range: multiplier ≈ 2^30..2^31, shift ≈ −log2(count).
    func typicalShift(_ spatial: Int) -> Int32 {
        var log2 = 0
        while (1 << (log2 + 1)) <= spatial { log2 += 1 }
        return Int32(rand(-log2 - 1, -log2 + 1))
    }
    for c in 1...70 {
        let shape = Shape4(1, rand(1, 4), rand(1, 5), c)
        run(shape, zx: Int32(rand(-128, 127)), zo: Int32(rand(-128, 127)), shift: typicalShift(shape.h * shape.w))
    }
    for (h, w, c) in [(15, 17, 16), (16, 16, 32), (20, 20, 48), (33, 33, 35), (1, 1100, 17), (7, 7, 1280)] {
        let shape = Shape4(2, h, w, c)
        run(shape, zx: Int32(rand(-128, 127)), zo: Int32(rand(-128, 127)), shift: typicalShift(h * w))
    }
    for fill: Int8 in [-128, 127] {
        run(Shape4(1, 30, 30, 48), zx: 127, zo: 0, shift: -10, fill: fill)
        run(Shape4(1, 30, 30, 48), zx: -128, zo: -128, shift: -10, fill: fill)
    }
    run(Shape4(1, 2, 2, 40), zx: 3, zo: -5, shift: 3)                     // positive shift (saturates)
    run(Shape4(1, 3, 3, 40), zx: 3, zo: -5, shift: -35)                   // outside the vector range: the twin's rule
    run(Shape4(1, 3, 3, 40), zx: 3, zo: -5, shift: -31)
    run(Shape4(1, 1, 1, 40), zx: -128, zo: 127, shift: 0)
    put("battery mean-hw-s8"); put(features().neon ? " (neon)" : " (twin)")
    put(" cases "); put(cases); put(" failures "); put(bad); put(" unclamped% "); put(unclampedHere * 100 / max(total, 1)); put("\n")
    if unclampedHere * 100 < total * 30 { put("FAIL: fewer than 30% of the outputs are unclamped\n"); bad += 1 }
    return bad
}

/// Global average pools of the benchmark models: region L = the twin, L + 1 = meanHWS8 (L = 26, 28).
func meanBench() {
    let shapes: [(Shape4, StaticString)] = [(Shape4(1, 8, 8, 64), "mean 8x8x64"), (Shape4(1, 7, 7, 1280), "mean 7x7x1280")]
    for (index, shape) in shapes.enumerated() {
        let (s, name) = shape
        let n = s.h * s.w * s.c
        let x = int8s(n)
        let before = UnsafeMutablePointer<Int8>.allocate(capacity: s.c), after = UnsafeMutablePointer<Int8>.allocate(capacity: s.c)
        let label = 26 + 2 * index
        begin(label); meanHWS8Scalar(input: x, inputShape: s, inputZeroPoint: -3, outputZeroPoint: 5, multiplier: 1 << 30, shift: -6, output: before); end(label)
        begin(label + 1); meanHWS8(input: x, inputShape: s, inputZeroPoint: -3, outputZeroPoint: 5, multiplier: 1 << 30, shift: -6, output: after); end(label + 1)
        var same = true
        for i in 0..<s.c where before[i] != after[i] { same = false }
        put("addcase "); put(label); put(" "); name.withUTF8Buffer { for b in $0 { _ = putchar(Int32(b)) } }
        put(" outputs "); put(n); put(same ? " same\n" : " DIFFERENT\n")
        if !same { exit(1) }
    }
}

@main struct Driver {
    static func main() {
        if env("BENCH") == 1 { bench(); im2colBench(); dwBench(); qtBench(); addBench(); meanBench(); begin(99); end(99); return }
        let failures = battery() + im2colBattery() + dwBattery() + qtBattery() + addBattery() + meanBattery()
        if failures > 0 { exit(1) }
    }
}
