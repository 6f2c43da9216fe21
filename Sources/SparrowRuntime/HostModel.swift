// The host's handle on a model file: what the CLI, the converter's checks, sparse evaluation and
// the tests all need before an inference. Host only: it allocates (the device reads its file
// into one posix_memalign block and takes its arena once, Sources/SparrowDevice), so it is
// compiled out of the Embedded build like BatchRun+Host.swift.
#if !hasFeature(Embedded)
import SparrowFormat

/// A model file copied into memory aligned as the format requires, verified, with an arena of
/// exactly the size its header declares and the interpreter over both. Owns the two buffers and
/// frees them with the last reference. `model` and `interpreter` point into them: Swift may end
/// the handle's life right after its last use, so run through the handle's methods below, or
/// keep it alive (a stored property, `withExtendedLifetime`) while using them directly.
public final class HostModel {
    public let model: VerifiedModel
    public let interpreter: Interpreter
    private let storage: UnsafeMutableRawBufferPointer
    private let arena: UnsafeMutableRawBufferPointer

    /// Verifies a copy of `bytes`. Throws the verifier's `ModelError`.
    public init(bytes: [UInt8]) throws {
        let storage = HostModel.alignedCopy(bytes)
        let model: VerifiedModel
        do { model = try VerifiedModel.verify(UnsafeRawBufferPointer(rebasing: storage[0..<bytes.count])) } catch {
            storage.deallocate()
            throw error
        }
        // Sized and aligned as the interpreter requires, so its init cannot fail; kept as a
        // throw rather than a trap all the same.
        let arena = UnsafeMutableRawBufferPointer.allocate(byteCount: max(model.arenaSize, Interpreter.arenaAlignment),
                                                           alignment: Interpreter.arenaAlignment)
        do { interpreter = try Interpreter(model: model, arena: arena) } catch {
            arena.deallocate()
            storage.deallocate()
            throw error
        }
        self.model = model
        self.storage = storage
        self.arena = arena
    }

    deinit {
        arena.deallocate()
        storage.deallocate()
    }

    /// Runs the verifier on a copy of `bytes` without keeping it: nil when the file is valid.
    public static func verificationError(_ bytes: [UInt8]) -> ModelError? {
        let storage = alignedCopy(bytes)
        defer { storage.deallocate() }
        do { _ = try VerifiedModel.verify(UnsafeRawBufferPointer(rebasing: storage[0..<bytes.count])); return nil } catch {
            return error
        }
    }

    /// `bytes` in fresh memory at the format's alignment (at least one aligned unit, even when empty).
    private static func alignedCopy(_ bytes: [UInt8]) -> UnsafeMutableRawBufferPointer {
        let alignment = ModelFormat.sectionAlignment
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, alignment), alignment: alignment)
        bytes.withUnsafeBytes { src in
            if src.count > 0 { storage.baseAddress!.copyMemory(from: src.baseAddress!, byteCount: src.count) }
        }
        return storage
    }

    // MARK: Typed access

    /// Copies `values` into graph input `index`; their bytes must fill it exactly (the input's
    /// dtype and element count, from its tensor record).
    public func setInput<T>(_ index: Int, _ values: [T]) {
        let buffer = interpreter.inputBuffer(index)
        values.withUnsafeBytes { src in
            precondition(src.count == buffer.count, "input \(index) holds \(buffer.count) bytes, \(src.count) given")
            if src.count > 0 { buffer.baseAddress!.copyMemory(from: src.baseAddress!, byteCount: src.count) }
        }
    }

    /// Graph output `index` as values of `type` (its dtype per the tensor record), valid after an
    /// invoke.
    public func output<T>(_ index: Int, as type: T.Type) -> [T] {
        Array(interpreter.outputBuffer(index).bindMemory(to: T.self))
    }

    public func invoke(fullDepth: Bool = false) -> InvokeResult {
        interpreter.invoke(fullDepth: fullDepth)
    }

    public func invoke<O: InvokeObserver>(fullDepth: Bool, exitThresholds: UnsafePointer<Int32>? = nil,
                                          observer: inout O) -> InvokeResult {
        interpreter.invoke(fullDepth: fullDepth, exitThresholds: exitThresholds, observer: &observer)
    }

    /// Every sample of a float32 .npy input file (its bytes): BatchRun+Host.swift.
    public func runBatch(inputFile: [UInt8], fullDepth: Bool = false) throws -> HostBatchResult {
        try interpreter.runBatch(inputFile: inputFile, fullDepth: fullDepth)
    }

    /// Every sample of one .npy file per graph input; with `allOutputs`, every output's file too.
    public func runBatch(inputFiles: [[UInt8]], fullDepth: Bool = false, allOutputs: Bool = false) throws -> HostBatchResult {
        try interpreter.runBatch(inputFiles: inputFiles, fullDepth: fullDepth, allOutputs: allOutputs)
    }

    /// Sets every input, invokes once and returns every output, all float32 (the usual graph
    /// inputs and outputs, which Quantize / Dequantize operators convert).
    public func run(_ inputs: [[Float]], fullDepth: Bool = false) -> [[Float]] {
        for (i, x) in inputs.enumerated() { setInput(i, x) }
        _ = invoke(fullDepth: fullDepth)
        return (0..<model.outputCount).map { output($0, as: Float.self) }
    }
}
#endif
