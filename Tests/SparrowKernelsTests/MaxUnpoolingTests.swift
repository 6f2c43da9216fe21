import Testing
@testable import SparrowKernels

/// MaxPoolArgmax and MaxUnpool (MediaPipe's MaxPoolingWithArgmax2D / MaxUnpooling2D) on
/// hand-derived cases: positions are ky·filterW + kx of the first maximum in row-major order,
/// and unpooling writes each value there, zero point elsewhere.
@Suite struct MaxUnpoolingTests {
    func pool(_ input: [Int8], _ shape: Shape4, filter: Int, stride: Int, pad: Int, out: Shape4) -> [UInt8] {
        var result = [UInt8](repeating: 99, count: out.count)
        let p = PoolParams(strideH: stride, strideW: stride, filterH: filter, filterW: filter, padTop: pad, padLeft: pad,
                           countIncludePad: false, activationMin: -128, activationMax: 127, zeroPoint: 0)
        input.withUnsafeBufferPointer { x in
            result.withUnsafeMutableBufferPointer { y in
                maxPoolArgmaxS8(p, input: x.baseAddress!, inputShape: shape, output: y.baseAddress!, outputShape: out)
            }
        }
        return result
    }

    @Test func positionsOfTheFirstMaximum() {
        // One channel, 4×4, 2×2 windows, stride 2:
        //   1 5 | 2 2        window (0,0): max 5 at (0,1) → 1
        //   3 0 | 2 2        window (0,1): all 2 → the first, (0,0) → 0
        //   ----+----
        //   7 7 | -3 -1      window (1,0): 7 at (0,0) first → 0
        //   7 6 | -2 -1      window (1,1): −1 at (0,1) first of the two → 1
        let x: [Int8] = [1, 5, 2, 2, 3, 0, 2, 2, 7, 7, -3, -1, 7, 6, -2, -1]
        #expect(pool(x, Shape4(1, 4, 4, 1), filter: 2, stride: 2, pad: 0, out: Shape4(1, 2, 2, 1)) == [1, 0, 0, 1])
        // 3×3 windows, stride 2, pad 1 (SAME on 4): window (0,0) covers rows/cols −1…1; its max 5
        // sits at input (0,1) = window (1,2) → 1·3 + 2 = 5. Window (1,1) covers rows/cols 1…3:
        // max 7 at input (2,1) = window (1,0) → 3.
        #expect(pool(x, Shape4(1, 4, 4, 1), filter: 3, stride: 2, pad: 1, out: Shape4(1, 2, 2, 1))[0] == 5)
        #expect(pool(x, Shape4(1, 4, 4, 1), filter: 3, stride: 2, pad: 1, out: Shape4(1, 2, 2, 1))[3] == 3)
    }

    @Test func unpoolingWritesEachValueAtItsPosition() {
        // 2×2 input, 2 channels, 2×2 windows of stride 2 into a 4×4 output, zero point −3.
        let x: [Int8] = [10, 20, 11, 21, 12, 22, 13, 23]
        let positions: [UInt8] = [0, 3, 1, 2, 2, 1, 3, 0]
        var y = [Int8](repeating: 0, count: 32)
        x.withUnsafeBufferPointer { xp in
            positions.withUnsafeBufferPointer { pp in
                y.withUnsafeMutableBufferPointer { yp in
                    maxUnpoolS8(UnpoolParams(strideH: 2, strideW: 2, filterW: 2, padTop: 0, padLeft: 0), input: xp.baseAddress!,
                                positions: pp.baseAddress!, inputShape: Shape4(1, 2, 2, 2), zeroCode: -3,
                                output: yp.baseAddress!, outputShape: Shape4(1, 4, 4, 2))
                }
            }
        }
        var want = [Int8](repeating: -3, count: 32)
        func set(_ r: Int, _ c: Int, _ ch: Int, _ v: Int8) { want[(r * 4 + c) * 2 + ch] = v }
        set(0, 0, 0, 10); set(1, 1, 1, 20)     // cell (0,0): positions 0 and 3
        set(0, 3, 0, 11); set(1, 2, 1, 21)     // cell (0,1): positions 1 and 2
        set(3, 0, 0, 12); set(2, 1, 1, 22)     // cell (1,0): positions 2 and 1
        set(3, 3, 0, 13); set(2, 2, 1, 23)     // cell (1,1): positions 3 and 0
        #expect(y == want)
    }

    @Test func positionsOutsideTheOutputAreSkipped() {
        // Position 3 of a 2-wide window from cell (0,0) with pad 1 lands at (0,0); position 0 at
        // (−1,−1), outside: skipped, as MediaPipe's bounds check does.
        let x: [Int8] = [5, 6]
        let positions: [UInt8] = [3, 0]
        var y = [Int8](repeating: 9, count: 4)
        x.withUnsafeBufferPointer { xp in
            positions.withUnsafeBufferPointer { pp in
                y.withUnsafeMutableBufferPointer { yp in
                    maxUnpoolS8(UnpoolParams(strideH: 1, strideW: 1, filterW: 2, padTop: 1, padLeft: 1), input: xp.baseAddress!,
                                positions: pp.baseAddress!, inputShape: Shape4(1, 1, 1, 2), zeroCode: 0,
                                output: yp.baseAddress!, outputShape: Shape4(1, 1, 2, 2))
                }
            }
        }
        #expect(y == [5, 0, 0, 0])
    }
}
