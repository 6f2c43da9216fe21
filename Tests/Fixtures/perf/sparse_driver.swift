// Built by armcount-sparse.sh (not part of any SwiftPM target).
// Sparse against dense kernel calls under armcount, on the same pruned weights: for each block
// shape b (1x1, 1x4, 4x1, 1x16) and target density d (5, 10, 20, 30, 50, 70, 90 %), case
// k = b·7 + d is one call of the sparse kernel in region k and one call of the dense kernel on the
// same (pruned) weights in region 28 + k; region 60 is an empty pair (the marker cost).
// Every case checks that the sparse output equals the dense output byte for byte and exits 1
// if not. Arguments by environment (Embedded Swift has no CommandLine):
//   KIND_FC=1 (FullyConnected, batch 1) or 0 (1x1 conv, stride 1, H x W pixels), CIN, COUT, H, W
// Prints one line per case: "case K R C TARGET% STORED_PPM WIDTH fnv" (STORED_PPM = weights in
// stored blocks per million, WIDTH = index bytes).
import SparrowKernels

@_extern(c, "syscall") func syscall4(_ nr: Int, _ a1: Int, _ a2: Int, _ a3: Int) -> Int
@_extern(c, "putchar") func putchar(_ c: Int32) -> Int32
@_extern(c, "getenv") func getenv(_ name: UnsafePointer<CChar>) -> UnsafePointer<CChar>?
@_extern(c, "atoi") func atoi(_ p: UnsafePointer<CChar>) -> Int32
@_extern(c, "exit") func cExit(_ c: Int32)
func exit(_ c: Int32) -> Never { cExit(c); fatalError() }
@inline(never) func begin(_ l: Int) { _ = syscall4(0x5A5A, 0x41524d50, 1, l) }
@inline(never) func end(_ l: Int) { _ = syscall4(0x5A5A, 0x41524d50, 2, l) }

func printInt(_ v: Int) {
    if v < 0 { _ = putchar(45); printInt(-v); return }
    if v >= 10 { printInt(v / 10) }
    _ = putchar(Int32(48 + v % 10))
}
func printText(_ s: StaticString) {
    s.withUTF8Buffer { for b in $0 { _ = putchar(Int32(b)) } }
}
func printHex(_ v: UInt64) {
    var i = 60
    while i >= 0 { let d = Int32((v >> UInt64(i)) & 15); _ = putchar(d < 10 ? 48 + d : 87 + d); i -= 4 }
}
func env(_ name: StaticString, _ fallback: Int) -> Int {
    guard let v = getenv(UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self)) else { return fallback }
    return Int(atoi(v))
}

var state: UInt64 = 0x5eed_1234_abcd_0001
func next() -> UInt64 { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state }
func int8s(_ n: Int) -> UnsafeMutablePointer<Int8> {
    let p = UnsafeMutablePointer<Int8>.allocate(capacity: n)
    for i in 0..<n { p[i] = Int8(truncatingIfNeeded: next() >> 24) }
    return p
}
/// Nonzero weights in [−127, 127] \ {0}, so the stored density is exactly the kept blocks'.
func nonzeroWeights(_ n: Int) -> UnsafeMutablePointer<Int8> {
    let p = UnsafeMutablePointer<Int8>.allocate(capacity: n)
    for i in 0..<n {
        let v = Int8(truncatingIfNeeded: 1 &+ next() % 127)
        p[i] = next() & 1 == 0 ? v : -v
    }
    return p
}
func int32s(_ n: Int, _ lo: Int32, _ hi: Int32) -> UnsafeMutablePointer<Int32> {
    let p = UnsafeMutablePointer<Int32>.allocate(capacity: n)
    for i in 0..<n { p[i] = lo &+ Int32(truncatingIfNeeded: next() % UInt64(hi - lo + 1)) }
    return p
}
func fnv(_ p: UnsafeMutablePointer<Int8>, _ n: Int) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for i in 0..<n { h = (h ^ UInt64(UInt8(bitPattern: p[i]))) &* 0x100_0000_01b3 }
    return h
}

/// Zeroes each R×C block of `w` [rows, cols] unless a draw keeps it (probability percent/100),
/// and encodes the result in the sparse section's layout (Docs/format.md "Sparse matrices").
func pruneAndEncode(_ w: UnsafeMutablePointer<Int8>, rows: Int, cols: Int, R: Int, C: Int,
                    percent: Int) -> BlockSparseMatrix {
    let blockRowCount = rows / R, blockColCount = cols / C
    let keep = UnsafeMutablePointer<Bool>.allocate(capacity: blockRowCount * blockColCount)
    var blocks = 0, widest = 0
    for br in 0..<blockRowCount {
        var previous = -1
        for bc in 0..<blockColCount {
            let k = Int(next() % 1000) < percent * 10
            keep[br * blockColCount + bc] = k
            if k {
                blocks += 1; widest = max(widest, bc - previous - 1); previous = bc
            } else {
                for r in 0..<R { for c in 0..<C { w[(br * R + r) * cols + bc * C + c] = 0 } }
            }
        }
    }
    let width = widest <= 255 ? 1 : 2
    let counts = UnsafeMutableRawPointer.allocate(byteCount: 2 * blockRowCount + 2, alignment: 2)
    let indices = UnsafeMutableRawPointer.allocate(byteCount: width * blocks + 2, alignment: 2)
    let values = UnsafeMutablePointer<Int8>.allocate(capacity: blocks * R * C + 1)
    var j = 0
    for br in 0..<blockRowCount {
        var n = 0, previous = -1
        for bc in 0..<blockColCount where keep[br * blockColCount + bc] {
            let delta = bc - previous - 1
            if width == 1 {
                indices.storeBytes(of: UInt8(truncatingIfNeeded: delta), toByteOffset: j, as: UInt8.self)
            } else {
                indices.storeBytes(of: UInt16(truncatingIfNeeded: delta).littleEndian, toByteOffset: 2 * j, as: UInt16.self)
            }
            for r in 0..<R { for c in 0..<C { values[(j * R + r) * C + c] = w[(br * R + r) * cols + bc * C + c] } }
            previous = bc; n += 1; j += 1
        }
        counts.storeBytes(of: UInt16(truncatingIfNeeded: n).littleEndian, toByteOffset: 2 * br, as: UInt16.self)
    }
    keep.deallocate()
    return BlockSparseMatrix(rows: rows, cols: cols, blockRows: R, blockCols: C, indexWidth: width,
                             counts: UnsafeRawPointer(counts), indices: UnsafeRawPointer(indices),
                             values: UnsafePointer(values))
}

@main struct SparseDriver {
    static func main() {
        let isFC = env("KIND_FC", 1) != 0
        let h = isFC ? 1 : env("H", 28), w = isFC ? 1 : env("W", 28)
        let inC = env("CIN", isFC ? 1024 : 64), outC = env("COUT", isFC ? 1000 : 128)
        let pixels = h * w
        let zx: Int32 = isFC ? -9 : 7, zy: Int32 = isFC ? 2 : -3
        let x = int8s(pixels * inC)
        let original = nonzeroWeights(outC * inC)
        let pruned = UnsafeMutablePointer<Int8>.allocate(capacity: outC * inC)
        let bias = int32s(outC, -20000, 20000), m = int32s(outC, 1 << 30, Int32.max)
        let s = UnsafeMutablePointer<Int32>.allocate(capacity: outC)
        s.initialize(repeating: isFC ? -12 : -10, count: outC)
        let sparseOut = UnsafeMutablePointer<Int8>.allocate(capacity: pixels * outC)
        let denseOut = UnsafeMutablePointer<Int8>.allocate(capacity: pixels * outC)
        let q = SparseRequant(bias: UnsafePointer(bias), multipliers: UnsafePointer(m), shifts: UnsafePointer(s),
                              inputZeroPoint: zx, outputZeroPoint: zy, activationMin: -128, activationMax: 127)
        let blockShapes: InlineArray<4, (Int, Int)> = [(1, 1), (1, 4), (4, 1), (1, 16)]
        let densities: InlineArray<7, Int> = [5, 10, 20, 30, 50, 70, 90]
        for b in 0..<4 {
            let (R, C) = blockShapes[b]
            for d in 0..<7 {
                let k = b * 7 + d
                pruned.update(from: original, count: outC * inC)
                let matrix = pruneAndEncode(pruned, rows: outC, cols: inC, R: R, C: C, percent: densities[d])
                var stored = 0
                for br in 0..<(outC / R) { stored += Int(UInt16(littleEndian: matrix.counts.loadUnaligned(fromByteOffset: 2 * br, as: UInt16.self))) }
                if isFC {
                    begin(k)
                    sparseFullyConnectedS8(q, input: x, batches: 1, weights: matrix, output: sparseOut)
                    end(k)
                    begin(28 + k)
                    fullyConnectedS8(FullyConnectedParams(inputZeroPoint: zx, outputZeroPoint: zy), input: x, batches: 1,
                                     inputDepth: inC, weights: pruned, bias: bias, outputDepth: outC, multipliers: m,
                                     shifts: s, output: denseOut)
                    end(28 + k)
                } else {
                    let inShape = Shape4(1, h, w, inC), outShape = Shape4(1, h, w, outC)
                    begin(k)
                    sparseConv1x1S8(q, strideH: 1, strideW: 1, input: x, inputShape: inShape, weights: matrix,
                                    output: sparseOut, outputShape: outShape)
                    end(k)
                    begin(28 + k)
                    conv2DS8(ConvParams(inputZeroPoint: zx, outputZeroPoint: zy), input: x, inputShape: inShape,
                             filter: pruned, filterShape: Shape4(outC, 1, 1, inC), bias: bias, multipliers: m, shifts: s,
                             output: denseOut, outputShape: outShape)
                    end(28 + k)
                }
                let fs = fnv(sparseOut, pixels * outC), fd = fnv(denseOut, pixels * outC)
                printText("case "); printInt(k); printText(" "); printInt(R); printText(" "); printInt(C)
                printText(" "); printInt(densities[d]); printText(" "); printInt(stored * R * C * 1_000_000 / (outC * inC))
                printText(" "); printInt(matrix.indexWidth); printText(" "); printHex(fs); _ = putchar(10)
                if fs != fd { printText("MISMATCH sparse vs dense\n"); exit(1) }
                UnsafeMutableRawPointer(mutating: matrix.counts).deallocate()
                UnsafeMutableRawPointer(mutating: matrix.indices).deallocate()
                UnsafeMutablePointer(mutating: matrix.values).deallocate()
            }
        }
        begin(60); end(60)
    }
}
