// The x86 host's rows of the GEMM and depthwise selection tables: the kernels are in
// SparrowKernelsX86, the one module compiled for AVX2 (Package.swift); this file only forwards to
// them. They run only when CPUID reported AVX2 (`CPUFeatures.thisBuild`), chosen by
// `Qs8GemmConfig.select` / `Qs8Dwconv3x3Config.select`.

#if arch(x86_64)
import SparrowKernelsX86

let qs8GemmAVX2IsCompiled = true

func qs8GemmAVX2Call(_ config: Qs8GemmConfig, m: Int, n: Int, k: Int, input: UnsafePointer<Int8>, inputStride: Int,
                     packed: UnsafeRawPointer, output: UnsafeMutablePointer<Int8>, outputStride: Int,
                     params: Qs8GemmParams) {
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
#else
let qs8GemmAVX2IsCompiled = false
let qs8Dwconv3x3AVX2IsCompiled = false

/// Not in this build (not x86_64); `Qs8Dwconv3x3Config.select` never picks it here.
func qs8Dwconv3x3AVX2Call(_ s: Qs8Dwconv3x3Shape, _ p: Qs8DwconvParams, input: UnsafePointer<Int8>,
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
