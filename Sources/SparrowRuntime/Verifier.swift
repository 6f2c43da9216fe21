import SparrowFormat
import SparrowKernels

// The verifier: every offset, size, index, shape, dtype and parameter is checked before the
// interpreter may touch anything. It reads only through bounds-checked accessors until the
// section table is proven, runs in time linear in the file (plus a pairwise arena-overlap
// check over arena tensors), and allocates nothing.

extension VerifiedModel {
    /// Checks a whole model file. The bytes must be 16-byte aligned and stay alive and
    /// unchanged while the returned model is used.
    public static func verify(_ bytes: UnsafeRawBufferPointer) throws(ModelError) -> VerifiedModel {
        let model = try verifyHeader(bytes)
        for i in 0..<model.tensorCount { try model.checkTensor(i) }
        for k in 0..<model.operatorCount { try model.checkOperator(k) }
        try model.checkGraphIO()
        try model.checkPlanOverlap()
        try model.checkExits()
        return model
    }

    /// Header, checksum and section table; returns a model whose record accessors are in bounds.
    static func verifyHeader(_ bytes: UnsafeRawBufferPointer) throws(ModelError) -> VerifiedModel {
        let file = ModelFileView(bytes: bytes)
        guard let base = bytes.baseAddress, bytes.count >= ModelFormat.headerSize else {
            throw ModelError(.fileTooSmall, .header, value: bytes.count, limit: ModelFormat.headerSize)
        }
        let misalignment = Int(bitPattern: base) & (ModelFormat.sectionAlignment - 1)
        guard misalignment == 0 else {
            throw ModelError(.misalignedBuffer, .header, value: misalignment, limit: ModelFormat.sectionAlignment)
        }
        guard file.hasMagic else { throw ModelError(.badMagic, .header, value: Int(bytes[0])) }
        guard file.versionMajor == ModelFormat.versionMajor else {
            throw ModelError(.unsupportedVersion, .header, value: Int(file.versionMajor),
                             limit: Int(ModelFormat.versionMajor))
        }
        guard file.headerSize == UInt32(ModelFormat.headerSize) else {
            throw ModelError(.badHeaderSize, .header, value: Int(bitPattern: UInt(file.headerSize)),
                             limit: ModelFormat.headerSize)
        }
        guard UInt(file.fileSize) == UInt(bytes.count) else {
            throw ModelError(.fileSizeMismatch, .header, value: Int(bitPattern: UInt(file.fileSize)), limit: bytes.count)
        }
        let sum = file.computeChecksum()
        guard sum == file.checksum else {
            throw ModelError(.checksumMismatch, .header, value: Int(bitPattern: UInt(file.checksum)),
                             limit: Int(bitPattern: UInt(sum)))
        }
        guard file.sectionCount == UInt32(Section.count) else {
            throw ModelError(.badSectionCount, .header, value: Int(bitPattern: UInt(file.sectionCount)), limit: Section.count)
        }
        var previousEnd = ModelFormat.headerSize
        for raw in 0..<UInt8(Section.count) {
            let s = Section(rawValue: raw)!
            let r = file.sectionRange(s)
            guard r.offset % ModelFormat.sectionAlignment == 0 else {
                throw ModelError(.sectionMisaligned, s, value: r.offset, limit: ModelFormat.sectionAlignment)
            }
            guard r.offset >= previousEnd else {
                throw ModelError(.sectionOverlap, s, value: r.offset, limit: previousEnd)
            }
            // offset and size are each < 2^32 and count < 2^31, so compare without overflow.
            guard r.offset <= bytes.count, r.size <= bytes.count - r.offset else {
                throw ModelError(.sectionOutOfBounds, s, value: r.offset, limit: bytes.count)
            }
            guard r.size % s.recordSize == 0 else {
                throw ModelError(.sectionSizeNotMultiple, s, value: r.size, limit: s.recordSize)
            }
            previousEnd = r.offset + r.size
        }
        let arena = file.arenaSize
        guard UInt(arena) <= UInt(Int.max) else {
            throw ModelError(.arenaTooLarge, .header, value: -1, limit: Int.max)
        }
        func at(_ s: Section) -> Int { file.sectionRange(s).offset }
        func records(_ s: Section) -> Int { file.sectionRange(s).size / s.recordSize }
        return VerifiedModel(
            file: file, base: base,
            tensorsAt: at(.tensors), operatorsAt: at(.operators), indicesAt: at(.indices), paramsAt: at(.params),
            inputsAt: at(.inputs), outputsAt: at(.outputs), exitsAt: at(.exits), constantsAt: at(.constants),
            stringsAt: at(.strings), sparseAt: at(.sparse),
            tensorCount: records(.tensors), operatorCount: records(.operators), inputCount: records(.inputs),
            outputCount: records(.outputs), exitCount: records(.exits), arenaSize: Int(arena),
            totalMacs: file.totalMacs)
    }

    var indexCount: Int { file.sectionRange(.indices).size / 4 }
    var paramCount: Int { file.sectionRange(.params).size / 4 }
    var constantsSize: Int { file.sectionRange(.constants).size }
    var stringsSize: Int { file.sectionRange(.strings).size }

    // MARK: Tensors

    func checkTensor(_ i: Int) throws(ModelError) {
        let t = tensor(i)
        guard let dtype = t.dtype else { throw ModelError(.badDType, .tensors, index: i, value: Int(t.dtypeCode)) }
        guard t.rank <= 4 else { throw ModelError(.badRank, .tensors, index: i, value: Int(t.rank), limit: 4) }
        var elements = 1
        for d in 0..<4 {
            let dim = Int(t.dim(d))
            if d < Int(t.rank) {
                guard dim >= 1 else { throw ModelError(.badDimension, .tensors, index: i, value: dim, field: "dims") }
                let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
                guard !overflow, product <= Int(Int32.max) else {
                    throw ModelError(.tensorTooLarge, .tensors, index: i, value: dim, field: "dims")
                }
                elements = product
            } else {
                guard dim == 1 else { throw ModelError(.badDimension, .tensors, index: i, value: dim, limit: 1, field: "unused dims") }
            }
        }
        let (bytes, overflow) = elements.multipliedReportingOverflow(by: dtype.byteWidth)
        guard !overflow, UInt(t.byteSize) == UInt(bitPattern: bytes) else {
            throw ModelError(.byteSizeMismatch, .tensors, index: i, value: Int(bitPattern: UInt(t.byteSize)), limit: bytes)
        }
        guard t.nameOffset <= UInt32(stringsSize), Int(t.nameLength) <= stringsSize - Int(t.nameOffset) else {
            throw ModelError(.nameOutOfBounds, .tensors, index: i, value: Int(bitPattern: UInt(t.nameOffset)), limit: stringsSize)
        }
        guard let storage = t.storage else { throw ModelError(.badStorage, .tensors, index: i, value: Int(t.storageCode)) }
        switch storage {
        case .constant:
            guard UInt(t.location) <= UInt(constantsSize), bytes <= constantsSize - Int(t.location) else {
                throw ModelError(.constantOutOfBounds, .tensors, index: i, value: Int(bitPattern: UInt(t.location)), limit: constantsSize)
            }
            guard Int(t.location) % ModelFormat.sectionAlignment == 0 else {
                throw ModelError(.constantMisaligned, .tensors, index: i, value: Int(t.location))
            }
        case .arena:
            guard UInt(t.location) <= UInt(arenaSize), bytes <= arenaSize - Int(t.location) else {
                throw ModelError(.arenaOutOfBounds, .tensors, index: i, value: Int(bitPattern: UInt(t.location)), limit: arenaSize)
            }
            guard Int(t.location) % ModelFormat.sectionAlignment == 0 else {
                throw ModelError(.arenaMisaligned, .tensors, index: i, value: Int(t.location))
            }
            guard t.liveFrom >= -1, t.liveFrom <= t.liveTo, Int(t.liveTo) <= operatorCount else {
                throw ModelError(.badLifetime, .tensors, index: i, value: Int(t.liveFrom), limit: Int(t.liveTo), field: "liveFrom")
            }
        case .alias:
            // An alias names its base tensor, which must be a non-alias arena tensor with the same bytes.
            guard UInt(t.location) < UInt(tensorCount), Int(t.location) != i else {
                throw ModelError(.badAliasTarget, .tensors, index: i, value: Int(bitPattern: UInt(t.location)), limit: tensorCount)
            }
            let target = tensor(Int(t.location))
            guard target.storage == .arena else {
                throw ModelError(.badAliasTarget, .tensors, index: i, value: Int(t.location), field: "target storage")
            }
            guard target.dtypeCode == t.dtypeCode, target.byteSize == t.byteSize, target.zeroPoint == t.zeroPoint,
                  target.scale.bitPattern == t.scale.bitPattern else {
                throw ModelError(.aliasMismatch, .tensors, index: i, value: Int(t.location))
            }
            guard t.liveFrom >= -1, t.liveFrom <= t.liveTo, Int(t.liveTo) <= operatorCount,
                  target.liveFrom <= t.liveFrom, target.liveTo >= t.liveTo else {
                throw ModelError(.badLifetime, .tensors, index: i, value: Int(t.liveTo), limit: Int(target.liveTo),
                                 field: "alias outlives its target")
            }
        }
        guard let quant = t.quant else { throw ModelError(.badQuantization, .tensors, index: i, value: Int(t.quantCode)) }
        switch quant {
        case .none:
            break
        case .perTensor:
            let (lo, hi) = zeroPointRange(dtype)
            guard t.zeroPoint >= lo, t.zeroPoint <= hi else {
                throw ModelError(.badZeroPoint, .tensors, index: i, value: Int(t.zeroPoint), limit: Int(hi))
            }
            guard t.scale > 0, t.scale.isFinite else {
                throw ModelError(.badQuantization, .tensors, index: i, value: Int(t.quantCode), field: "scale")
            }
        case .perChannel:
            guard t.zeroPoint == 0 else { throw ModelError(.badZeroPoint, .tensors, index: i, value: Int(t.zeroPoint), limit: 0) }
            guard t.quantAxis < max(t.rank, 1) else {
                throw ModelError(.badQuantAxis, .tensors, index: i, value: Int(t.quantAxis), limit: Int(t.rank))
            }
            let channels = Int(t.dim(Int(t.quantAxis)))
            let offset = t.channelScalesOffset
            guard UInt(offset) <= UInt(constantsSize), channels * 4 <= constantsSize - Int(offset), offset % 4 == 0 else {
                throw ModelError(.channelScalesOutOfBounds, .tensors, index: i, value: Int(bitPattern: UInt(offset)), limit: constantsSize)
            }
        }
    }

    // MARK: Graph inputs and outputs, and the memory plan

    func checkGraphIO() throws(ModelError) {
        guard inputCount > 0 else { throw ModelError(.noInputs, .inputs) }
        guard outputCount > 0 else { throw ModelError(.noOutputs, .outputs) }
        for i in 0..<inputCount {
            let t = graphInput(i)
            guard t >= 0, t < tensorCount else { throw ModelError(.tensorIndexOutOfRange, .inputs, index: i, value: t, limit: tensorCount) }
            let r = tensor(t)
            guard r.storage == .arena, r.liveFrom == -1 else {
                throw ModelError(.badGraphInput, .inputs, index: i, value: t)
            }
        }
        for i in 0..<outputCount {
            let t = graphOutput(i)
            guard t >= 0, t < tensorCount else { throw ModelError(.tensorIndexOutOfRange, .outputs, index: i, value: t, limit: tensorCount) }
            let r = tensor(t)
            // Outputs stay readable after invoke: alive to the end of the plan.
            guard r.storage != .constant, Int(r.liveTo) == operatorCount else {
                throw ModelError(.badGraphOutput, .outputs, index: i, value: t, limit: operatorCount)
            }
            if r.liveFrom < 0 && r.storage == .arena {
                var isInput = false
                for j in 0..<inputCount where graphInput(j) == t { isInput = true }
                guard isInput else { throw ModelError(.badGraphOutput, .outputs, index: i, value: t) }
            }
        }
        // Every arena tensor that claims a writer really is written by it; inputs claim none.
        for i in 0..<tensorCount {
            let r = tensor(i)
            guard r.storage != .constant, r.liveFrom >= 0 else { continue }
            let writer = op(Int(r.liveFrom))
            var found = false
            for k in 0..<Int(writer.outputCount) where output(writer, k) == i { found = true }
            guard found else { throw ModelError(.tensorWrittenTwice, .tensors, index: i, value: Int(r.liveFrom), field: "liveFrom") }
        }
    }

    /// No two arena tensors whose planned lifetimes intersect may share a byte. Lifetimes were
    /// proven to cover every use (checkOperator), so this proves the real schedule safe.
    func checkPlanOverlap() throws(ModelError) {
        for a in 0..<tensorCount {
            let ta = tensor(a)
            guard ta.storage == .arena else { continue }
            let aStart = Int(ta.location), aEnd = aStart + Int(ta.byteSize)
            for b in (a + 1)..<max(tensorCount, a + 1) {
                let tb = tensor(b)
                guard tb.storage == .arena else { continue }
                let bStart = Int(tb.location), bEnd = bStart + Int(tb.byteSize)
                let bytesOverlap = aStart < bEnd && bStart < aEnd
                let timesOverlap = ta.liveFrom <= tb.liveTo && tb.liveFrom <= ta.liveTo
                if bytesOverlap && timesOverlap {
                    throw ModelError(.arenaOverlap, .tensors, index: a, value: b, field: "overlaps tensor")
                }
            }
        }
    }

    // MARK: Exits

    func checkExits() throws(ModelError) {
        var previous = -1
        for e in 0..<exitCount {
            let x = exit(e)
            guard let criterion = x.criterion else {
                throw ModelError(.unsupportedCriterion, .exits, index: e, value: Int(x.criterionRaw))
            }
            guard UInt(x.afterOp) < UInt(operatorCount), Int(x.afterOp) > previous else {
                throw ModelError(.badExitOrder, .exits, index: e, value: Int(bitPattern: UInt(x.afterOp)), limit: operatorCount)
            }
            previous = Int(x.afterOp)
            guard UInt(x.tensor) < UInt(tensorCount) else {
                throw ModelError(.badExitTensor, .exits, index: e, value: Int(bitPattern: UInt(x.tensor)), limit: tensorCount)
            }
            let t = tensor(Int(x.tensor))
            guard t.dtype == .int8, t.storage != .constant, t.liveFrom <= Int32(x.afterOp), t.quant == .perTensor else {
                throw ModelError(.badExitTensor, .exits, index: e, value: Int(x.tensor))
            }
            guard UInt(x.outputIndex) < UInt(outputCount) else {
                throw ModelError(.badExitOutput, .exits, index: e, value: Int(bitPattern: UInt(x.outputIndex)), limit: outputCount)
            }
            let out = tensor(graphOutput(Int(x.outputIndex)))
            guard out.liveFrom <= Int32(x.afterOp) else {
                throw ModelError(.badExitOutput, .exits, index: e, value: Int(x.outputIndex), field: "output written after the exit")
            }
            if criterion != .final { try checkExitCriterion(e, x, logits: t) }
            let isLast = e == exitCount - 1
            if isLast {
                guard criterion == .final, Int(x.afterOp) == operatorCount - 1 else {
                    throw ModelError(.badExitOrder, .exits, index: e, value: Int(x.afterOp), limit: operatorCount - 1,
                                     field: "last exit must be final at the last operator")
                }
            }
        }
    }
}

/// Zero-point range a dtype can represent.
func zeroPointRange(_ d: DType) -> (Int32, Int32) {
    switch d {
    case .int8: return (-128, 127)
    case .uint8: return (0, 255)
    case .int16: return (-32768, 32767)
    case .int32, .float32, .int64: return (Int32.min, Int32.max)
    }
}
