import SparrowFormat
import SparrowKernels

/// Observes each operator of an invoke (per-op timing, tracing). Generic, not an existential,
/// so it costs nothing when unused and compiles for the device.
public protocol InvokeObserver {
    mutating func willRun(op: Int, opcode: OpCode)
    mutating func didRun(op: Int, opcode: OpCode)
}

/// The observer that does nothing.
public struct NoObserver: InvokeObserver {
    public init() {}
    @inline(__always) public mutating func willRun(op: Int, opcode: OpCode) {}
    @inline(__always) public mutating func didRun(op: Int, opcode: OpCode) {}
}

/// What one invoke did.
public struct InvokeResult: Equatable {
    /// Index in the exit table of the exit taken; -1 when the model has no exits.
    public var exitIndex: Int
    /// Multiply-accumulates of the operators that ran.
    public var macs: UInt64
    /// Number of operators that ran.
    public var operatorsRun: Int

    public init(exitIndex: Int, macs: UInt64, operatorsRun: Int) {
        self.exitIndex = exitIndex
        self.macs = macs
        self.operatorsRun = operatorsRun
    }
}

/// Runs a verified model in one caller-given arena. The plan (model) is immutable; all
/// per-run state lives in the arena. Nothing is allocated: not in init, not in invoke.
public struct Interpreter {
    public let model: VerifiedModel
    public let arena: UnsafeMutableRawPointer

    /// Arena alignment the plan's offsets assume.
    public static let arenaAlignment = ModelFormat.sectionAlignment

    /// Fails with the exact size the model needs when the arena is too small.
    public init(model: VerifiedModel, arena: UnsafeMutableRawBufferPointer) throws(ArenaError) {
        guard let base = arena.baseAddress ?? (model.arenaSize == 0 ? UnsafeMutableRawPointer(bitPattern: Interpreter.arenaAlignment) : nil),
              arena.count >= model.arenaSize else {
            throw ArenaError(.tooSmall, required: model.arenaSize, provided: arena.count)
        }
        let misalignment = Int(bitPattern: base) & (Interpreter.arenaAlignment - 1)
        guard misalignment == 0 else {
            throw ArenaError(.misaligned, required: Interpreter.arenaAlignment, provided: misalignment)
        }
        self.model = model
        self.arena = base
    }

    // MARK: Tensor access

    /// Arena address of a non-constant tensor (aliases resolve to their target's bytes).
    @inline(__always)
    func arenaAddress(_ t: TensorRecord) -> UnsafeMutableRawPointer {
        if t.storageCode == Storage.alias.rawValue {
            return arena + Int(model.tensor(Int(t.location)).location)
        }
        return arena + Int(t.location)
    }

    /// Read-only address of any tensor's bytes.
    @inline(__always)
    func address(_ t: TensorRecord) -> UnsafeRawPointer {
        t.storageCode == Storage.constant.rawValue ? model.constantData(t) : UnsafeRawPointer(arenaAddress(t))
    }

    /// The bytes of graph input `i`, to be filled before `invoke` (dtype and shape per its record).
    public func inputBuffer(_ i: Int) -> UnsafeMutableRawBufferPointer {
        let t = model.tensor(model.graphInput(i))
        return UnsafeMutableRawBufferPointer(start: arenaAddress(t), count: Int(t.byteSize))
    }

    /// The bytes of graph output `i`, valid after `invoke` until the next one.
    public func outputBuffer(_ i: Int) -> UnsafeRawBufferPointer {
        let t = model.tensor(model.graphOutput(i))
        return UnsafeRawBufferPointer(start: address(t), count: Int(t.byteSize))
    }

    /// The bytes of any tensor (for tests and per-op dumps); arena tensors hold valid data only
    /// within their planned lifetime.
    public func tensorBytes(_ index: Int) -> UnsafeRawBufferPointer {
        let t = model.tensor(index)
        return UnsafeRawBufferPointer(start: address(t), count: Int(t.byteSize))
    }

    // MARK: Invoke

    public func invoke(fullDepth: Bool = false) -> InvokeResult {
        var observer = NoObserver()
        return invoke(fullDepth: fullDepth, observer: &observer)
    }

    public func invoke<O: InvokeObserver>(fullDepth: Bool, observer: inout O) -> InvokeResult {
        invoke(fullDepth: fullDepth, exitThresholds: nil, observer: &observer)
    }

    /// Runs the operators in plan order. After each exit checkpoint's operator the exit's
    /// criterion is tested on its int8 logits; when it holds (and `fullDepth` is false) the
    /// rest of the plan is skipped. `exitThresholds`, when given, holds one Q16 threshold per
    /// exit (indexed like the exit table; the final exit's entry is ignored) used instead of
    /// the file's, so a harness can sweep thresholds without rewriting the model.
    public func invoke<O: InvokeObserver>(fullDepth: Bool, exitThresholds: UnsafePointer<Int32>?,
                                          observer: inout O) -> InvokeResult {
        var macs: UInt64 = 0
        var nextExit = 0
        let exitCount = model.exitCount
        var nextExitOp = exitCount > 0 ? Int(model.exit(0).afterOp) : -1
        for k in 0..<model.operatorCount {
            let o = model.op(k)
            let opcode = OpCode(rawValue: o.opcodeRaw)!
            observer.willRun(op: k, opcode: opcode)
            run(o, opcode)
            observer.didRun(op: k, opcode: opcode)
            macs &+= o.macs
            if k == nextExitOp {
                let e = model.exit(nextExit)
                let isLast = nextExit == exitCount - 1
                let threshold = exitThresholds?[nextExit] ?? e.threshold
                if isLast || (!fullDepth && exitCriterionHolds(e, threshold: threshold)) {
                    return InvokeResult(exitIndex: nextExit, macs: macs, operatorsRun: k + 1)
                }
                nextExit += 1
                nextExitOp = Int(model.exit(nextExit).afterOp)
            }
        }
        return InvokeResult(exitIndex: -1, macs: macs, operatorsRun: model.operatorCount)
    }
}
