import Testing
import SparrowFormat
import SparrowKernels
@testable import SparrowRuntime
import SparrowTestSupport

/// Rules that `Tests/Fixtures/mutate_verifier.py` found no test for: removing any one of them
/// left every suite green. Each case breaks exactly one rule of an otherwise valid model
/// (TinyConvNet: ops 0 quantize t0→t1, 1 conv t1→t2, 2 mean t2→t3, 3 fc t3→t4, 4 dequantize
/// t4→t5; constants t6…t13; operand indices 0-1, 2-7, 8-9, 10-15, 16-17) and demands the
/// exact error, so an earlier or later check catching it instead fails the test.
@Suite struct VerifierRuleTests {
    static func error(_ mutate: (inout ModelWriter) -> Void) -> ModelError? {
        verifyError(TinyConvNet(seed: 11).bytes(mutate: mutate))
    }

    @Test func opcodeNewerThanTheFilesMinorVersion() {
        // PRelu (format 1.2) in a file that declares 1.1; the writer would declare 1.2.
        var b = TinyConvNet(seed: 11).bytes { $0.operators[2].opcodeRaw = OpCode.prelu.rawValue }
        #expect(b[HeaderField.versionMinor] == 2)
        b[HeaderField.versionMinor] = 1
        let e = verifyError(resealed(b))
        #expect(e == ModelError(.badOpcode, .operators, index: 2, value: Int(OpCode.prelu.rawValue), limit: 1))
    }

    @Test func operandListPastTheIndexSection() {
        #expect(Self.error { $0.operators[0].indicesStart = 17 }
                == ModelError(.indicesOutOfBounds, .operators, index: 0, value: 17, limit: 18))
    }

    @Test func operatorNamePastTheStrings() {
        let e = Self.error { $0.operators[2].nameOffset = 100_000 }
        #expect(e?.reason == .nameOutOfBounds && e?.section == .operators && e?.index == 2 && e?.value == 100_000)
    }

    @Test func inputReadBeforeItsWriterRuns() {
        // The mean (op 2) reads the FC output t4, written by op 3.
        #expect(Self.error { $0.indices[8] = 4 } == ModelError(.usedBeforeWritten, .operators, index: 2, value: 4))
    }

    @Test func outputThatIsAConstant() {
        let e = Self.error { $0.indices[1] = 6 }
        #expect(e == ModelError(.notInArena, .operators, index: 0, value: 6))
        #expect(e.map { "\($0.field)" } == "output")
    }

    @Test func outputPlannedForAnotherWriter() {
        // The quantize (op 0) writes t2, which the plan gives to the conv (op 1).
        #expect(Self.error { $0.indices[1] = 2 }
                == ModelError(.tensorWrittenTwice, .operators, index: 0, value: 2, limit: 1))
    }

    @Test func wrongOperandCounts() {
        // The dequantize (op 4) with operands moved to the end of the list: two inputs (t4 and a
        // constant) or two outputs (t5 twice), each valid as an operand.
        var e = Self.error { w in
            w.operators[4].indicesStart = UInt32(w.indices.count); w.operators[4].inputCount = 2
            w.indices += [4, 6, 5]
        }
        #expect(e == ModelError(.wrongInputCount, .operators, index: 4, value: 2, limit: 1))
        e = Self.error { w in
            w.operators[4].indicesStart = UInt32(w.indices.count); w.operators[4].outputCount = 2
            w.indices += [4, 5, 5]
        }
        #expect(e == ModelError(.wrongOutputCount, .operators, index: 4, value: 2, limit: 1))
    }

    @Test func wrongParamCount() {
        #expect(Self.error { $0.operators[2].paramCount = 3 }
                == ModelError(.wrongParamCount, .operators, index: 2, value: 3, limit: RescaleParamRecord.wordCount))
    }

    @Test func requiredInputMissing() {
        // The conv's input given as "absent" (-1), which only optional operands may be.
        #expect(Self.error { $0.indices[2] = -1 } == ModelError(.tensorIndexOutOfRange, .operators, index: 1, value: -1))
    }

    @Test func operandDTypes() {
        // Conv weights replaced by the int32 bias constant t7.
        #expect(Self.error { $0.indices[3] = 7 }
                == ModelError(.wrongDType, .operators, index: 1, value: Int(DType.int32.rawValue), limit: Int(DType.int8.rawValue)))
        // The mean's output t3 made float32 (3 floats, unquantized): valid as a tensor, not as its output.
        let e = Self.error { w in
            w.tensors[3].dtypeCode = DType.float32.rawValue; w.tensors[3].byteSize = 12
            w.tensors[3].quantCode = QuantKind.none.rawValue
        }
        #expect(e == ModelError(.wrongDType, .operators, index: 2, value: Int(DType.float32.rawValue), limit: Int(DType.int8.rawValue)))
    }

    @Test func activationInputThatIsAConstant() {
        // The FC reads the int8 weight constant t10 as its activation input.
        #expect(Self.error { $0.indices[10] = 10 } == ModelError(.notInArena, .operators, index: 3, value: 10))
    }

    @Test func wrongRank() {
        // FC weights [4, 3] declared rank 3 ([4, 3, 1]: same size).
        #expect(Self.error { $0.tensors[10].rank = 3 } == ModelError(.wrongRank, .operators, index: 3, value: 3, limit: 2))
    }

    @Test func unquantizedInt8Activation() {
        // The mean's output t3 without quantization.
        let e = Self.error { $0.tensors[3].quantCode = QuantKind.none.rawValue }
        #expect(e == ModelError(.badQuantization, .operators, index: 2, value: Int(QuantKind.none.rawValue)))
        #expect(e.map { "\($0.field)" } == "output")
    }

    @Test func perChannelOperandLengths() {
        // The FC (4 channels) given the conv's 3-entry bias t7, multipliers t8, shifts t9.
        for (position, field) in [(12, "bias"), (13, "multipliers"), (14, "shifts")] {
            let e = Self.error { $0.indices[position] = Int32(position - 5) }
            #expect(e == ModelError(.notPerChannelLength, .operators, index: 3, value: 3, limit: 4), "\(field)")
            #expect(e.map { "\($0.field)" } == field)
        }
    }

    @Test func biasOutsideTheAccumulatorProof() {
        for v in [Int32.min, maxBiasMagnitude + 1, -(maxBiasMagnitude + 1)] {
            let e = Self.error { w in
                let at = Int(w.tensors[11].location) + 4
                withUnsafeBytes(of: v.littleEndian) { for i in 0..<4 { w.constants[at + i] = $0[i] } }
            }
            #expect(e == ModelError(.biasOutOfRange, .operators, index: 3, value: Int(v), limit: Int(maxBiasMagnitude)))
        }
        // The largest magnitude allowed verifies.
        let ok = Self.error { w in
            let at = Int(w.tensors[11].location) + 4
            withUnsafeBytes(of: (-maxBiasMagnitude).littleEndian) { for i in 0..<4 { w.constants[at + i] = $0[i] } }
        }
        #expect(ok == nil)
    }

    @Test func tensorRecordRules() {
        #expect(Self.error { $0.tensors[3].rank = 5 } == ModelError(.badRank, .tensors, index: 3, value: 5, limit: 4))
        // t3 is [1, 3]: its unused third and fourth dims must be 1.
        #expect(Self.error { $0.tensors[3].dims.3 = 2 } == ModelError(.badDimension, .tensors, index: 3, value: 2, limit: 1))
        // 70,000 × 70,000 elements overflow the 2^31 − 1 limit at the second dim.
        #expect(Self.error { $0.tensors[3].dims = (1, 70_000, 70_000, 1); $0.tensors[3].rank = 3 }
                == ModelError(.tensorTooLarge, .tensors, index: 3, value: 70_000))
        let e = Self.error { $0.tensors[3].nameOffset = 100_000 }
        #expect(e?.reason == .nameOutOfBounds && e?.section == .tensors && e?.index == 3 && e?.value == 100_000)
        // The conv output t2 planned to live from op 1 to op 0.
        #expect(Self.error { $0.tensors[2].liveTo = 0 } == ModelError(.badLifetime, .tensors, index: 2, value: 1, limit: 0))
    }

    /// Mutants #75–#78 (alias rules): t3, the mean's output, turned into an alias of another tensor.
    @Test func aliasRules() {
        func alias(to target: UInt32, _ adjust: (inout TensorRecord, TensorRecord) -> Void = { _, _ in }) -> ModelError? {
            Self.error { w in
                w.tensors[3].storageCode = Storage.alias.rawValue
                w.tensors[3].location = target
                if Int(target) < w.tensors.count { adjust(&w.tensors[3], w.tensors[Int(target)]) }
            }
        }
        // Index past the tensor table, or itself.
        #expect(alias(to: 99) == ModelError(.badAliasTarget, .tensors, index: 3, value: 99, limit: 14))
        #expect(alias(to: 3) == ModelError(.badAliasTarget, .tensors, index: 3, value: 3, limit: 14))
        // A constant (t6) is not an arena tensor.
        #expect(alias(to: 6) == ModelError(.badAliasTarget, .tensors, index: 3, value: 6, field: "target storage"))
        // The conv output t2: arena, but other bytes (t2 is 1×4×4×3 int8, t3 1×3).
        #expect(alias(to: 2) == ModelError(.aliasMismatch, .tensors, index: 3, value: 2))
        // Same bytes, scale and zero point as t2, but claimed alive one op longer than t2.
        let outlives = alias(to: 2) { a, t in
            a.dtypeCode = t.dtypeCode; a.byteSize = t.byteSize; a.zeroPoint = t.zeroPoint; a.scale = t.scale
            a.dims = t.dims; a.rank = t.rank; a.quantCode = t.quantCode
            a.liveFrom = t.liveFrom; a.liveTo = t.liveTo + 1
        }
        #expect(outlives?.reason == .badLifetime && outlives?.index == 3 && outlives.map { "\($0.field)" } == "alias outlives its target",
                "\(String(describing: outlives))")
    }

    /// Mutants #80–#83 (quantization rules of a tensor record).
    @Test func quantizationRules() {
        // Per-tensor t1 (the quantized input) with a scale that is not a positive finite number.
        for bad: Float in [0, -0.5, .nan, .infinity] {
            #expect(Self.error { $0.tensors[1].scale = bad }
                    == ModelError(.badQuantization, .tensors, index: 1, value: Int(QuantKind.perTensor.rawValue), field: "scale"))
        }
        // t6 (the conv filter, a constant) declared per-channel: symmetric (zero point 0), an axis
        // inside its rank, and its scales inside the constants section.
        var rank = 0
        #expect(Self.error { w in
            w.tensors[6].quantCode = QuantKind.perChannel.rawValue; w.tensors[6].zeroPoint = 3
        } == ModelError(.badZeroPoint, .tensors, index: 6, value: 3, limit: 0))
        #expect(Self.error { w in
            w.tensors[6].quantCode = QuantKind.perChannel.rawValue; w.tensors[6].zeroPoint = 0
            w.tensors[6].quantAxis = 4; rank = Int(w.tensors[6].rank)
        } == ModelError(.badQuantAxis, .tensors, index: 6, value: 4, limit: rank))
        let outside = Self.error { w in
            w.tensors[6].quantCode = QuantKind.perChannel.rawValue; w.tensors[6].zeroPoint = 0
            w.tensors[6].quantAxis = 0; w.tensors[6].channelScalesOffset = 1 << 20
        }
        #expect(outside?.reason == .channelScalesOutOfBounds && outside?.index == 6 && outside?.value == 1 << 20,
                "\(String(describing: outside))")
    }

    /// Mutants #85–#91 (graph inputs and outputs). The operator checks run first, so the
    /// tensors at fault here are ones no operator touches.
    @Test func graphInputAndOutputRules() {
        #expect(Self.error { $0.outputs = [] } == ModelError(.noOutputs, .outputs))
        #expect(Self.error { $0.inputs[0] = 99 } == ModelError(.tensorIndexOutOfRange, .inputs, index: 0, value: 99, limit: 14))
        // t2, the conv output, is written by op 1: not a graph input.
        #expect(Self.error { $0.inputs[0] = 2 } == ModelError(.badGraphInput, .inputs, index: 0, value: 2))
        #expect(Self.error { $0.outputs[0] = 99 } == ModelError(.tensorIndexOutOfRange, .outputs, index: 0, value: 99, limit: 14))
        // An extra arena tensor t14 that no operator writes, declared the graph output and alive
        // to the end: an output nothing computes (and not an input).
        func extra(liveFrom: Int32, liveTo: Int32) -> TensorRecord {
            TensorRecord(dtype: .int8, dims: (1, 1, 1, 1), rank: 1, storage: .arena, location: 0, byteSize: 1,
                         quant: .perTensor, zeroPoint: 0, scale: 1, liveFrom: liveFrom, liveTo: liveTo)
        }
        #expect(Self.error { w in w.tensors.append(extra(liveFrom: -1, liveTo: 5)); w.outputs = [14] }
                == ModelError(.badGraphOutput, .outputs, index: 0, value: 14))
        // t14 claiming op 1 as its writer, which writes only t2.
        #expect(Self.error { w in w.tensors.append(extra(liveFrom: 1, liveTo: 1)) }
                == ModelError(.tensorWrittenTwice, .tensors, index: 14, value: 1, field: "liveFrom"))
    }

    /// Mutant #100: the conv's 3×3 filter dilated by 4 spans 9 rows, more than the 5 input rows
    /// plus 2 of padding; without the rule the output-height check would name the wrong thing.
    @Test func dilatedFilterLargerThanThePaddedInput() {
        let e = Self.error { $0.params[2] = 4 }   // ConvParamRecord word 2: dilationH
        #expect(e?.reason == .shapeMismatch && e?.index == 1 && e?.value == 5 && e?.limit == 9
                && e.map { "\($0.field)" } == "input smaller than filter", "\(String(describing: e))")
    }

    @Test func misalignedConstant() {
        var location = 0
        let e = Self.error { w in w.tensors[7].location += 1; location = Int(w.tensors[7].location) }
        #expect(e == ModelError(.constantMisaligned, .tensors, index: 7, value: location))
    }
}
