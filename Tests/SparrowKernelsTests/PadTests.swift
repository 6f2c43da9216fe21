import Testing
@testable import SparrowKernels
import SparrowTestSupport

@Suite struct PadTests {
    @Test func handDerived() {
        // [1, 2, 2, 1] padded by one row on top and one column left/right with −7:
        //   −7 −7 −7 −7
        //   −7  1  2 −7
        //   −7  3  4 −7
        var out = [Int8](repeating: 0, count: 12)
        padS8(input: [1, 2, 3, 4], inputShape: Shape4(1, 2, 2, 1), before: Shape4(0, 1, 1, 0), padValue: -7,
              output: &out, outputShape: Shape4(1, 3, 4, 1))
        #expect(out == [-7, -7, -7, -7, -7, 1, 2, -7, -7, 3, 4, -7])
    }

    @Test func allAxesAgainstIndexReference() {
        var rng = SplitMix64(seed: 600)
        let input = Shape4(2, 3, 4, 5), before = Shape4(1, 0, 2, 3), after = Shape4(0, 2, 1, 1)
        let output = Shape4(input.n + before.n + after.n, input.h + before.h + after.h,
                            input.w + before.w + after.w, input.c + before.c + after.c)
        let x = rng.int8s(input.count)
        var out = [Int8](repeating: 0, count: output.count)
        padS8(input: x, inputShape: input, before: before, padValue: 42, output: &out, outputShape: output)
        var expected = [Int32]()
        for n in 0..<output.n { for h in 0..<output.h { for w in 0..<output.w { for c in 0..<output.c {
            let (i, j, k, l) = (n - before.n, h - before.h, w - before.w, c - before.c)
            let inside = (0..<input.n).contains(i) && (0..<input.h).contains(j) && (0..<input.w).contains(k)
                && (0..<input.c).contains(l)
            expected.append(inside ? Int32(x[index(input, i, j, k, l)]) : 42)
        } } } }
        expectClose(out, expected, tolerance: 0, "pad")
    }
}
