import Testing
@testable import SparrowKernels
import SparrowTestSupport

@Suite struct ArgMaxTests {
    /// A [1,2,2,3] tensor, hand-derived indices along each axis, first and last of ties.
    @Test func handDerivedAxes() {
        let x: [Int8] = [5, 7, 7,   -1, 9, 0,
                         5, -3, 2,   4, 4, 100]
        let shape = Shape4(1, 2, 2, 3)
        func run(_ axis: Int, _ last: Bool) -> [Int32] {
            var out = [Int32](repeating: -1, count: x.count / shape[axis])
            argMaxS8(input: x, inputShape: shape, axis: axis, selectLast: last, output: &out)
            return out
        }
        #expect(run(3, false) == [1, 1, 0, 2])          // rows [5,7,7] [-1,9,0] [5,-3,2] [4,4,100]
        #expect(run(3, true) == [2, 1, 0, 2])
        #expect(run(2, false) == [0, 1, 0, 0, 1, 1])    // over W: (5,-1) (7,9) (7,0) (5,4) (-3,4) (2,100)
        #expect(run(1, false) == [0, 0, 0, 1, 0, 1])    // over H: (5,5) (7,-3) (7,2) (-1,4) (9,4) (0,100)
        #expect(run(1, true) == [1, 0, 0, 1, 0, 1])
        #expect(run(0, false) == [Int32](repeating: 0, count: 12))
    }

    /// The int64 variant writes the same indices as int64 values.
    @Test func int64MatchesInt32() {
        var rng = SplitMix64(seed: 26)
        let shape = Shape4(2, 3, 5, 7)
        let x = rng.int8s(2 * 3 * 5 * 7, -4...4)   // many ties
        for axis in 0..<4 {
            for last in [false, true] {
                var narrow = [Int32](repeating: -1, count: x.count / shape[axis])
                var wide = [Int64](repeating: -1, count: narrow.count)
                argMaxS8(input: x, inputShape: shape, axis: axis, selectLast: last, output: &narrow)
                argMaxS8(input: x, inputShape: shape, axis: axis, selectLast: last, output: &wide)
                #expect(wide == narrow.map { Int64($0) }, "axis \(axis) last \(last)")
            }
        }
    }
}
