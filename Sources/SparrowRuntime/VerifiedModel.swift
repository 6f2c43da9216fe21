import SparrowFormat
import SparrowKernels

/// A model whose every offset, size, index, shape, dtype and parameter has been checked.
/// Only `VerifiedModel.verify` makes one, and the interpreter accepts nothing else, so the
/// accessors below read without further checks. It points into the caller's bytes (zero copy):
/// keep them alive and unchanged while the model is in use.
public struct VerifiedModel {
    public let file: ModelFileView
    let base: UnsafeRawPointer
    let tensorsAt: Int, operatorsAt: Int, indicesAt: Int, paramsAt: Int
    let inputsAt: Int, outputsAt: Int, exitsAt: Int, constantsAt: Int, stringsAt: Int, sparseAt: Int
    public let tensorCount: Int
    public let operatorCount: Int
    public let inputCount: Int
    public let outputCount: Int
    public let exitCount: Int
    public let arenaSize: Int
    public let totalMacs: UInt64

    public func tensor(_ i: Int) -> TensorRecord {
        TensorRecord(decodingFrom: base + tensorsAt + i * TensorRecord.size)
    }

    public func op(_ i: Int) -> OperatorRecord {
        OperatorRecord(decodingFrom: base + operatorsAt + i * OperatorRecord.size)
    }

    public func exit(_ i: Int) -> ExitRecord {
        ExitRecord(decodingFrom: base + exitsAt + i * ExitRecord.size)
    }

    /// The verified opcode of operator `i`.
    public func opcode(_ i: Int) -> OpCode {
        OpCode(rawValue: base.load(fromByteOffset: operatorsAt + i * OperatorRecord.size, as: UInt8.self))!
    }

    /// Tensor index of input `k` of `op`.
    @inline(__always)
    public func input(_ op: OperatorRecord, _ k: Int) -> Int {
        Int(word(indicesAt, Int(op.indicesStart) + k))
    }

    /// Tensor index of output `k` of `op`.
    @inline(__always)
    public func output(_ op: OperatorRecord, _ k: Int) -> Int {
        Int(word(indicesAt, Int(op.indicesStart) + Int(op.inputCount) + k))
    }

    /// The parameter words of `op`, to decode with its opcode's record (SparrowFormat/Params).
    @inline(__always)
    public func paramWords(_ op: OperatorRecord) -> ParamWords {
        ParamWords(base + paramsAt + Int(op.paramsStart) * 4, count: Int(op.paramCount))
    }

    public func graphInput(_ i: Int) -> Int { Int(word(inputsAt, i)) }
    public func graphOutput(_ i: Int) -> Int { Int(word(outputsAt, i)) }

    /// Bytes of a constant tensor, in place in the file.
    public func constantData(_ t: TensorRecord) -> UnsafeRawPointer {
        base + constantsAt + Int(t.location)
    }

    /// The UTF-8 bytes of a name stored in the strings section.
    public func nameBytes(offset: UInt32, length: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + stringsAt + Int(offset), count: length)
    }

    public func tensorName(_ i: Int) -> UnsafeRawBufferPointer {
        let t = tensor(i)
        return nameBytes(offset: t.nameOffset, length: Int(t.nameLength))
    }

    public func opName(_ i: Int) -> UnsafeRawBufferPointer {
        let o = op(i)
        return nameBytes(offset: o.nameOffset, length: Int(o.nameLength))
    }

    /// NHWC view of a tensor's dims; lower ranks are padded with leading 1s (numpy broadcasting).
    public func shape4(_ t: TensorRecord) -> Shape4 {
        shape4Of(t)
    }

    @inline(__always)
    func word(_ sectionAt: Int, _ i: Int) -> Int32 {
        Int32(littleEndian: base.loadUnaligned(fromByteOffset: sectionAt + i * 4, as: Int32.self))
    }
}

/// NHWC view of a record's dims with leading-1 padding.
@inline(__always)
func shape4Of(_ t: TensorRecord) -> Shape4 {
    let d0 = Int(t.dims.0), d1 = Int(t.dims.1), d2 = Int(t.dims.2), d3 = Int(t.dims.3)
    switch t.rank {
    case 0: return Shape4(1, 1, 1, 1)
    case 1: return Shape4(1, 1, 1, d0)
    case 2: return Shape4(1, 1, d0, d1)
    case 3: return Shape4(1, d0, d1, d2)
    default: return Shape4(d0, d1, d2, d3)
    }
}
