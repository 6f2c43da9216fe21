import Testing
import SparrowFormat
@testable import SparrowRuntime
import SparrowTestSupport

/// The host handle: the verifier's own errors, and runs identical to an interpreter the caller
/// sets up by hand over its own aligned copy and arena.
@Suite struct HostModelTests {
    @Test func runEqualsAnInterpreterOverCallerMemory() throws {
        let bytes = TinyConvNet(seed: 5).bytes()
        let loaded = try HostModel(bytes: bytes)
        let file = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 16)
        defer { file.deallocate() }
        bytes.withUnsafeBytes { file.copyMemory(from: $0) }
        let model = try VerifiedModel.verify(UnsafeRawBufferPointer(file))
        let arena = UnsafeMutableRawBufferPointer.allocate(byteCount: model.arenaSize, alignment: 16)
        defer { arena.deallocate() }
        let reference = try Interpreter(model: model, arena: arena)
        var rng = SplitMix64(seed: 5)
        for _ in 0..<10 {
            let x = rng.floats(50, -1.5, 2.0)
            x.withUnsafeBytes { reference.inputBuffer(0).copyMemory(from: $0) }
            let expectedResult = reference.invoke()
            let expected = Array(reference.outputBuffer(0).bindMemory(to: Float.self))
            #expect(loaded.run([x]) == [expected])
            loaded.setInput(0, x)
            #expect(loaded.invoke() == expectedResult)
            #expect(loaded.output(0, as: Float.self) == expected)
        }
        #expect(loaded.model.arenaSize == 272 && loaded.model.operatorCount == 5)
    }

    @Test func rejectsBadFilesWithTheVerifiersError() throws {
        let good = TinyConvNet(seed: 5).bytes()
        #expect(HostModel.verificationError(good) == nil)
        #expect(throws: ModelError(.fileTooSmall, .header, value: 0, limit: ModelFormat.headerSize)) {
            _ = try HostModel(bytes: [])
        }
        var flipped = good
        flipped[good.count - 1] ^= 1
        let e = HostModel.verificationError(flipped)
        #expect(e?.reason == .checksumMismatch)
        #expect(throws: e!) { _ = try HostModel(bytes: flipped) }
    }
}
