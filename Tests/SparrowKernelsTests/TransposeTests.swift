import Testing
@testable import SparrowKernels
import SparrowTestSupport

@Suite struct TransposeTests {
    @Test func handDerived2D() {
        // [[1, 2, 3], [4, 5, 6]] (shape [1, 1, 2, 3]) with perm (0, 1, 3, 2) → [[1, 4], [2, 5], [3, 6]].
        var out = [Int8](repeating: 0, count: 6)
        transposeS8(input: [1, 2, 3, 4, 5, 6], inputShape: Shape4(1, 1, 2, 3), permutation: (0, 1, 3, 2), output: &out)
        #expect(out == [1, 4, 2, 5, 3, 6])
    }

    @Test(arguments: [[0, 3, 1, 2], [0, 2, 3, 1], [3, 2, 1, 0], [1, 0, 2, 3], [0, 1, 2, 3], [2, 0, 3, 1]])
    func permutationsAgainstIndexReference(_ perm: [Int]) {
        var rng = SplitMix64(seed: 800)
        let input = Shape4(2, 3, 4, 5)
        let x = rng.int8s(input.count)
        let dims = [input.n, input.h, input.w, input.c]
        let outDims = perm.map { dims[$0] }
        var out = [Int8](repeating: 0, count: input.count)
        transposeS8(input: x, inputShape: input, permutation: (perm[0], perm[1], perm[2], perm[3]), output: &out)
        var expected = [Int32]()
        for a in 0..<outDims[0] { for b in 0..<outDims[1] { for c in 0..<outDims[2] { for d in 0..<outDims[3] {
            var source = [0, 0, 0, 0]
            for (outAxis, value) in [a, b, c, d].enumerated() { source[perm[outAxis]] = value }
            expected.append(Int32(x[index(input, source[0], source[1], source[2], source[3])]))
        } } } }
        expectClose(out, expected, tolerance: 0, "transpose \(perm)")
    }
}
