// Built by armcount-bench.sh (not part of any SwiftPM target).
// Kernel micro-benchmark driver for armcount: each kernel call is wrapped in a region marker
// (label = case index) so count-insns reports exact guest instructions per call.
import SparrowKernels

@_extern(c, "syscall") func syscall4(_ nr: Int, _ a1: Int, _ a2: Int, _ a3: Int) -> Int
@_extern(c, "putchar") func putchar(_ c: Int32) -> Int32
@_extern(c, "getenv") func getenv(_ name: UnsafePointer<CChar>) -> UnsafePointer<CChar>?
func selected(_ l: Int) -> Bool {
    guard let v = getenv("ONLY") else { return true }
    return Int(v[0]) - 48 == l
}
@inline(never) func begin(_ l: Int) { _ = syscall4(0x5A5A, 0x41524d50, 1, l) }
@inline(never) func end(_ l: Int) { _ = syscall4(0x5A5A, 0x41524d50, 2, l) }

func printHex(_ v: UInt64) {
    var i = 60
    while i >= 0 { let d = Int32((v >> UInt64(i)) & 15); _ = putchar(d < 10 ? 48 + d : 87 + d); i -= 4 }
    _ = putchar(10)
}

var state: UInt64 = 0x5eed_1234_abcd_0001
func next() -> UInt64 { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state }
func int8s(_ n: Int, weights: Bool = false) -> UnsafeMutablePointer<Int8> {
    let p = UnsafeMutablePointer<Int8>.allocate(capacity: n)
    for i in 0..<n { let v = Int8(truncatingIfNeeded: next() >> 24); p[i] = weights && v == -128 ? -127 : v }
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

func conv(_ label: Int, _ input: Shape4, _ kernel: Int, _ outC: Int, _ pad: Int, _ depthwise: Bool, _ zp: Int32) {
    if !selected(label) { return }
    let fs = depthwise ? Shape4(1, kernel, kernel, outC) : Shape4(outC, kernel, kernel, input.c)
    let os = Shape4(1, input.h + 2 * pad - kernel + 1, input.w + 2 * pad - kernel + 1, outC)
    let x = int8s(input.count), w = int8s(fs.count, weights: true)
    let bias = int32s(outC, -20000, 20000)
    let m = int32s(outC, 1 << 30, Int32.max), s = UnsafeMutablePointer<Int32>.allocate(capacity: outC); s.initialize(repeating: -10, count: outC)
    let p = ConvParams(padTop: pad, padLeft: pad, inputZeroPoint: zp, outputZeroPoint: -3)
    let out = UnsafeMutablePointer<Int8>.allocate(capacity: os.count)
    begin(label)
    if depthwise {
        depthwiseConv2DS8(p, input: x, inputShape: input, filter: w, filterShape: fs, bias: bias,
                          multipliers: m, shifts: s, output: out, outputShape: os)
    } else {
        conv2DS8(p, input: x, inputShape: input, filter: w, filterShape: fs, bias: bias,
                 multipliers: m, shifts: s, output: out, outputShape: os)
    }
    end(label)
    printHex(fnv(out, os.count))
}

@main struct Driver {
    static func main() {
        conv(0, Shape4(1, 56, 56, 32), 3, 32, 1, false, -5)
        conv(1, Shape4(1, 28, 28, 64), 1, 128, 0, false, 7)
        conv(2, Shape4(1, 32, 32, 3), 3, 16, 1, false, -128)
        conv(3, Shape4(1, 56, 56, 64), 3, 64, 1, true, 11)
        if !selected(4) { return }
        let x = int8s(1024), w = int8s(1024 * 1000, weights: true)
        let bias = int32s(1000, -20000, 20000), m = int32s(1000, 1 << 30, Int32.max), s = UnsafeMutablePointer<Int32>.allocate(capacity: 1000); s.initialize(repeating: -12, count: 1000)
        let out = UnsafeMutablePointer<Int8>.allocate(capacity: 1000)
        begin(4)
        fullyConnectedS8(FullyConnectedParams(inputZeroPoint: -9, outputZeroPoint: 2), input: x, batches: 1,
                         inputDepth: 1024, weights: w, bias: bias, outputDepth: 1000, multipliers: m, shifts: s, output: out)
        end(4)
        printHex(fnv(out, 1000))
        begin(5); end(5)
    }
}
