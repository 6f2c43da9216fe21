import Testing
import SparrowFormat
@testable import SparrowRuntime
import SparrowTestSupport

/// Each corruption gives its own specific error, naming the section, the record and the value.
@Suite struct VerifierTests {
    let good = TinyConvNet(seed: 11).bytes()

    func sectionOffset(_ bytes: [UInt8], _ s: Section) -> Int {
        bytes.withUnsafeBytes { ModelFileView(bytes: $0).sectionRange(s).offset }
    }

    @Test func goodModelVerifies() throws {
        let loaded = try HostModel(bytes: good)
        defer { withExtendedLifetime(loaded) {} }
        let model = loaded.model
        #expect(model.tensorCount == 14)
        #expect(model.operatorCount == 5)
        #expect(model.arenaSize == 272)
    }

    @Test func everyTruncationIsRejectedWithoutCrashing() {
        for n in 0..<good.count {
            let e = verifyError(Array(good[0..<n]))
            #expect(e != nil, "truncated to \(n) bytes was accepted")
            if n < ModelFormat.headerSize { #expect(e?.reason == .fileTooSmall) }
            else { #expect(e?.reason == .fileSizeMismatch, "truncated to \(n): \(String(describing: e))") }
        }
    }

    @Test func everySingleBitFlipIsRejected() {
        // The CRC-32 covers every byte but its own field and catches every single-bit error;
        // some header fields fail their own check first. Either way: an error, never a crash.
        for byte in 0..<good.count {
            for bit in [0, 3, 7] {
                var b = good
                b[byte] ^= UInt8(1 << bit)
                #expect(verifyError(b) != nil, "flip of byte \(byte) bit \(bit) accepted")
            }
        }
    }

    @Test func headerErrorsAreSpecific() {
        var b = good; b[0] = 0x58
        #expect(verifyError(b)?.reason == .badMagic)
        b = good; b[HeaderField.versionMajor] = 2
        #expect(verifyError(b) == ModelError(.unsupportedVersion, .header, value: 2, limit: 1))
        b = good; b[HeaderField.checksum] ^= 1
        #expect(verifyError(b)?.reason == .checksumMismatch)
        b = good + [UInt8](repeating: 0, count: 16)
        #expect(verifyError(b)?.reason == .fileSizeMismatch)
        b = good; b[HeaderField.sectionCount] = 9
        #expect(verifyError(resealed(b))?.reason == .badSectionCount)
    }

    /// Killed mutant #55 of mutate_verifier.py (it survived the runtime suites): a header that
    /// declares another size than the format's 128 bytes is rejected as such, checksum resealed.
    @Test func headerSizeFieldMustBeTheFormats() {
        for declared: UInt8 in [0, 64, 129, 255] {
            var b = good
            b[HeaderField.headerSize] = declared
            b[HeaderField.headerSize + 1] = 0
            #expect(verifyError(resealed(b)) == ModelError(.badHeaderSize, .header, value: Int(declared), limit: ModelFormat.headerSize))
        }
    }

    /// Killed mutant #52: the verifier reads records in place, so the file must start on a
    /// 16-byte boundary; every other start address is rejected with the misalignment, the
    /// aligned one verifies.
    @Test func modelBufferMustBeSectionAligned() {
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: good.count + ModelFormat.sectionAlignment,
                                                         alignment: ModelFormat.sectionAlignment)
        defer { raw.deallocate() }
        for shift in 0..<ModelFormat.sectionAlignment {
            let window = UnsafeMutableRawBufferPointer(rebasing: raw[shift..<(shift + good.count)])
            window.copyBytes(from: good)
            var error: ModelError? = nil
            do { _ = try VerifiedModel.verify(UnsafeRawBufferPointer(window)) } catch let e { error = e }
            if shift == 0 {
                #expect(error == nil)
            } else {
                #expect(error == ModelError(.misalignedBuffer, .header, value: shift, limit: ModelFormat.sectionAlignment))
            }
        }
    }

    @Test func sectionTableErrors() {
        // Point the tensors section one byte later: misaligned.
        var b = good
        b[HeaderField.sectionTable + 8] &+= 1
        #expect(verifyError(resealed(b))?.reason == .sectionMisaligned)
        // Make the constants section run past the end of the file.
        b = good
        b[HeaderField.sectionTable + 9 * 8 + 5] = 0xFF
        #expect(verifyError(resealed(b)) == ModelError(.sectionOutOfBounds, .constants,
                                                       value: sectionOffset(good, .constants), limit: good.count))
        // The operators section starting inside the tensors section (both aligned): overlap
        // (mutant #60 of mutate_verifier.py survived the runtime suites without this).
        b = good
        let tensors = good.withUnsafeBytes { ModelFileView(bytes: $0).sectionRange(.tensors) }
        let entry = HeaderField.sectionTable + Int(Section.operators.rawValue) * 8
        withUnsafeBytes(of: UInt32(tensors.offset).littleEndian) { for k in 0..<4 { b[entry + k] = $0[k] } }
        #expect(verifyError(resealed(b)) == ModelError(.sectionOverlap, .operators, value: tensors.offset,
                                                       limit: tensors.offset + tensors.size))
        // Operators section size not a multiple of 32.
        b = good
        b[HeaderField.sectionTable + 2 * 8 + 4] &-= 1
        #expect(verifyError(resealed(b))?.reason == .sectionSizeNotMultiple)
    }

    @Test func tensorErrorsNameTheRecord() {
        // Tensor 2 (the conv output): dtype 9 does not exist.
        var bytes = TinyConvNet(seed: 11).bytes { $0.tensors[2].dtypeCode = 9 }
        #expect(verifyError(bytes) == ModelError(.badDType, .tensors, index: 2, value: 9))
        bytes = TinyConvNet(seed: 11).bytes { $0.tensors[3].byteSize = 4 }
        #expect(verifyError(bytes) == ModelError(.byteSizeMismatch, .tensors, index: 3, value: 4, limit: 3))
        bytes = TinyConvNet(seed: 11).bytes { $0.tensors[6].location = 1_000_000 }
        #expect(verifyError(bytes)?.reason == .constantOutOfBounds)
        #expect(verifyError(bytes)?.index == 6)
        bytes = TinyConvNet(seed: 11).bytes { $0.tensors[1].location = 8 }
        #expect(verifyError(bytes) == ModelError(.arenaMisaligned, .tensors, index: 1, value: 8))
        bytes = TinyConvNet(seed: 11).bytes { $0.tensors[1].location = 256 }
        #expect(verifyError(bytes) == ModelError(.arenaOutOfBounds, .tensors, index: 1, value: 256, limit: 272))
        bytes = TinyConvNet(seed: 11).bytes { $0.tensors[1].dims.2 = 0 }
        #expect(verifyError(bytes)?.reason == .badDimension)
        bytes = TinyConvNet(seed: 11).bytes { $0.tensors[1].zeroPoint = 200 }
        #expect(verifyError(bytes) == ModelError(.badZeroPoint, .tensors, index: 1, value: 200, limit: 127))
    }

    @Test func operatorErrorsNameTheOperatorAndField() {
        // Conv stride 0.
        var bytes = TinyConvNet(seed: 11).bytes { $0.params[0] = 0 }
        var e = verifyError(bytes)
        #expect(e == ModelError(.badParameter, .operators, index: 1, value: 0, limit: 1 << 16))
        #expect("\(e?.field ?? "")" == "strideH")
        // Conv output shape inconsistent with padding 0.
        bytes = TinyConvNet(seed: 11).bytes { $0.params[4] = 0 }
        #expect(verifyError(bytes) == ModelError(.shapeMismatch, .operators, index: 1, value: 5, limit: 4))
        // Activation clamp inverted.
        bytes = TinyConvNet(seed: 11).bytes { $0.params[8] = 100; $0.params[9] = 50 }
        #expect(verifyError(bytes) == ModelError(.badActivationRange, .operators, index: 1, value: 100, limit: 50))
        // Unknown opcode.
        bytes = TinyConvNet(seed: 11).bytes { $0.operators[2].opcodeRaw = 200 }
        #expect(verifyError(bytes) == ModelError(.badOpcode, .operators, index: 2, value: 200))
        // Tensor index out of range in the operand list.
        bytes = TinyConvNet(seed: 11).bytes { $0.indices[0] = 99 }
        #expect(verifyError(bytes) == ModelError(.tensorIndexOutOfRange, .operators, index: 0, value: 99, limit: 14))
        // Params list running past the section.
        bytes = TinyConvNet(seed: 11).bytes { $0.operators[3].paramsStart = 1000 }
        #expect(verifyError(bytes)?.reason == .paramsOutOfBounds)
        // Weight -128 breaks the symmetric-weight bound of the accumulator proof.
        bytes = TinyConvNet(seed: 11).bytes { w in
            let off = Int(w.tensors[6].location)
            w.constants[off + 5] = 0x80
        }
        e = verifyError(bytes)
        #expect(e == ModelError(.weightOutOfRange, .operators, index: 1, value: 5))
        // Requantization multiplier below 2^30.
        bytes = TinyConvNet(seed: 11).bytes { w in
            let off = Int(w.tensors[8].location)
            w.constants[off + 3] = 0x10
        }
        #expect(verifyError(bytes)?.reason == .badMultiplier)
        // Weights that are not constant data.
        bytes = TinyConvNet(seed: 11).bytes { $0.indices[3] = 1 }
        #expect(verifyError(bytes)?.reason == .wrongDType || verifyError(bytes)?.reason == .notConstant)
    }

    @Test func graphAndPlanErrors() {
        // Output read before written: the FC reads a tensor whose writer comes later.
        var bytes = TinyConvNet(seed: 11).bytes { $0.tensors[3].liveFrom = 3 }
        #expect(verifyError(bytes)?.reason == .usedBeforeWritten || verifyError(bytes)?.reason == .tensorWrittenTwice)
        // Lifetime that ends before the last read.
        bytes = TinyConvNet(seed: 11).bytes { $0.tensors[2].liveTo = 1 }
        #expect(verifyError(bytes) == ModelError(.lifetimeTooShort, .operators, index: 2, value: 2, limit: 1))
        // Two operators writing the same tensor.
        bytes = TinyConvNet(seed: 11).bytes { $0.indices[$0.indices.count - 1] = 4 }
        #expect(verifyError(bytes)?.reason == .tensorWrittenTwice || verifyError(bytes)?.reason == .wrongDType)
        // Graph output that is not alive at the end.
        bytes = TinyConvNet(seed: 11).bytes { $0.tensors[5].liveTo = 4 }
        #expect(verifyError(bytes) == ModelError(.badGraphOutput, .outputs, index: 0, value: 5, limit: 5))
        bytes = TinyConvNet(seed: 11).bytes { $0.inputs = [] }
        #expect(verifyError(bytes) == ModelError(.noInputs, .inputs))
    }

    /// Two tensors alive at the same time may not share arena bytes.
    @Test func arenaOverlapIsDetected() {
        // The quantized input (tensor 1, ops 0...1) moved inside the float input (tensor 0,
        // ops -1...0): Quantize reads one while writing the other at op 0.
        var bytes = TinyConvNet(seed: 11).bytes { $0.tensors[1].location = 64 }
        #expect(verifyError(bytes) == ModelError(.arenaOverlap, .tensors, index: 0, value: 1))
        // Sharing bytes is fine when lifetimes are disjoint: the FC output (ops 3...4) sits on
        // the conv output (ops 1...2) in the good plan — prove the good plan really does that.
        let loaded = try? HostModel(bytes: TinyConvNet(seed: 11).bytes())
        #expect(loaded != nil && loaded?.model.tensor(2).location == loaded?.model.tensor(4).location)
        withExtendedLifetime(loaded) {}
        // One byte of overlap in time and space is enough.
        bytes = TinyConvNet(seed: 11).bytes { $0.tensors[3].location = 64; $0.tensors[2].byteSize = 75 }
        #expect(verifyError(bytes) == ModelError(.arenaOverlap, .tensors, index: 2, value: 3))
    }

    @Test func errorDescriptionSaysWhereAndWhat() {
        let e = ModelError(.badParameter, .operators, index: 3, value: 0, limit: 65536, field: "strideH")
        #expect(e.description == "invalid model: operators[3] strideH: parameter out of range (value 0, limit 65536)")
    }
}
