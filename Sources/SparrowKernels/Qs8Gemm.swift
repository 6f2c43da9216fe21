// int8 GEMM for 1×1 convolution and fully connected layers: output[m][n] =
// requant(bias[n] + Σ_k (input[m][k] − zx)·W[n][k]), with the weights pre-packed
// (Qs8Gemm+Packing.swift) and the microkernel picked by `Qs8GemmConfig.select(for:)`.
// Each microkernel computes one MR×NR tile; this driver walks the tiles.

/// Per-layer scalars of the fused requantization (the per-channel ones are in the packed weights).
public struct Qs8GemmParams: Equatable, Sendable {
    public var outputZeroPoint: Int32
    public var activationMin: Int8
    public var activationMax: Int8
    public init(outputZeroPoint: Int32, activationMin: Int8 = -128, activationMax: Int8 = 127) {
        self.outputZeroPoint = outputZeroPoint
        self.activationMin = activationMin
        self.activationMax = activationMax
    }
}

/// One MR×NR tile: `mr` ≤ MR rows of `input` (row stride `inputStride` bytes, K bytes each), the
/// packed group record `packed` of NR channels, `nc` ≤ NR channels stored to `output` (row stride
/// `outputStride`).
public typealias Qs8GemmMicrokernel = (_ mr: Int, _ nc: Int, _ k: Int, _ input: UnsafePointer<Int8>, _ inputStride: Int,
                                       _ packed: UnsafeRawPointer, _ output: UnsafeMutablePointer<Int8>,
                                       _ outputStride: Int, _ params: Qs8GemmParams) -> Void

/// Runs the GEMM: m rows of input (1×1 conv: pixels; FC: batches) against n packed channels.
public func qs8Gemm(_ config: Qs8GemmConfig, m: Int, n: Int, k: Int, input: UnsafePointer<Int8>, inputStride: Int,
                    packed: UnsafeRawPointer, output: UnsafeMutablePointer<Int8>, outputStride: Int,
                    params: Qs8GemmParams) {
    let tile = config.tile, groupBytes = tile.groupBytes(k: k)
    var group = packed
    var n0 = 0
    while n0 < n {
        let nc = Swift.min(tile.nr, n &- n0)
        var m0 = 0
        while m0 < m {
            let mr = Swift.min(tile.mr, m &- m0)
            let kernel = mr == 1 ? config.rowMicrokernel : config.microkernel
            kernel(mr, nc, k, input + m0 &* inputStride, inputStride, group,
                               output + (m0 &* outputStride &+ n0), outputStride, params)
            m0 &+= tile.mr
        }
        group += groupBytes
        n0 &+= tile.nr
    }
}
