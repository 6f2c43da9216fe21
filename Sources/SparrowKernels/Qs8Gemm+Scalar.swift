// Portable twins of the GEMM microkernels: the same packed layout and tile walk, in plain Swift,
// with the reference requantization (`multiplyByQuantizedMultiplier`, `clampToS8`). They are the
// oracle of the vector kernels (tests at tolerance 0) and the kernel of targets without NEON.
// They ignore `rightShiftOnly` (the general requantization is exact for every channel).

/// Generic scalar tile over any packed layout.
@inline(__always)
func qs8GemmScalarTile(tile: Qs8GemmTile, mr: Int, nc: Int, k: Int, input: UnsafePointer<Int8>, inputStride: Int,
                       packed: UnsafeRawPointer, output: UnsafeMutablePointer<Int8>, outputStride: Int,
                       params: Qs8GemmParams) {
    let nr = tile.nr, kr = tile.kr
    let weights = packed + nr * 4
    let constants = weights + tile.paddedK(k) * nr
    for row in 0..<mr {
        let x = input + row * inputStride
        for lane in 0..<nc {
            // bias′ + Σx·w: exact in wrapping int32 (Qs8Gemm+Packing.swift header).
            var acc = packed.loadUnaligned(fromByteOffset: lane * 4, as: Int32.self)
            for i in 0..<k {
                let w = weights.loadUnaligned(fromByteOffset: ((i / kr) * nr + lane) * kr + i % kr, as: Int8.self)
                acc &+= Int32(x[i]) &* Int32(w)
            }
            let multiplier = constants.loadUnaligned(fromByteOffset: lane * 4, as: Int32.self)
            let pre = constants.loadUnaligned(fromByteOffset: (nr + lane) * 4, as: Int32.self)
            let post = constants.loadUnaligned(fromByteOffset: (2 * nr + lane) * 4, as: Int32.self)
            let scaled = multiplyByQuantizedMultiplier(acc, multiplier, pre &+ post)   // one of them is 0
            output[row * outputStride + lane] = clampToS8(scaled, zeroPoint: params.outputZeroPoint,
                                                          min: Int32(params.activationMin),
                                                          max: Int32(params.activationMax))
        }
    }
}

public func qs8GemmScalar4x16c4(_ mr: Int, _ nc: Int, _ k: Int, _ input: UnsafePointer<Int8>, _ inputStride: Int,
                                _ packed: UnsafeRawPointer, _ output: UnsafeMutablePointer<Int8>, _ outputStride: Int,
                                _ params: Qs8GemmParams, _ rightShiftOnly: Bool) {
    qs8GemmScalarTile(tile: Qs8GemmTile(mr: 4, nr: 16, kr: 4), mr: mr, nc: nc, k: k, input: input,
                      inputStride: inputStride, packed: packed, output: output, outputStride: outputStride,
                      params: params)
}

public func qs8GemmScalar2x8c16(_ mr: Int, _ nc: Int, _ k: Int, _ input: UnsafePointer<Int8>, _ inputStride: Int,
                                _ packed: UnsafeRawPointer, _ output: UnsafeMutablePointer<Int8>, _ outputStride: Int,
                                _ params: Qs8GemmParams, _ rightShiftOnly: Bool) {
    qs8GemmScalarTile(tile: Qs8GemmTile(mr: 2, nr: 8, kr: 16), mr: mr, nc: nc, k: k, input: input,
                      inputStride: inputStride, packed: packed, output: output, outputStride: outputStride,
                      params: params)
}
