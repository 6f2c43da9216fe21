// A float NCHW model input → int8 NHWC in one pass: the Quantize + Transpose pair the converter
// writes for an NCHW input, which the interpreter runs as one (Ops/QuantizeDequantize.swift).
// The same element rule as `quantizeF32ToS8` (`QuantizeElement`): x / scale in Float, rounded
// (ties to even, or away from zero for LiteRT), + zero point, saturated; NaN → zero point.
// With one channel it is a plain quantize of `pixels` values.

/// Geometry: `batches` images of `channels` planes of `pixels` (H·W) floats each.
public struct QuantizeTransposeShape: Equatable, Sendable {
    public var batches: Int, channels: Int, pixels: Int
    public init(batches: Int, channels: Int, pixels: Int) { self.batches = batches; self.channels = channels; self.pixels = pixels }
}

/// Portable twin (the oracle of the vector kernel): output[(n·P + p)·C + c] = q(input[(n·C + c)·P + p]).
public func quantizeTransposeF32ToS8Scalar(_ s: QuantizeTransposeShape, input: UnsafePointer<Float>, scale: Float,
                                           zeroPoint: Int32, roundHalfAway: Bool, output: UnsafeMutablePointer<Int8>) {
    let q = QuantizeElement(scale: scale, zeroPoint: zeroPoint, roundHalfAway: roundHalfAway)
    for n in 0..<s.batches {
        let image = input + n * s.channels * s.pixels, out = output + n * s.channels * s.pixels
        for p in 0..<s.pixels {
            for c in 0..<s.channels { out[p * s.channels + c] = q.apply(image[c * s.pixels + p]) }
        }
    }
}

/// The kernel for `cpu`: NEON on aarch64 and armv7 (QuantizeTranspose+Neon.swift), AVX2 on x86
/// hosts (QuantizeTranspose+AVX2.swift; the last pixels % 8 by the twin), else the twin.
public func quantizeTransposeF32ToS8(_ cpu: CPUFeatures, _ s: QuantizeTransposeShape, input: UnsafePointer<Float>,
                                     scale: Float, zeroPoint: Int32, roundHalfAway: Bool,
                                     output: UnsafeMutablePointer<Int8>) {
    if cpu.avx2 && quantizeTransposeAVX2IsCompiled {
        let done = quantizeTransposeAVX2Call(s, input: input, scale: scale, zeroPoint: zeroPoint, roundHalfAway: roundHalfAway,
                                             output: output)
        guard done < s.pixels else { return }
        // The last pixels % 8 of each image, element by element as in the twin.
        let q = QuantizeElement(scale: scale, zeroPoint: zeroPoint, roundHalfAway: roundHalfAway)
        for n in 0..<s.batches {
            let image = input + n * s.channels * s.pixels, out = output + n * s.channels * s.pixels
            for p in done..<s.pixels {
                for c in 0..<s.channels { out[p * s.channels + c] = q.apply(image[c * s.pixels + p]) }
            }
        }
    } else if cpu.neon && quantizeTransposeNeonIsCompiled {
        quantizeTransposeF32ToS8Neon(s, input: input, scale: scale, zeroPoint: zeroPoint, roundHalfAway: roundHalfAway,
                                     output: output)
    } else {
        quantizeTransposeF32ToS8Scalar(s, input: input, scale: scale, zeroPoint: zeroPoint, roundHalfAway: roundHalfAway,
                                       output: output)
    }
}
