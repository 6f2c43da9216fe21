import Testing
import SparrowFormat
import SparrowKernels
@testable import SparrowRuntime
import SparrowTestSupport

@Suite struct InterpreterTests {
    @Test func tinyConvNetMatchesFloatReference() throws {
        let net = TinyConvNet(seed: 7)
        let loaded = try HostModel(bytes: net.bytes())
        var rng = SplitMix64(seed: 99)
        for _ in 0..<20 {
            let x = (0..<50).map { _ in rng.uniform(-1.5, 2.0) }
            loaded.setInput(0, x)
            let result = loaded.invoke()
            #expect(result.operatorsRun == 5)
            #expect(result.macs == 25 * 3 * 18 + 75 + 12)
            let out = loaded.output(0, as: Float.self)
            let expected = net.floatForward(x)
            // Quantization error budget: a few output LSBs (1/16) from input, weight and
            // intermediate rounding through three requantizations.
            for o in 0..<4 {
                #expect(abs(out[o] - expected[o]) <= 3 * TinyConvNet.fcScale, "output \(o): \(out[o]) vs \(expected[o])")
            }
        }
    }

    @Test func rejectsTooSmallArenaWithExactSize() throws {
        let loaded = try HostModel(bytes: TinyConvNet(seed: 1).bytes())
        defer { withExtendedLifetime(loaded) {} }
        let model = loaded.model
        let arena = UnsafeMutableRawBufferPointer.allocate(byteCount: 100, alignment: 16)
        defer { arena.deallocate() }
        #expect(throws: ArenaError(.tooSmall, required: 272, provided: 100)) {
            _ = try Interpreter(model: model, arena: arena)
        }
    }

    @Test func rejectsMisalignedArena() throws {
        let loaded = try HostModel(bytes: TinyConvNet(seed: 1).bytes())
        defer { withExtendedLifetime(loaded) {} }
        let model = loaded.model
        let arena = UnsafeMutableRawBufferPointer.allocate(byteCount: 400, alignment: 16)
        defer { arena.deallocate() }
        let shifted = UnsafeMutableRawBufferPointer(rebasing: arena[4..<400])
        #expect(throws: ArenaError(.misaligned, required: 16, provided: 4)) {
            _ = try Interpreter(model: model, arena: shifted)
        }
    }

    /// The per-op hook sees every operator in plan order, each once.
    @Test func observerSeesEveryOperatorInOrder() throws {
        struct Recorder: InvokeObserver {
            var events: [String] = []
            mutating func willRun(op: Int, opcode: OpCode) { events.append("will \(op)") }
            mutating func didRun(op: Int, opcode: OpCode) { events.append("did \(op) \(opcode)") }
        }
        let loaded = try HostModel(bytes: TinyConvNet(seed: 3).bytes())
        var recorder = Recorder()
        _ = loaded.invoke(fullDepth: false, observer: &recorder)
        #expect(recorder.events == ["will 0", "did 0 quantize", "will 1", "did 1 conv2D", "will 2", "did 2 mean",
                                    "will 3", "did 3 fullyConnected", "will 4", "did 4 dequantize"])
    }
}
