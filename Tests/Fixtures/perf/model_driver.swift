// Built by armcount-bench.sh (not part of any SwiftPM target).
// Runs a .sparrow model N times under armcount: region 0 = invokes 2..N (no observer),
// region 1 = invoke 1, region 10+k = operator k during one extra observed invoke, 5 = empty pair.
import SparrowFormat
import SparrowRuntime

@_extern(c, "syscall") func syscall4(_ nr: Int, _ a1: Int, _ a2: Int, _ a3: Int) -> Int
@_extern(c, "fopen") func fopen(_ p: UnsafePointer<CChar>, _ m: UnsafePointer<CChar>) -> OpaquePointer?
@_extern(c, "fread") func fread(_ b: UnsafeMutableRawPointer, _ s: Int, _ n: Int, _ f: OpaquePointer) -> Int
@_extern(c, "getenv") func getenv(_ n: UnsafePointer<CChar>) -> UnsafePointer<CChar>?
@_extern(c, "atoi") func atoi(_ p: UnsafePointer<CChar>) -> Int32
@_extern(c, "putchar") func putchar(_ c: Int32) -> Int32
@_extern(c, "exit") func cExit(_ c: Int32)
func exit(_ c: Int32) -> Never { cExit(c); fatalError() }
@inline(never) func begin(_ l: Int) { _ = syscall4(0x5A5A, 0x41524d50, 1, l) }
@inline(never) func end(_ l: Int) { _ = syscall4(0x5A5A, 0x41524d50, 2, l) }

struct MarkerObserver: InvokeObserver {
    mutating func willRun(op: Int, opcode: OpCode) { begin(10 + op) }
    mutating func didRun(op: Int, opcode: OpCode) { end(10 + op) }
}

@main struct ModelDriver {
    static func main() {
        // Arguments by environment (Embedded Swift has no CommandLine): MODEL=path N=count.
        guard let path = getenv("MODEL"), let f = fopen(path, "rb") else { exit(2) }
        let n = getenv("N").map { Int(atoi($0)) } ?? 11
        let file = UnsafeMutableRawPointer.allocate(byteCount: 1 << 22, alignment: 64)
        let size = fread(file, 1, 1 << 22, f)
        let model: VerifiedModel
        do { model = try VerifiedModel.verify(UnsafeRawBufferPointer(start: file, count: size)) } catch { exit(3) }
        let arena = UnsafeMutableRawBufferPointer.allocate(byteCount: model.arenaSize + 64, alignment: 64)
        let interpreter: Interpreter
        do { interpreter = try Interpreter(model: model, arena: arena) } catch { exit(4) }
        let input = interpreter.inputBuffer(0)
        var state: UInt32 = 12345
        let floats = input.bindMemory(to: Float.self)
        for i in 0..<floats.count {
            state = state &* 1664525 &+ 1013904223
            floats[i] = Float(Int(state >> 8) - (1 << 23)) / Float(1 << 23)   // uniform in [-1, 1)
        }
        begin(1); _ = interpreter.invoke(); end(1)
        for _ in 1..<max(n, 2) { begin(0); _ = interpreter.invoke(); end(0) }
        var observer = MarkerObserver()
        _ = interpreter.invoke(fullDepth: false, observer: &observer)
        begin(5); end(5)
        let out = interpreter.outputBuffer(0)
        for b in out { _ = putchar(Int32(48 + (b & 15))) }
        _ = putchar(10)
    }
}
