import Testing
import SparrowKernels

/// sliceS8 and gatherS8 copy codes: checked element by element against index arithmetic on a
/// tensor whose value encodes its own position.
@Suite struct SliceTests {
    @Test func stridedSliceWithNegativeStep() {
        let shape = Shape4(2, 3, 4, 5)
        let x = (0..<shape.count).map { Int8(truncatingIfNeeded: $0) }
        let out = Shape4(1, 2, 3, 2)
        let begin = (1, 0, 3, 4), step = (1, 2, -1, -3)
        var y = [Int8](repeating: 0, count: out.count)
        sliceS8(input: x, inputShape: shape, begin: begin, step: step, output: &y, outputShape: out)
        var i = 0
        for a in 0..<1 { for b in 0..<2 { for c in 0..<3 { for d in 0..<2 {
            let src = (((1 + a) * 3 + 2 * b) * 4 + (3 - c)) * 5 + (4 - 3 * d)
            #expect(y[i] == Int8(truncatingIfNeeded: src), "i \(i)")
            i += 1
        } } } }
    }

    @Test func gatherAlongEachAxis() {
        let shape = Shape4(2, 3, 4, 5)
        let x = (0..<shape.count).map { Int8(truncatingIfNeeded: $0) }
        let indices: [Int32] = [1, 0, 1]
        for axis in 0..<4 {
            var outShape = shape
            outShape[axis] = indices.count
            var y = [Int8](repeating: 0, count: outShape.count)
            gatherS8(input: x, inputShape: shape, axis: axis, indices: indices, indexCount: indices.count, output: &y)
            var i = 0
            for a in 0..<outShape.n { for b in 0..<outShape.h { for c in 0..<outShape.w { for d in 0..<outShape.c {
                var idx = [a, b, c, d]
                idx[axis] = Int(indices[idx[axis]])
                let src = ((idx[0] * 3 + idx[1]) * 4 + idx[2]) * 5 + idx[3]
                #expect(y[i] == Int8(truncatingIfNeeded: src), "axis \(axis) i \(i)")
                i += 1
            } } } }
        }
    }
}
