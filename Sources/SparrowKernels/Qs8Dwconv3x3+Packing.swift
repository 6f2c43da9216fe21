// Packed weights of the depthwise 3×3 microkernels (depth multiplier 1), from the [1, 3, 3, C]
// filter. Channels go in groups of 16 (the last zero-padded), one record per group:
//
//   bias′        [16] int32   bias − zx·Σ₉w (0 for padded channels)
//   weights      [9][16] int8 tap-major (ky·3 + kx), zero-padded channels
//   multiplier   [16] int32,  preShift [16] int32 = max(shift, 0),  postShift [16] int32 = min(shift, 0)
//
// Folding −zx·Σw over all nine taps is exact for border pixels too because the kernels read the
// input zero point zx for every tap outside the input (padding contributes (zx − zx)·w = 0).
// Bounds as in Qs8Gemm+Packing.swift with K = 9.

public enum Qs8Dwconv3x3Layout {
    /// Channels per group (vector lanes).
    public static let channels = 16
    /// Bytes of one group record.
    public static let groupBytes = 64 + 9 * 16 + 3 * 64
    public static func groups(c: Int) -> Int { (c + channels - 1) / channels }
    public static func packedBytes(c: Int) -> Int { groups(c: c) * groupBytes }
}

/// Packs a [1, 3, 3, c] depthwise filter with bias, input zero point and requantization constants
/// into `packed` (`Qs8Dwconv3x3Layout.packedBytes(c:)` bytes). Returns nil on success, or why the
/// layer must keep the reference kernel.
public func packQs8Dwconv3x3Weights(c: Int, filter: UnsafePointer<Int8>, bias: UnsafePointer<Int32>?,
                                    inputZeroPoint: Int32, multipliers: UnsafePointer<Int32>,
                                    shifts: UnsafePointer<Int32>, into packed: UnsafeMutableRawPointer) -> Qs8PackRejection? {
    let lanes = Qs8Dwconv3x3Layout.channels
    var group = packed
    for g in 0..<Qs8Dwconv3x3Layout.groups(c: c) {
        for lane in 0..<lanes {
            let channel = g * lanes + lane
            let real = channel < c
            var weightSum: Int32 = 0
            for tap in 0..<9 {
                var w: Int8 = 0
                if real {
                    w = filter[tap * c + channel]
                    if w == -128 { return .weightMinus128(channel: channel, input: tap) }
                }
                weightSum &+= Int32(w)   // 9 terms of |w| ≤ 127
                group.storeBytes(of: w, toByteOffset: 64 + tap * lanes + lane, as: Int8.self)
            }
            var biasPrime: Int32 = 0, multiplier: Int32 = 0, pre: Int32 = 0, post: Int32 = 0
            if real {
                let shift = shifts[channel]
                if shift < -31 || shift > 30 { return .shiftOutOfRange(channel: channel, shift: shift) }
                // |bias| ≤ 2^30 and |zx·Σw| ≤ 128·9·127: the difference fits in int32.
                biasPrime = (bias?[channel] ?? 0) &- inputZeroPoint &* weightSum
                multiplier = multipliers[channel]
                pre = Swift.max(shift, 0)
                post = Swift.min(shift, 0)
            }
            let constants = 64 + 9 * lanes
            group.storeBytes(of: biasPrime, toByteOffset: lane * 4, as: Int32.self)
            group.storeBytes(of: multiplier, toByteOffset: constants + lane * 4, as: Int32.self)
            group.storeBytes(of: pre, toByteOffset: constants + (lanes + lane) * 4, as: Int32.self)
            group.storeBytes(of: post, toByteOffset: constants + (2 * lanes + lane) * 4, as: Int32.self)
        }
        group += Qs8Dwconv3x3Layout.groupBytes
    }
    return nil
}

/// Geometry of a depthwise 3×3 call (NHWC input and output, depth multiplier 1, dilation 1).
public struct Qs8Dwconv3x3Shape: Equatable {
    public var batches: Int, inH: Int, inW: Int, channels: Int
    public var outH: Int, outW: Int
    public var stride: Int
    public var padTop: Int, padLeft: Int
    public init(batches: Int, inH: Int, inW: Int, channels: Int, outH: Int, outW: Int, stride: Int, padTop: Int, padLeft: Int) {
        self.batches = batches; self.inH = inH; self.inW = inW; self.channels = channels
        self.outH = outH; self.outW = outW; self.stride = stride; self.padTop = padTop; self.padLeft = padLeft
    }
}

/// Per-layer scalars: the input zero point (read for taps outside the input) and the output's.
public struct Qs8DwconvParams: Equatable {
    public var inputZeroPoint: Int8
    public var output: Qs8GemmParams
    public init(inputZeroPoint: Int8, output: Qs8GemmParams) { self.inputZeroPoint = inputZeroPoint; self.output = output }
}

/// Portable twin: the same packed layout, scalar, with the reference requantization.
public func qs8Dwconv3x3Scalar(_ s: Qs8Dwconv3x3Shape, _ p: Qs8DwconvParams, input: UnsafePointer<Int8>,
                               packed: UnsafeRawPointer, output: UnsafeMutablePointer<Int8>) {
    let lanes = Qs8Dwconv3x3Layout.channels, c = s.channels
    for n in 0..<s.batches {
        for oy in 0..<s.outH {
            for ox in 0..<s.outW {
                let out = output + ((n * s.outH + oy) * s.outW + ox) * c
                for channel in 0..<c {
                    let group = packed + (channel / lanes) * Qs8Dwconv3x3Layout.groupBytes
                    let lane = channel % lanes
                    var acc = group.loadUnaligned(fromByteOffset: lane * 4, as: Int32.self)
                    for ky in 0..<3 {
                        for kx in 0..<3 {
                            let iy = oy * s.stride - s.padTop + ky, ix = ox * s.stride - s.padLeft + kx
                            let inside = iy >= 0 && iy < s.inH && ix >= 0 && ix < s.inW
                            let x = inside ? input[((n * s.inH + iy) * s.inW + ix) * c + channel] : p.inputZeroPoint
                            let w = group.loadUnaligned(fromByteOffset: 64 + (ky * 3 + kx) * lanes + lane, as: Int8.self)
                            acc &+= Int32(x) &* Int32(w)   // bias′ + Σx·w: exact (packing header)
                        }
                    }
                    let constants = group + 64 + 9 * lanes
                    let m = constants.loadUnaligned(fromByteOffset: lane * 4, as: Int32.self)
                    let pre = constants.loadUnaligned(fromByteOffset: (lanes + lane) * 4, as: Int32.self)
                    let post = constants.loadUnaligned(fromByteOffset: (2 * lanes + lane) * 4, as: Int32.self)
                    out[channel] = clampToS8(multiplyByQuantizedMultiplier(acc, m, pre &+ post),
                                             zeroPoint: p.output.outputZeroPoint,
                                             min: Int32(p.output.activationMin), max: Int32(p.output.activationMax))
                }
            }
        }
    }
}
