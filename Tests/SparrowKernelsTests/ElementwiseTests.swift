import Testing
@testable import SparrowKernels
import SparrowTestSupport

/// Element of a broadcast operand at an output coordinate.
func broadcastValue(_ data: [Int8], _ s: Shape4, _ n: Int, _ h: Int, _ w: Int, _ c: Int) -> Int8 {
    data[index(s, s.n == 1 ? 0 : n, s.h == 1 ? 0 : h, s.w == 1 ? 0 : w, s.c == 1 ? 0 : c)]
}

enum BinaryKind: String, CaseIterable, Sendable { case add, sub, mul }

@Suite struct ElementwiseTests {
    static let shapePairs: [(Shape4, Shape4)] = [
        (Shape4(1, 4, 5, 3), Shape4(1, 4, 5, 3)),
        (Shape4(1, 6, 5, 40), Shape4(1, 1, 1, 40)),      // squeeze-excitation
        (Shape4(1, 1, 1, 7), Shape4(1, 3, 4, 7)),
        (Shape4(2, 3, 1, 4), Shape4(1, 1, 5, 1)),
        (Shape4(1, 3, 3, 2), Shape4(1, 1, 1, 1)),        // scalar
        (Shape4(1, 1, 1, 1), Shape4(2, 2, 3, 1)),
        (Shape4(2, 1, 3, 5), Shape4(1, 4, 1, 5)),
    ]

    static func outputShape(_ a: Shape4, _ b: Shape4) -> Shape4 {
        Shape4(max(a.n, b.n), max(a.h, b.h), max(a.w, b.w), max(a.c, b.c))
    }

    @Test(arguments: BinaryKind.allCases, Array(shapePairs.indices))
    func matchesFloatReference(_ kind: BinaryKind, _ pairIndex: Int) {
        let (s1, s2) = Self.shapePairs[pairIndex]
        let out = Self.outputShape(s1, s2)
        var rng = SplitMix64(seed: 300 + UInt64(pairIndex) * 7 + UInt64(kind.rawValue.count))
        let zeroPointSets: [(Int32, Int32)] = [(-128, 127), (127, -128), (5, -20)]
        for (z1, z2) in zeroPointSets {
            for relu6 in [false, true] {
                let a = rng.int8s(s1.count), b = rng.int8s(s2.count)
                let sc1 = rng.double(0.01, 0.2), sc2 = rng.double(0.01, 0.2)
                var reals = [Double]()
                for n in 0..<out.n { for h in 0..<out.h { for w in 0..<out.w { for c in 0..<out.c {
                    let x1 = Double(Int32(broadcastValue(a, s1, n, h, w, c)) - z1) * sc1
                    let x2 = Double(Int32(broadcastValue(b, s2, n, h, w, c)) - z2) * sc2
                    switch kind {
                    case .add: reals.append(x1 + x2)
                    case .sub: reals.append(x1 - x2)
                    case .mul: reals.append(x1 * x2)
                    }
                } } } }
                let (outScale, outZp) = outputQuantization(for: reals)
                let actMin: Int32 = relu6 ? max(outZp, -128) : -128
                let actMax: Int32 = relu6 ? min(127, outZp + Int32((6 / outScale).rounded())) : 127
                let expected = reals.map { quantizeReference($0, scale: outScale, zeroPoint: outZp, min: actMin, max: actMax) }
                var result = [Int8](repeating: 0, count: out.count)
                switch kind {
                case .add, .sub:
                    let p = AddParams.prepare(input1Scale: sc1, input1ZeroPoint: z1, input2Scale: sc2, input2ZeroPoint: z2,
                                              outputScale: outScale, outputZeroPoint: outZp,
                                              activationMin: actMin, activationMax: actMax, subtract: kind == .sub)
                    #expect(p.leftShift == 20)
                    addS8(p, input1: a, shape1: s1, input2: b, shape2: s2, output: &result, outputShape: out)
                case .mul:
                    let p = MulParams.prepare(input1Scale: sc1, input1ZeroPoint: z1, input2Scale: sc2, input2ZeroPoint: z2,
                                              outputScale: outScale, outputZeroPoint: outZp,
                                              activationMin: actMin, activationMax: actMax)
                    mulS8(p, input1: a, shape1: s1, input2: b, shape2: s2, output: &result, outputShape: out)
                }
                expectClose(result, expected, "\(kind) \(s1) \(s2) z \(z1),\(z2) relu6 \(relu6)")
            }
        }
    }

    @Test func handDerivedAdd() {
        // Same scale 0.5 everywhere, zero points 0: real 1.5 + 2.0 = 3.5 → q 7.
        // Prepare: twiceMax = 1, input multipliers 0.5 (2^30, 0), output 1/(2^20·0.5) = 2^−19 (2^30, −18).
        let p = AddParams.prepare(input1Scale: 0.5, input1ZeroPoint: 0, input2Scale: 0.5, input2ZeroPoint: 0,
                                  outputScale: 0.5, outputZeroPoint: 0, activationMin: -128, activationMax: 127,
                                  subtract: false)
        #expect(p.input1Multiplier == 1 << 30 && p.input1Shift == 0)
        #expect(p.outputMultiplier == 1 << 30 && p.outputShift == -18)
        var out: [Int8] = [0, 0]
        addS8(p, input1: [3, 100], shape1: Shape4(1, 1, 1, 2), input2: [4, 100], shape2: Shape4(1, 1, 1, 2),
              output: &out, outputShape: Shape4(1, 1, 1, 2))
        #expect(out == [7, 127])   // 3 + 4; 100 + 100 saturates
    }
}

/// Maximum / Minimum compare raw codes, broadcasting like the other binary kernels.
@Suite struct MaxMinTests {
    @Test func rawCodesWithBroadcast() {
        let a: [Int8] = [-128, -1, 0, 5, 127, 3]          // [1,1,2,3]
        let b: [Int8] = [0, -2, 7]                         // [1,1,1,3]
        var mx = [Int8](repeating: 0, count: 6), mn = [Int8](repeating: 0, count: 6)
        maxMinS8(maximum: true, input1: a, shape1: Shape4(1, 1, 2, 3), input2: b, shape2: Shape4(1, 1, 1, 3),
                 output: &mx, outputShape: Shape4(1, 1, 2, 3))
        maxMinS8(maximum: false, input1: a, shape1: Shape4(1, 1, 2, 3), input2: b, shape2: Shape4(1, 1, 1, 3),
                 output: &mn, outputShape: Shape4(1, 1, 2, 3))
        #expect(mx == [0, -1, 7, 5, 127, 7])
        #expect(mn == [-128, -2, 0, 0, -2, 3])
    }
}

/// The same-shape Add path (`addS8SameShape`: NEON 16 per step + scalar tail on arm, the twin
/// here) and its twin `addS8SameShapeScalar` against hand-derived values, every length 1–40.
/// The NEON path itself runs against the twin under qemu (MicrokernelBatteryTests, "add-s8").
@Suite struct SameShapeAddTests {
    /// num / den rounded to nearest, ties away from zero (gemmlowp's RoundingDivideByPOT).
    static func roundHalfAway(_ num: Int, _ den: Int) -> Int {
        num >= 0 ? (2 * num + den) / (2 * den) : -((2 * -num + den) / (2 * den))
    }

    /// Multipliers 2^30 (= 1/2): input 1 shift s1, input 2 shift 0, output shift −19, zero points 0:
    /// y = round((a·2^s1 + b) / 2), exactly (every intermediate is a multiple of the divisor's power).
    static func params(input1Shift: Int32, subtract: Bool) -> AddParams {
        AddParams(input1ZeroPoint: 0, input2ZeroPoint: 0, outputZeroPoint: 0, leftShift: 20, input1Multiplier: 1 << 30,
                  input1Shift: input1Shift, input2Multiplier: 1 << 30, input2Shift: 0, outputMultiplier: 1 << 30,
                  outputShift: -19, activationMin: -128, activationMax: 127, subtract: subtract)
    }

    @Test(arguments: [false, true])
    func tiesAndNegativeShiftsEveryLength(subtract: Bool) {
        var rng = SplitMix64(seed: subtract ? 71 : 70)
        for n in 1...40 {
            let a = (0..<n).map { _ in Int8(Int(rng.int8s(1)[0]) / 6) }, b = (0..<n).map { _ in Int8(Int(rng.int8s(1)[0]) / 6) }
            for shift: Int32 in [0, -1, -2] {
                let p = Self.params(input1Shift: shift, subtract: subtract)
                // a·2^shift + (±b) over 2, i.e. (a ± b·2^−shift) / 2^(1 − shift).
                let want = (0..<n).map { i in
                    Int8(Self.roundHalfAway(Int(a[i]) + (subtract ? -1 : 1) * Int(b[i]) << Int(-shift), 2 << Int(-shift)))
                }
                var viaAdd = [Int8](repeating: 0x55, count: n), viaTwin = [Int8](repeating: 0x55, count: n)
                addS8(p, input1: a, shape1: Shape4(1, 1, n, 1), input2: b, shape2: Shape4(1, 1, n, 1), output: &viaAdd,
                      outputShape: Shape4(1, 1, n, 1))
                addS8SameShapeScalar(p, input1: a, input2: b, output: &viaTwin, count: n)
                #expect(viaAdd == want, "n \(n) shift \(shift)")
                #expect(viaTwin == want, "n \(n) shift \(shift)")
            }
        }
        // The tie cases themselves: ±1.5 → ±2, ±0.5 → ±1, and 3/4 → 1, −1/4 → 0.
        #expect([3, -3, 1, -1].map { Self.roundHalfAway($0, 2) } == [2, -2, 1, -1])
        #expect([3, -1].map { Self.roundHalfAway($0, 4) } == [1, 0])
    }

    /// The selected path (AVX2 on an x86 host with it, NEON on arm, else the twin) against the twin
    /// on random parameters over the verifier's ranges (leftShift 0–20, shifts −31…30 where the
    /// input rescale stays exact, extreme zero points and bounds), every length remainder of 16.
    @Test func selectedPathEqualsTwinOnRandomParameters() {
        var rng = MicrokernelRNG(seed: 907)
        for trial in 0..<60 {
            let leftShift = Int32(rng.int(0...20))
            let shift1 = Int32(rng.int(-31...(31 - Int(leftShift) > 30 ? 30 : 31 - Int(leftShift))))
            let shift2 = Int32(rng.int(-31...(31 - Int(leftShift) > 30 ? 30 : 31 - Int(leftShift))))
            let lo = Int32(rng.int(-128...0)), hi = Int32(rng.int(0...127))
            let p = AddParams(input1ZeroPoint: Int32(rng.int(-128...127)), input2ZeroPoint: trial % 7 == 0 ? -128 : Int32(rng.int(-128...127)),
                              outputZeroPoint: Int32(rng.int(-128...127)), leftShift: leftShift,
                              input1Multiplier: Int32(rng.int((1 << 30)...Int(Int32.max))), input1Shift: shift1,
                              input2Multiplier: Int32(rng.int((1 << 30)...Int(Int32.max))), input2Shift: shift2,
                              outputMultiplier: trial % 5 == 0 ? Int32.max : Int32(rng.int((1 << 30)...Int(Int32.max))),
                              outputShift: Int32(rng.int(-31...30)), activationMin: lo, activationMax: hi,
                              subtract: trial % 2 == 1)
            let n = 16 * rng.int(0...4) + rng.int(0...15)
            let a = rng.int8s(n), b = rng.int8s(n)
            var got = [Int8](repeating: 0x55, count: n), want = got
            addS8SameShape(p, input1: a, input2: b, output: &got, count: n)
            addS8SameShapeScalar(p, input1: a, input2: b, output: &want, count: n)
            #expect(got == want, "trial \(trial) n \(n) \(p)")
            #if arch(x86_64)
            // The AVX2 kernel as well where AVX-512 is what the selection takes.
            if CPUFeatures.thisBuild.avx2 && addS8AVX2Applies(p) {
                var avx2 = [Int8](repeating: 0x55, count: n)
                addS8X86Call(p, a, b, &avx2, count: n & ~15, avx512: false)
                #expect(avx2[..<(n & ~15)] == want[..<(n & ~15)], "AVX2 trial \(trial) n \(n) \(p)")
            }
            #endif
        }
    }

    @Test func saturatesAtTheInt8Range() {
        // Zero points −128 / 127: (127 + 128) + (127 + 128) = 510 → 127; (−128 − 127)·2 → −128,
        // with the same 1/2 rescale to scale 1, i.e. y = x1' + x2' (output shift −18).
        var p = Self.params(input1Shift: 0, subtract: false)
        p.outputShift = -18
        p.input1ZeroPoint = -128; p.input2ZeroPoint = -128
        var out = [Int8](repeating: 0, count: 17)
        addS8(p, input1: [Int8](repeating: 127, count: 17), shape1: Shape4(1, 1, 1, 17),
              input2: [Int8](repeating: 127, count: 17), shape2: Shape4(1, 1, 1, 17), output: &out, outputShape: Shape4(1, 1, 1, 17))
        #expect(out == [Int8](repeating: 127, count: 17))
        p.input1ZeroPoint = 127; p.input2ZeroPoint = 127
        addS8(p, input1: [Int8](repeating: -128, count: 17), shape1: Shape4(1, 1, 1, 17),
              input2: [Int8](repeating: -128, count: 17), shape2: Shape4(1, 1, 1, 17), output: &out, outputShape: Shape4(1, 1, 1, 17))
        #expect(out == [Int8](repeating: -128, count: 17))
    }
}
