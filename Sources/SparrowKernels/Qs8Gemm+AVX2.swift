// The x86 host's rows of the GEMM and depthwise selection tables, and the x86 paths of the input
// quantize and the same-shape Add: the kernels are in
// SparrowKernelsX86 (compiled for AVX2) and SparrowKernelsX86VNNI (AVX2 + AVX-VNNI) (Package.swift);
// this file only forwards to them. They run only when CPUID reported AVX2 / AVX-VNNI
// (`CPUFeatures.thisBuild`), chosen by
// `Qs8GemmConfig.select` / `Qs8Dwconv3x3Config.select`.

#if arch(x86_64)
import SparrowKernelsX86
import SparrowKernelsX86VNNI
import SparrowKernelsX86AVX512

let qs8GemmAVX2IsCompiled = true

func qs8GemmAVX2Call(_ config: Qs8GemmConfig, m: Int, n: Int, k: Int, input: UnsafePointer<Int8>, inputStride: Int,
                     packed: UnsafeRawPointer, output: UnsafeMutablePointer<Int8>, outputStride: Int,
                     params: Qs8GemmParams) {
    if config.kernel == .avx512Vnni4x16c4 {
        qs8Gemm4x16c4AVX512VNNI(m: m, n: n, k: k, input: input, inputStride: inputStride, packed: packed, output: output,
                                outputStride: outputStride, outputZeroPoint: params.outputZeroPoint,
                                activationMin: params.activationMin, activationMax: params.activationMax)
        return
    }
    if config.kernel == .avxVnni4x16c4 {
        qs8Gemm4x16c4AVXVNNI(m: m, n: n, k: k, input: input, inputStride: inputStride, packed: packed, output: output,
                             outputStride: outputStride, outputZeroPoint: params.outputZeroPoint,
                             activationMin: params.activationMin, activationMax: params.activationMax)
        return
    }
    if config.kernel == .avxVnni2x8c16 {
        qs8Gemm2x8c16AVXVNNI(m: m, n: n, k: k, input: input, inputStride: inputStride, packed: packed, output: output,
                             outputStride: outputStride, outputZeroPoint: params.outputZeroPoint,
                             activationMin: params.activationMin, activationMax: params.activationMax)
        return
    }
    let ran = qs8GemmAVX2(nr: config.tile.nr, kr: config.tile.kr, m: m, n: n, k: k, input: input, inputStride: inputStride,
                          packed: packed, output: output, outputStride: outputStride,
                          outputZeroPoint: params.outputZeroPoint, activationMin: params.activationMin,
                          activationMax: params.activationMax)
    if !ran {   // a layout without an AVX2 kernel (the table never pairs one): the twin
        qs8Gemm(config.portableTwin, m: m, n: n, k: k, input: input, inputStride: inputStride, packed: packed,
                output: output, outputStride: outputStride, params: params)
    }
}

let qs8Dwconv3x3AVX2IsCompiled = true

func qs8Dwconv3x3AVX2Call(_ s: Qs8Dwconv3x3Shape, _ p: Qs8DwconvParams, input: UnsafePointer<Int8>,
                          packed: UnsafeRawPointer, output: UnsafeMutablePointer<Int8>) {
    qs8Dwconv3x3AVX2(batches: s.batches, inH: s.inH, inW: s.inW, channels: s.channels, outH: s.outH, outW: s.outW,
                     stride: s.stride, padTop: s.padTop, padLeft: s.padLeft, inputZeroPoint: p.inputZeroPoint,
                     outputZeroPoint: p.output.outputZeroPoint, activationMin: p.output.activationMin,
                     activationMax: p.output.activationMax, input: input, packed: packed, output: output)
}

func qs8Dwconv3x3AVX512Call(_ s: Qs8Dwconv3x3Shape, _ p: Qs8DwconvParams, input: UnsafePointer<Int8>,
                            packed: UnsafeRawPointer, output: UnsafeMutablePointer<Int8>) {
    qs8Dwconv3x3AVX512(batches: s.batches, inH: s.inH, inW: s.inW, channels: s.channels, outH: s.outH, outW: s.outW,
                       stride: s.stride, padTop: s.padTop, padLeft: s.padLeft, inputZeroPoint: p.inputZeroPoint,
                       outputZeroPoint: p.output.outputZeroPoint, activationMin: p.output.activationMin,
                       activationMax: p.output.activationMax, input: input, packed: packed, output: output)
}
let quantizeTransposeAVX2IsCompiled = true

/// Pixels 0 ..< pixels & ~7 of every image; returns that count.
func quantizeTransposeAVX2Call(_ s: QuantizeTransposeShape, input: UnsafePointer<Float>, scale: Float, zeroPoint: Int32,
                               roundHalfAway: Bool, output: UnsafeMutablePointer<Int8>) -> Int {
    quantizeTransposeF32ToS8AVX2(batches: s.batches, channels: s.channels, pixels: s.pixels, input: input, scale: scale,
                                 zeroPoint: zeroPoint, roundHalfAway: roundHalfAway, output: output)
}
/// Where the AVX2 Add is byte-identical to the twin: the NEON kernel's guard (AddNeonConstants) and
/// leftShift ≤ 23 (so (x − z)·2^leftShift cannot wrap; the verifier allows ≤ 20) —
/// parameters in the verifier's ranges and leftShift + an input's positive shift ≤ 31.
func addS8AVX2Applies(_ p: AddParams) -> Bool {
    let int8s: ClosedRange<Int32> = -128...127, shifts: ClosedRange<Int32> = -31...30
    return int8s.contains(p.input1ZeroPoint) && int8s.contains(p.input2ZeroPoint) && int8s.contains(p.outputZeroPoint)
        && int8s.contains(p.activationMin) && int8s.contains(p.activationMax)
        && shifts.contains(p.input1Shift) && shifts.contains(p.input2Shift) && shifts.contains(p.outputShift)
        && p.leftShift >= 0 && p.leftShift <= 23 && p.leftShift &+ max(p.input1Shift, 0) <= 31 && p.leftShift &+ max(p.input2Shift, 0) <= 31
}

/// `count` (a multiple of 16) elements of a same-shape Add whose parameters `addS8AVX2Applies` accepted,
/// on AVX-512 (AddS8+AVX512.swift, same guard) when `avx512` is set, else on AVX2. The kernels take
/// the same arguments: each input's shift split into a left pre-shift and a right post-shift.
func addS8X86Call(_ p: AddParams, _ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>, _ y: UnsafeMutablePointer<Int8>,
                  count: Int, avx512: Bool) {
    let kernel = avx512 ? addS8AVX512 : addS8AVX2
    kernel(Int8(p.input1ZeroPoint), Int8(p.input2ZeroPoint), p.input1Multiplier,
           p.leftShift &+ max(p.input1Shift, 0), min(p.input1Shift, 0), p.input2Multiplier,
           p.leftShift &+ max(p.input2Shift, 0), min(p.input2Shift, 0), p.outputMultiplier,
           max(p.outputShift, 0), min(p.outputShift, 0), p.outputZeroPoint,
           Int8(p.activationMin), Int8(p.activationMax), p.subtract, a, b, y, count)
}
#else
let quantizeTransposeAVX2IsCompiled = false

/// Not in this build (not x86_64); never called here.
func quantizeTransposeAVX2Call(_ s: QuantizeTransposeShape, input: UnsafePointer<Float>, scale: Float, zeroPoint: Int32,
                               roundHalfAway: Bool, output: UnsafeMutablePointer<Int8>) -> Int { 0 }

let qs8GemmAVX2IsCompiled = false
let qs8Dwconv3x3AVX2IsCompiled = false

/// Not in this build (not x86_64); `Qs8Dwconv3x3Config.select` never picks it here.
func qs8Dwconv3x3AVX2Call(_ s: Qs8Dwconv3x3Shape, _ p: Qs8DwconvParams, input: UnsafePointer<Int8>,
                          packed: UnsafeRawPointer, output: UnsafeMutablePointer<Int8>) {
    qs8Dwconv3x3Scalar(s, p, input: input, packed: packed, output: output)
}

/// Not in this build (not x86_64); `Qs8Dwconv3x3Config.select` never picks it here.
func qs8Dwconv3x3AVX512Call(_ s: Qs8Dwconv3x3Shape, _ p: Qs8DwconvParams, input: UnsafePointer<Int8>,
                            packed: UnsafeRawPointer, output: UnsafeMutablePointer<Int8>) {
    qs8Dwconv3x3Scalar(s, p, input: input, packed: packed, output: output)
}

/// Not in this build (not x86_64); `Qs8GemmConfig.select` never picks it here.
func qs8GemmAVX2Call(_ config: Qs8GemmConfig, m: Int, n: Int, k: Int, input: UnsafePointer<Int8>, inputStride: Int,
                     packed: UnsafeRawPointer, output: UnsafeMutablePointer<Int8>, outputStride: Int,
                     params: Qs8GemmParams) {
    qs8Gemm(config.portableTwin, m: m, n: n, k: k, input: input, inputStride: inputStride, packed: packed,
            output: output, outputStride: outputStride, params: params)
}
#endif
