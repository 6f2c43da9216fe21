import Testing
import SparrowKernels

/// resizeS8 against hand-derived cases and a 64-bit evaluation of TFLite's ResizeBilinearInteger
/// formula (round half away from zero of the 2^20-weighted sum), at tolerance 0.
@Suite struct ResizeTests {
    func run(_ x: [Int8], _ shape: Shape4, outH: Int, outW: Int, taps: [Int32], bilinear: Bool) -> [Int8] {
        var y = [Int8](repeating: 0, count: shape.n * outH * outW * shape.c)
        x.withUnsafeBufferPointer { xp in
            taps.withUnsafeBufferPointer { tp in
                y.withUnsafeMutableBufferPointer { yp in
                    resizeS8(input: xp.baseAddress!, inputShape: shape, outputHeight: outH, outputWidth: outW,
                             taps: tp.baseAddress!, bilinear: bilinear, output: yp.baseAddress!)
                }
            }
        }
        return y
    }

    @Test func handDerived() {
        // x is 1×1×2×1: [10, -11]. One output row (taps 0,0,0), three columns at weights 0, 1/2, 3/4.
        let taps: [Int32] = [0, 0, 0, 0, 1, 0, 0, 1, 512, 0, 1, 768]
        // 10·0.5 − 11·0.5 = −0.5 → −1 (ties away from zero); 10·0.25 − 11·0.75 = −5.75 → −6.
        #expect(run([10, -11], Shape4(1, 1, 2, 1), outH: 1, outW: 3, taps: taps, bilinear: true) == [10, -1, -6])
        // 2×2 → 1×1 at the centre: (1 + 2 + 3 + 4)/4 = 2.5 → 3; with negatives −2.5 → −3.
        let centre: [Int32] = [0, 1, 512, 0, 1, 512]
        #expect(run([1, 2, 3, 4], Shape4(1, 2, 2, 1), outH: 1, outW: 1, taps: centre, bilinear: true) == [3])
        #expect(run([-1, -2, -3, -4], Shape4(1, 2, 2, 1), outH: 1, outW: 1, taps: centre, bilinear: true) == [-3])
        // Nearest copies the lower tap's channels; the weights are ignored.
        let nearest: [Int32] = [1, 1, 0, 0, 0, 900, 1, 1, 0]
        #expect(run([1, 2, 3, 4, 5, 6, 7, 8], Shape4(1, 2, 2, 2), outH: 1, outW: 2, taps: nearest, bilinear: false)
                == [5, 6, 7, 8])
    }

    @Test func extremesStayInRange() {
        // All four taps at -128 or 127 with any weights: the sum reaches ±128·2^20 exactly.
        let taps: [Int32] = [0, 1, 1024, 0, 1, 1, 0, 1, 1023]
        #expect(run([-128, -128, -128, -128], Shape4(1, 2, 2, 1), outH: 1, outW: 2, taps: taps, bilinear: true) == [-128, -128])
        #expect(run([127, 127, 127, 127], Shape4(1, 2, 2, 1), outH: 1, outW: 2, taps: taps, bilinear: true) == [127, 127])
    }

    @Test func matchesSixtyFourBitReference() {
        var seed: UInt32 = 11
        func next(_ bound: UInt32) -> Int { seed = seed &* 1664525 &+ 1013904223; return Int((seed >> 8) % bound) }
        let shape = Shape4(2, 4, 5, 3), outH = 7, outW = 6
        let x = (0..<shape.count).map { _ in Int8(next(256) - 128) }
        var taps: [Int32] = []
        for k in 0..<(outH + outW) {
            let size = k < outH ? shape.h : shape.w
            taps += [Int32(next(UInt32(size))), Int32(next(UInt32(size))), Int32(next(1025))]
        }
        let y = run(x, shape, outH: outH, outW: outW, taps: taps, bilinear: true)
        var i = 0
        for b in 0..<shape.n {
            for oy in 0..<outH {
                for ox in 0..<outW {
                    let (y0, y1, wy) = (Int(taps[3 * oy]), Int(taps[3 * oy + 1]), Int64(taps[3 * oy + 2]))
                    let t = 3 * (outH + ox)
                    let (x0, x1, wx) = (Int(taps[t]), Int(taps[t + 1]), Int64(taps[t + 2]))
                    for c in 0..<shape.c {
                        func v(_ r: Int, _ q: Int) -> Int64 { Int64(x[((b * shape.h + r) * shape.w + q) * shape.c + c]) }
                        let s = v(y0, x0) * (1024 - wy) * (1024 - wx) + v(y1, x0) * wy * (1024 - wx)
                            + v(y0, x1) * (1024 - wy) * wx + v(y1, x1) * wy * wx
                        let expected = s >= 0 ? (s + (1 << 19)) / (1 << 20) : (s - (1 << 19)) / (1 << 20)
                        #expect(Int64(y[i]) == expected, "b \(b) oy \(oy) ox \(ox) c \(c)")
                        i += 1
                    }
                }
            }
        }
    }
}
