import Foundation
import SparrowKernels

/// `sparrow bench-kernels`: host timing of the dense int8 kernels on MobileNet-like shapes, with
/// a checksum of each output so two builds of the kernels can be compared for bit-identity.
enum BenchKernelsCommand {
    static let usage = """
    usage: sparrow bench-kernels [--repeats N] [--only NAME]

    Times conv2DS8 / depthwiseConv2DS8 / fullyConnectedS8 on fixed MobileNet-like shapes with
    seeded random data and prints the median and best ns per call and an FNV-1a checksum of the
    output (equal checksums across builds = bit-identical results). Build with -c release.
    Indented rows: the microkernel this CPU selects (Docs/microkernels.md) on the same data, packed
    (1×1: both board layouts; depthwise 3×3); its checksum equals the row above's.
    SPARROW_KERNELS=portable in the environment selects the portable twins instead of AVX2.
      --repeats N          timed calls per case after one warm-up call (default 15)
      --only TEXT          only the cases whose name contains TEXT (e.g. depthwise)
    """

    /// One benchmark: a name, the MAC count of one call, and the call itself (returns the output).
    struct Case {
        var name: String
        var macs: Int
        var run: () -> [Int8]
    }

    static func main(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, valued: ["--repeats", "--only"], switches: [])
        if a.has("--help") { print(usage); return 0 }
        try a.expectPositional(0...0, usage: usage)
        let repeats = Int(a.value("--repeats") ?? "15") ?? 15
        let only = a.value("--only")
        print("case                              MACs        median ns     best ns   GMAC/s   checksum")
        for c in cases() where only == nil || c.name.contains(only!) {
            var output = c.run()   // warm-up; also the checksummed result
            var times: [UInt64] = []
            for _ in 0..<max(1, repeats) {
                let start = DispatchTime.now().uptimeNanoseconds
                output = c.run()
                times.append(DispatchTime.now().uptimeNanoseconds - start)
            }
            times.sort()
            let median = times[times.count / 2]
            let gmacs = Double(c.macs) / Double(median)
            print(c.name.padding(toLength: 30, withPad: " ", startingAt: 0)
                  + String(format: " %11d %13llu %11llu %8.2f   %016llx", c.macs, median, times[0], gmacs, fnv1a(output)))
        }
        return 0
    }

    static func fnv1a(_ bytes: [Int8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { hash = (hash ^ UInt64(UInt8(bitPattern: b))) &* 0x100_0000_01b3 }
        return hash
    }

    /// Deterministic int8 data (xorshift), weights in [−127, 127] as the verifier requires.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return state
        }
        mutating func int8s(_ n: Int, weights: Bool = false) -> [Int8] {
            (0..<n).map { _ in
                let v = Int8(truncatingIfNeeded: next() >> 24)
                return weights && v == -128 ? -127 : v
            }
        }
        mutating func int32s(_ n: Int, _ range: ClosedRange<Int32>) -> [Int32] {
            (0..<n).map { _ in range.lowerBound + Int32(truncatingIfNeeded: next() % UInt64(range.upperBound - range.lowerBound + 1)) }
        }
    }

    static func convCase(_ name: String, input: Shape4, kernel: Int, outC: Int, pad: Int, depthwise: Bool,
                         zeroPoint: Int32, rng: inout Generator) -> [Case] {
        let filterShape = depthwise ? Shape4(1, kernel, kernel, outC) : Shape4(outC, kernel, kernel, input.c)
        let outputShape = Shape4(1, input.h + 2 * pad - kernel + 1, input.w + 2 * pad - kernel + 1, outC)
        let x = rng.int8s(input.count), w = rng.int8s(filterShape.count, weights: true)
        let bias = rng.int32s(outC, -20000...20000)
        // Multipliers around 2^−10 · [0.5, 1): outputs spread over the int8 range.
        let multipliers = rng.int32s(outC, (1 << 30)...(Int32.max)), shifts = [Int32](repeating: -10, count: outC)
        let p = ConvParams(padTop: pad, padLeft: pad, inputZeroPoint: zeroPoint, outputZeroPoint: -3,
                           activationMin: -128, activationMax: 127)
        let depth = depthwise ? kernel * kernel : kernel * kernel * input.c
        let macs = outputShape.count * depth
        var result = [Case(name: name, macs: macs) {
            var out = [Int8](repeating: 0, count: outputShape.count)
            if depthwise {
                depthwiseConv2DS8(p, input: x, inputShape: input, filter: w, filterShape: filterShape, bias: bias,
                                  multipliers: multipliers, shifts: shifts, output: &out, outputShape: outputShape)
            } else {
                conv2DS8(p, input: x, inputShape: input, filter: w, filterShape: filterShape, bias: bias,
                         multipliers: multipliers, shifts: shifts, output: &out, outputShape: outputShape)
            }
            return out
        }]
        // The microkernel this CPU selects on packed weights, same data: equal checksums show the
        // microkernel's output is the reference kernel's (SPARROW_KERNELS=portable: the twins).
        if kernel == 1 && !depthwise {
            for (nr, kr) in [(16, 4), (8, 16)] {
                let config = Qs8GemmConfig.select(for: .thisBuild, packedNR: nr, kr: kr)
                var packed = [UInt8](repeating: 0, count: config.tile.packedBytes(n: outC, k: input.c))
                _ = packed.withUnsafeMutableBytes {
                    packQs8GemmWeights(tile: config.tile, n: outC, k: input.c, weights: w, bias: bias, inputZeroPoint: zeroPoint,
                                       multipliers: multipliers, shifts: shifts, into: $0.baseAddress!)
                }
                let m = input.n * input.h * input.w
                result.append(Case(name: "  \(config.name)", macs: macs) {
                    var out = [Int8](repeating: 0, count: outputShape.count)
                    packed.withUnsafeBytes { packedBytes in
                        qs8Gemm(config, m: m, n: outC, k: input.c, input: x, inputStride: input.c, packed: packedBytes.baseAddress!,
                                output: &out, outputStride: outC, params: Qs8GemmParams(outputZeroPoint: -3))
                    }
                    return out
                })
            }
        }
        if kernel == 3 && depthwise {
            let config = Qs8Dwconv3x3Config.select(for: .thisBuild)
            var packed = [UInt8](repeating: 0, count: Qs8Dwconv3x3Layout.packedBytes(c: outC))
            _ = packed.withUnsafeMutableBytes {
                packQs8Dwconv3x3Weights(c: outC, filter: w, bias: bias, inputZeroPoint: zeroPoint, multipliers: multipliers,
                                        shifts: shifts, into: $0.baseAddress!)
            }
            let shape = Qs8Dwconv3x3Shape(batches: 1, inH: input.h, inW: input.w, channels: outC, outH: outputShape.h,
                                          outW: outputShape.w, stride: 1, padTop: pad, padLeft: pad)
            let params = Qs8DwconvParams(inputZeroPoint: Int8(zeroPoint), output: Qs8GemmParams(outputZeroPoint: -3))
            result.append(Case(name: "  \(config.name)", macs: macs) {
                var out = [Int8](repeating: 0, count: outputShape.count)
                packed.withUnsafeBytes { packedBytes in
                    out.withUnsafeMutableBufferPointer { config.kernel(shape, params, x, packedBytes.baseAddress!, $0.baseAddress!) }
                }
                return out
            })
        }
        return result
    }

    static func cases() -> [Case] {
        var rng = Generator(state: 0x5eed_1234_abcd_0001)
        var result = [Case]()
        for list in [
            convCase("conv3x3 32->32 56x56 pad1", input: Shape4(1, 56, 56, 32), kernel: 3, outC: 32, pad: 1,
                     depthwise: false, zeroPoint: -5, rng: &rng),
            convCase("conv1x1 64->128 28x28", input: Shape4(1, 28, 28, 64), kernel: 1, outC: 128, pad: 0,
                     depthwise: false, zeroPoint: 7, rng: &rng),
            convCase("conv3x3 3->16 32x32 pad1", input: Shape4(1, 32, 32, 3), kernel: 3, outC: 16, pad: 1,
                     depthwise: false, zeroPoint: -128, rng: &rng),
            convCase("dw3x3 56x56x64 pad1", input: Shape4(1, 56, 56, 64), kernel: 3, outC: 64, pad: 1,
                     depthwise: true, zeroPoint: 11, rng: &rng),
        ] { result += list }
        let inputDepth = 1024, outputDepth = 1000
        let x = rng.int8s(inputDepth), w = rng.int8s(inputDepth * outputDepth, weights: true)
        let bias = rng.int32s(outputDepth, -20000...20000)
        let multipliers = rng.int32s(outputDepth, (1 << 30)...(Int32.max)), shifts = [Int32](repeating: -12, count: outputDepth)
        let p = FullyConnectedParams(inputZeroPoint: -9, outputZeroPoint: 2)
        result.append(Case(name: "fc 1024->1000", macs: inputDepth * outputDepth) {
            var out = [Int8](repeating: 0, count: outputDepth)
            fullyConnectedS8(p, input: x, batches: 1, inputDepth: inputDepth, weights: w, bias: bias,
                             outputDepth: outputDepth, multipliers: multipliers, shifts: shifts, output: &out)
            return out
        })
        return result
    }
}
