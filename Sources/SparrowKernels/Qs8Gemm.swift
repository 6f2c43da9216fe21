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
/// `outputStride`). `rightShiftOnly`: every channel of the group passes `qs8GemmRightShiftOnly`,
/// so a vector kernel may use the shorter requantization (the portable twins ignore it).
public typealias Qs8GemmMicrokernel = (_ mr: Int, _ nc: Int, _ k: Int, _ input: UnsafePointer<Int8>, _ inputStride: Int,
                                       _ packed: UnsafeRawPointer, _ output: UnsafeMutablePointer<Int8>,
                                       _ outputStride: Int, _ params: Qs8GemmParams, _ rightShiftOnly: Bool) -> Void

/// Runs the GEMM: m rows of input (1×1 conv: pixels; FC: batches) against n packed channels.
public func qs8Gemm(_ config: Qs8GemmConfig, m: Int, n: Int, k: Int, input: UnsafePointer<Int8>, inputStride: Int,
                    packed: UnsafeRawPointer, output: UnsafeMutablePointer<Int8>, outputStride: Int,
                    params: Qs8GemmParams) {
    // One switch per call; each case walks the tiles with direct calls to its microkernels.
    switch config.kernel {
    case .neondot4x16c4:
        if qs8Gemm4x16c4NeondotIsCompiled {
            // Its own walk: the 4-row tiles of a group in one loop (Qs8Gemm+Neondot.swift).
            qs8Gemm4x16c4NeondotWalk(m: m, n: n, k: k, input: input, inputStride: inputStride, packed: packed,
                                     output: output, outputStride: outputStride, params: params)
        } else {   // never selected without the dot product (kept as it was: the other builds' code is unchanged)
            walkTiles(config.tile, m, n, k, input, inputStride, packed, output, outputStride, params,
                      qs8Gemm4x16c4Neondot, qs8Gemm1x16c4Neondot)
        }
    case .neonMlal2x8c16:
        walkTiles(config.tile, m, n, k, input, inputStride, packed, output, outputStride, params,
                  qs8Gemm2x8c16NeonMlal, qs8Gemm1x8c16NeonMlal)
    case .neonMlal2x8c16InOrder:
#if SPARROW_INORDER
        walkTiles(config.tile, m, n, k, input, inputStride, packed, output, outputStride, params,
                  qs8Gemm2x8c16NeonMlalInOrder, qs8Gemm1x8c16NeonMlal)
#else
        walkTilesNeonMlalInOrder(config.tile, m, n, k, input, inputStride, packed, output, outputStride, params)
#endif
    case .neonMlal1x8c16:
        walkTiles(config.tile, m, n, k, input, inputStride, packed, output, outputStride, params,
                  qs8Gemm1x8c16NeonMlal, qs8Gemm1x8c16NeonMlal)
    case .avx2x2x16c4, .avx2x1x8c16, .avxVnni4x16c4, .avxVnni2x8c16, .avx512Vnni4x16c4:
        qs8GemmAVX2Call(config, m: m, n: n, k: k, input: input, inputStride: inputStride, packed: packed,
                        output: output, outputStride: outputStride, params: params)
    case .scalar4x16c4:
        walkTiles(config.tile, m, n, k, input, inputStride, packed, output, outputStride, params,
                  qs8GemmScalar4x16c4, qs8GemmScalar4x16c4)
    case .scalar2x8c16:
        walkTiles(config.tile, m, n, k, input, inputStride, packed, output, outputStride, params,
                  qs8GemmScalar2x8c16, qs8GemmScalar2x8c16)
    }
}

/// The in-order kernel's tile walk in the builds that compile it but never select it (all but the
/// SPARROW_INORDER boards, which inline it into `qs8Gemm`): out of line, because inlined beside
/// their own kernels its registers moved their allocation (more callee-saved registers saved per
/// call, other spills in their tile loops: −1…+2 % per A72 layer, +1 % armv7).
@inline(never)
private func walkTilesNeonMlalInOrder(_ tile: Qs8GemmTile, _ m: Int, _ n: Int, _ k: Int, _ input: UnsafePointer<Int8>,
                                      _ inputStride: Int, _ packed: UnsafeRawPointer, _ output: UnsafeMutablePointer<Int8>,
                                      _ outputStride: Int, _ params: Qs8GemmParams) {
    walkTiles(tile, m, n, k, input, inputStride, packed, output, outputStride, params,
              qs8Gemm2x8c16NeonMlalInOrder, qs8Gemm1x8c16NeonMlal)
}

/// Channel groups outer (a group's packed weights stay in cache), MR-row tiles inner; a tile of
/// one row goes to the 1×NR variant.
@inline(__always)
private func walkTiles(_ tile: Qs8GemmTile, _ m: Int, _ n: Int, _ k: Int, _ input: UnsafePointer<Int8>, _ inputStride: Int,
                       _ packed: UnsafeRawPointer, _ output: UnsafeMutablePointer<Int8>, _ outputStride: Int,
                       _ params: Qs8GemmParams, _ microkernel: Qs8GemmMicrokernel, _ rowMicrokernel: Qs8GemmMicrokernel) {
    let groupBytes = tile.groupBytes(k: k), constantsOffset = tile.nr &* 4 &+ tile.paddedK(k) &* tile.nr
    var group = packed
    var n0 = 0
    while n0 < n {
        let nc = Swift.min(tile.nr, n &- n0)
        // The check costs about what the short requantization saves on one tile: worth it only when
        // the group has several (not for FC, nor im2col, which calls with MR rows at a time).
        let rightShiftOnly = m > tile.mr && qs8GemmRightShiftOnly(group + constantsOffset, nr: tile.nr)
        var m0 = 0
        while m0 < m {
            let mr = Swift.min(tile.mr, m &- m0)
            let a = input + m0 &* inputStride, c = output + (m0 &* outputStride &+ n0)
            if mr == 1 {
                rowMicrokernel(mr, nc, k, a, inputStride, group, c, outputStride, params, rightShiftOnly)
            } else {
                microkernel(mr, nc, k, a, inputStride, group, c, outputStride, params, rightShiftOnly)
            }
            m0 &+= tile.mr
        }
        group += groupBytes
        n0 &+= tile.nr
    }
}

/// Whether every channel of a group record (its constants block: multiplier, pre, post, NR each)
/// has no left shift and a right shift of at least 1, or a multiplier of 0 (padded channels): the
/// condition of `requantizeNeonRightShift`. Typical layers (effective scale < 1/2) pass; one
/// check per group, not per tile.
@inline(__always)
func qs8GemmRightShiftOnly(_ constants: UnsafeRawPointer, nr: Int) -> Bool {
    // Per lane pre | (multiplier & ~(post >> 31)): nonzero exactly when pre ≠ 0, or post ≥ 0 with a
    // nonzero multiplier (pre ≥ 0, post ≤ 0: packer and verifier). Four lanes at a time.
    var bad = SIMD4<Int32>(repeating: 0)
    var lane = 0
    while lane < nr {
        let multiplier = constants.loadUnaligned(fromByteOffset: lane &* 4, as: SIMD4<Int32>.self)
        let pre = constants.loadUnaligned(fromByteOffset: (nr &+ lane) &* 4, as: SIMD4<Int32>.self)
        let post = constants.loadUnaligned(fromByteOffset: (2 &* nr &+ lane) &* 4, as: SIMD4<Int32>.self)
        bad |= pre | (multiplier & ~(post &>> 31))
        lane &+= 4
    }
    return (bad[0] | bad[1] | bad[2] | bad[3]) == 0
}
