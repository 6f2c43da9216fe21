import Testing
@testable import SparrowKernels
import SparrowTestSupport

@Suite struct ConcatTests {
    @Test(arguments: 0...3)
    func concatenatesTwoRescaledInputs(_ axis: Int) {
        var rng = SplitMix64(seed: 500 + UInt64(axis))
        var a = Shape4(2, 3, 4, 5), b = a
        b[axis] = 2
        var out = a
        out[axis] = a[axis] + b[axis]
        let xa = rng.int8s(a.count), xb = rng.int8s(b.count)
        let (sa, za) = (0.05, Int32(-128)), (sb, zb) = (0.11, Int32(127)), (so, zo) = (0.08, Int32(10))
        var result = [Int8](repeating: 0, count: out.count)
        concatSliceS8(RequantizeParams.prepare(inputScale: sa, inputZeroPoint: za, outputScale: so, outputZeroPoint: zo),
                      input: xa, inputShape: a, axis: axis, offsetAlongAxis: 0, output: &result, outputShape: out)
        concatSliceS8(RequantizeParams.prepare(inputScale: sb, inputZeroPoint: zb, outputScale: so, outputZeroPoint: zo),
                      input: xb, inputShape: b, axis: axis, offsetAlongAxis: a[axis], output: &result, outputShape: out)
        var expected = [Int32]()
        for n in 0..<out.n { for h in 0..<out.h { for w in 0..<out.w { for c in 0..<out.c {
            var coordinate = [n, h, w, c]
            let real: Double
            if coordinate[axis] < a[axis] {
                real = Double(Int32(xa[index(a, n, h, w, c)]) - za) * sa
            } else {
                coordinate[axis] -= a[axis]
                real = Double(Int32(xb[index(b, coordinate[0], coordinate[1], coordinate[2], coordinate[3])]) - zb) * sb
            }
            expected.append(quantizeReference(real, scale: so, zeroPoint: zo))
        } } } }
        expectClose(result, expected, "concat axis \(axis)")
    }

    @Test func identityCopiesBytes() {
        let p = RequantizeParams.prepare(inputScale: 0.3, inputZeroPoint: 4, outputScale: 0.3, outputZeroPoint: 4)
        #expect(p.isIdentity)
        let x: [Int8] = [-128, -1, 0, 4, 127]
        var out = [Int8](repeating: 0, count: 5)
        requantizeS8(p, input: x, count: 5, output: &out)
        #expect(out == x)
    }

    @Test func handDerivedRequantize() {
        // scale 0.5 → 0.25 doubles the values: (x − 0)·2 + 1; 70·2 + 1 = 141 saturates to 127.
        let p = RequantizeParams.prepare(inputScale: 0.5, inputZeroPoint: 0, outputScale: 0.25, outputZeroPoint: 1)
        #expect(!p.isIdentity && p.multiplier == 1 << 30 && p.shift == 2)   // 2 = 0.5·2^2
        var out = [Int8](repeating: 0, count: 4)
        requantizeS8(p, input: [3, -5, 70, -128], count: 4, output: &out)
        #expect(out == [7, -9, 127, -128])
    }
}
