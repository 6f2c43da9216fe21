// Built by armcount-bench.sh and bench-vs-litert.sh (not part of any SwiftPM target).
// Runs a .sparrow model N times under armcount: region 0 = invokes 2..N (no observer),
// region 1 = invoke 1, region 10+k = operator OPS_FROM+k (k < 50: armcount has 64 labels) during
// one extra observed invoke, 5 = empty pair. Prints "ops COUNT", then output 0's bytes in hex.
import SparrowFormat
import SparrowRuntime

@_extern(c, "syscall") func syscall4(_ nr: Int, _ a1: Int, _ a2: Int, _ a3: Int) -> Int
@_extern(c, "fopen") func fopen(_ p: UnsafePointer<CChar>, _ m: UnsafePointer<CChar>) -> OpaquePointer?
@_extern(c, "fseek") func fseek(_ f: OpaquePointer, _ off: Int, _ whence: Int32) -> Int32
@_extern(c, "ftell") func ftell(_ f: OpaquePointer) -> Int
@_extern(c, "fread") func fread(_ b: UnsafeMutableRawPointer, _ s: Int, _ n: Int, _ f: OpaquePointer) -> Int
@_extern(c, "getenv") func getenv(_ n: UnsafePointer<CChar>) -> UnsafePointer<CChar>?
@_extern(c, "atoi") func atoi(_ p: UnsafePointer<CChar>) -> Int32
@_extern(c, "putchar") func putchar(_ c: Int32) -> Int32
@_extern(c, "exit") func cExit(_ c: Int32)
func exit(_ c: Int32) -> Never { cExit(c); fatalError() }
@inline(never) func begin(_ l: Int) { _ = syscall4(0x5A5A, 0x41524d50, 1, l) }
@inline(never) func end(_ l: Int) { _ = syscall4(0x5A5A, 0x41524d50, 2, l) }

struct MarkerObserver: InvokeObserver {
    var first: Int
    mutating func willRun(op: Int, opcode: OpCode) { if op >= first && op < first + 50 { begin(10 + op - first) } }
    mutating func didRun(op: Int, opcode: OpCode) { if op >= first && op < first + 50 { end(10 + op - first) } }
}

func printNumber(_ v: Int) {
    if v >= 10 { printNumber(v / 10) }
    _ = putchar(Int32(48 + v % 10))
}

@main struct ModelDriver {
    static func main() {
        // Arguments by environment (Embedded Swift has no CommandLine): MODEL=path N=count OPS_FROM=k.
        guard let path = getenv("MODEL"), let f = fopen(path, "rb") else { exit(2) }
        let n = getenv("N").map { Int(atoi($0)) } ?? 11
        let first = getenv("OPS_FROM").map { Int(atoi($0)) } ?? 0
        _ = fseek(f, 0, 2)
        let capacity = ftell(f)
        _ = fseek(f, 0, 0)
        guard capacity > 0 else { exit(2) }
        let file = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
        let size = fread(file, 1, capacity, f)
        let model: VerifiedModel
        do { model = try VerifiedModel.verify(UnsafeRawBufferPointer(start: file, count: size)) } catch { exit(3) }
        let arena = UnsafeMutableRawBufferPointer.allocate(byteCount: model.arenaSize + 64, alignment: 64)
        let interpreter: Interpreter
        do { interpreter = try Interpreter(model: model, arena: arena) } catch { exit(4) }
        let input = interpreter.inputBuffer(0)
        var state: UInt32 = 12345
        if model.tensor(model.graphInput(0)).dtype == .float32 {
            let floats = input.bindMemory(to: Float.self)
            for i in 0..<floats.count {
                state = state &* 1664525 &+ 1013904223
                floats[i] = Float(Int(state >> 8) - (1 << 23)) / Float(1 << 23)   // uniform in [-1, 1)
            }
        } else {   // int8/uint8 inputs (a model converted for quantized input): seeded random bytes
            for i in 0..<input.count {
                state = state &* 1664525 &+ 1013904223
                input[i] = UInt8(truncatingIfNeeded: state >> 24)
            }
        }
        begin(1); _ = interpreter.invoke(); end(1)
        for _ in 1..<max(n, 2) { begin(0); _ = interpreter.invoke(); end(0) }
        var observer = MarkerObserver(first: first)
        _ = interpreter.invoke(fullDepth: false, observer: &observer)
        begin(5); end(5)
        _ = putchar(111); _ = putchar(112); _ = putchar(115); _ = putchar(32)   // "ops "
        printNumber(model.operatorCount)
        _ = putchar(10)
        let out = interpreter.outputBuffer(0)
        let hex: StaticString = "0123456789abcdef"
        for b in out { _ = putchar(Int32(hex.utf8Start[Int(b >> 4)])); _ = putchar(Int32(hex.utf8Start[Int(b & 15)])) }
        _ = putchar(10)
    }
}
