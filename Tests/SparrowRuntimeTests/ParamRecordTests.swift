import Testing
import SparrowFormat

/// The parameter records pin the word layout of format 1.1 (the words below are the layout the
/// format spec lists, written out by hand), round-trip through encode/decode, and reject
/// out-of-range fields with the reason and field name the verifier reports.
@Suite struct ParamRecordTests {
    func decode<R>(_ words: [Int32], _ body: (ParamWords) throws(ParamError) -> R) -> Result<R, ParamError> {
        let le = words.map { $0.littleEndian }
        return le.withUnsafeBytes { raw -> Result<R, ParamError> in
            do throws(ParamError) {
                return .success(try body(ParamWords(raw.baseAddress, count: words.count)))
            } catch {
                return .failure(error)
            }
        }
    }

    func failure<R>(_ r: Result<R, ParamError>) -> ParamError? {
        if case .failure(let e) = r { return e }
        return nil
    }

    let relu = ActivationClamp(min: -5, max: 127)

    /// "reason value limit field", or "accepted".
    func describe<R>(_ r: Result<R, ParamError>) -> String {
        guard let e = failure(r) else { return "accepted" }
        return "\(e.reason) \(e.value) \(e.limit) \(e.field)"
    }

    @Test func convLayoutAndRoundTrip() throws {
        let conv = ConvParamRecord(strideH: 2, strideW: 3, dilationH: 1, dilationW: 4, padTop: 5, padLeft: 6,
                                   padBottom: 7, padRight: 8, activation: relu)
        #expect(conv.words == [2, 3, 1, 4, 5, 6, 7, 8, -5, 127])
        #expect(try decode(conv.words) { w throws(ParamError) in try ConvParamRecord(decoding: w, depthwise: false) }.get() == conv)
        var dw = conv
        dw.depthMultiplier = 2
        #expect(dw.words == [2, 3, 1, 4, 5, 6, 7, 8, -5, 127, 2])
        #expect(try decode(dw.words) { w throws(ParamError) in try ConvParamRecord(decoding: w, depthwise: true) }.get() == dw)
        #expect(try decode(dw.words) { w in ConvParamRecord(unchecked: w, depthwise: true) }.get() == dw)
    }

    @Test func convRejectsEachRange() {
        func error(_ words: [Int32], depthwise: Bool = false) -> String {
            describe(decode(words) { w throws(ParamError) in try ConvParamRecord(decoding: w, depthwise: depthwise) })
        }
        let good: [Int32] = [1, 1, 1, 1, 0, 0, 0, 0, -128, 127]
        #expect(error(good) == "accepted")
        #expect(error(good, depthwise: true) == "wrongParamCount 10 11 params")
        var w = good; w[1] = 0
        #expect(error(w) == "badParameter 0 65536 strideW")
        w = good; w[6] = -1
        #expect(error(w) == "badParameter -1 65536 padBottom")
        w = good; w[8] = 10; w[9] = 9
        #expect(error(w) == "badActivationRange 10 9 activation")
        w = good; w[9] = 128
        #expect(error(w) == "badActivationRange -128 128 activation")
        #expect(error(good + [0], depthwise: true) == "badParameter 0 65536 depthMultiplier")
    }

    /// Opcodes 51 and 52 (Docs/format.md's table, written out by hand).
    @Test func packedConvolutionLayoutsAndRanges() throws {
        let dw = PackedDepthwise3x3ParamRecord(stride: 2, padTop: 0, padLeft: 1, padBottom: 2, padRight: 1, activation: relu)
        #expect(dw.words == [2, 0, 1, 2, 1, -5, 127, 16])
        #expect(try decode(dw.words) { w throws(ParamError) in try PackedDepthwise3x3ParamRecord(decoding: w) }.get() == dw)
        #expect(try decode(dw.words) { w in PackedDepthwise3x3ParamRecord(unchecked: w) }.get() == dw)
        func dwError(_ words: [Int32]) -> String {
            describe(decode(words) { w throws(ParamError) in try PackedDepthwise3x3ParamRecord(decoding: w) })
        }
        #expect(dwError([3, 0, 1, 2, 1, -5, 127, 16]) == "badParameter 3 2 stride")
        #expect(dwError([1, 3, 1, 2, 1, -5, 127, 16]) == "badParameter 3 2 padTop")
        #expect(dwError([1, 0, 1, 2, 1, -5, 127, 8]).hasPrefix("badParameter 8 16 packed depthwise group channels"))
        #expect(dwError([1, 0, 1, 2, 1, 9, 8, 16]) == "badActivationRange 9 8 activation")

        let conv = ConvParamRecord(strideH: 2, strideW: 1, dilationH: 1, dilationW: 2, padTop: 0, padLeft: 1,
                                   padBottom: 1, padRight: 0, activation: relu)
        let im2col = PackedConvIm2colParamRecord(conv: conv, layout: .nr8kr16, kernelH: 3, kernelW: 5)
        #expect(im2col.words == [2, 1, 1, 2, 0, 1, 1, 0, -5, 127, 8, 16, 3, 5])
        #expect(try decode(im2col.words) { w throws(ParamError) in try PackedConvIm2colParamRecord(decoding: w) }.get() == im2col)
        #expect(try decode(im2col.words) { w in PackedConvIm2colParamRecord(unchecked: w) }.get() == im2col)
        func im2colError(_ words: [Int32]) -> String {
            describe(decode(words) { w throws(ParamError) in try PackedConvIm2colParamRecord(decoding: w) })
        }
        #expect(im2colError([2, 1, 1, 2, 0, 1, 1, 0, -5, 127, 16, 16, 3, 5]).hasPrefix("badParameter 16 16 packed layout"))
        #expect(im2colError([2, 1, 1, 2, 0, 1, 1, 0, -5, 127, 16, 4, 0, 5]) == "badParameter 0 1024 kernel height")
        #expect(im2colError([0, 1, 1, 2, 0, 1, 1, 0, -5, 127, 16, 4, 3, 5]) == "badParameter 0 65536 strideH")
        #expect(im2colError([2, 1, 1, 2, 0, 1, 1, 0, -5, 127, 16, 4, 3]) == "wrongParamCount 13 14 params")
    }

    @Test func poolLayoutAndRanges() throws {
        let p = PoolParamRecord(strideH: 2, strideW: 2, filterH: 3, filterW: 2, padTop: 2, padLeft: 1, padBottom: 0,
                                padRight: 0, activation: relu, countIncludePad: true)
        #expect(p.words == [2, 2, 3, 2, 2, 1, 0, 0, -5, 127, 1])
        #expect(try decode(p.words, PoolParamRecord.init(decoding:)).get() == p)
        var w = p.words; w[5] = 2   // padLeft must stay below filterW
        #expect(describe(decode(w, PoolParamRecord.init(decoding:))) == "badParameter 2 1 padLeft")
        w = p.words; w[10] = 2
        #expect(describe(decode(w, PoolParamRecord.init(decoding:))) == "badParameter 2 1 countIncludePad")
    }

    @Test func unpoolLayoutAndRanges() throws {
        let p = UnpoolParamRecord(strideH: 2, strideW: 3, filterW: 2, padTop: 1, padLeft: 0)
        #expect(p.words == [2, 3, 2, 1, 0])
        #expect(try decode(p.words, UnpoolParamRecord.init(decoding:)).get() == p)
        var w = p.words; w[2] = 0   // a position is decoded with / filterW
        #expect(describe(decode(w, UnpoolParamRecord.init(decoding:))) == "badParameter 0 4096 filterW")
        w = p.words; w[3] = 5000
        #expect(describe(decode(w, UnpoolParamRecord.init(decoding:))) == "badParameter 5000 4096 padTop")
    }

    @Test func elementwiseLayoutsAndRanges() throws {
        let add = AddParamRecord(leftShift: 20, input1: Rescale(multiplier: 1 << 30, shift: -1),
                                 input2: Rescale(multiplier: 0, shift: 0), output: Rescale(multiplier: Int32.max, shift: 30),
                                 activation: relu)
        #expect(add.words == [20, 1 << 30, -1, 0, 0, Int32.max, 30, -5, 127])
        #expect(try decode(add.words, AddParamRecord.init(decoding:)).get() == add)
        var w = add.words; w[0] = 21
        #expect(describe(decode(w, AddParamRecord.init(decoding:))) == "badParameter 21 20 leftShift")
        w = add.words; w[3] = 5
        #expect(describe(decode(w, AddParamRecord.init(decoding:))) == "badMultiplier 5 1073741824 input2Multiplier")
        w = add.words; w[6] = 31
        #expect(describe(decode(w, AddParamRecord.init(decoding:))) == "badShift 31 30 outputMultiplier")

        let mul = MulParamRecord(output: Rescale(multiplier: 1 << 30, shift: 3), activation: relu)
        #expect(mul.words == [1 << 30, 3, -5, 127])
        #expect(try decode(mul.words, MulParamRecord.init(decoding:)).get() == mul)

        let soft = SoftmaxParamRecord(input: Rescale(multiplier: 1 << 30, shift: 2), diffMin: -100)
        #expect(soft.words == [1 << 30, 2, -100])
        #expect(describe(decode([1 << 30, 2, 1], SoftmaxParamRecord.init(decoding:))) == "badParameter 1 0 diffMin")

        let rescale = RescaleParamRecord(Rescale(multiplier: 1 << 30, shift: -31))
        #expect(rescale.words == [1 << 30, -31])
        #expect(describe(decode([1 << 30, -32], RescaleParamRecord.init(decoding:))) == "badShift -32 30 multiplier")
        #expect(describe(decode([1 << 30], RescaleParamRecord.init(decoding:))) == "wrongParamCount 1 2 params")
    }

    @Test func shapeLayoutsAndRanges() throws {
        #expect(TransposeParamRecord(rankPermutation: [1, 0]).words == [0, 1, 3, 2])
        #expect(TransposeParamRecord(rankPermutation: [0, 3, 1, 2]).words == [0, 3, 1, 2])
        #expect(describe(decode([0, 1, 4, 2], TransposeParamRecord.init(decoding:))) == "badParameter 4 3 perm")
        let pad = PadParamRecord(beforeN: 0, beforeH: 1, beforeW: 2, beforeC: 3)
        #expect(pad.words == [0, 1, 2, 3])
        #expect(try decode(pad.words, PadParamRecord.init(decoding:)).get().before(axis: 2) == 2)
        // LayerNorm: the 64-bit ε term, low word first; E ≤ 2^60.
        let ln = LayerNormParamRecord(epsilonTerm: 0x0000_0003_8000_0002)
        #expect(ln.words == [Int32(bitPattern: 0x8000_0002), 3])
        #expect(try decode(ln.words, LayerNormParamRecord.init(decoding:)).get() == ln)
        #expect(try decode([0, 1 << 28], LayerNormParamRecord.init(decoding:)).get().epsilonTerm == 1 << 60)
        #expect(describe(decode([1, 1 << 28], LayerNormParamRecord.init(decoding:))) == "badParameter 268435456 268435456 epsilonTermHigh")
        #expect(describe(decode([0, -1], LayerNormParamRecord.init(decoding:))) == "badParameter -1 268435456 epsilonTermHigh")
        #expect(describe(decode([0], LayerNormParamRecord.init(decoding:))) == "wrongParamCount 1 2 params")
        // BatchMatMul: rescale, clamp, then three axis maps (each a permutation of the Shape4 axes).
        let mm = BatchMatMulParamRecord(output: Rescale(multiplier: 1 << 30, shift: -3), activation: relu,
                                        leftAxes: MatMulAxes(batch0: 0, batch1: 3, first: 1, second: 2),
                                        rightAxes: .rowMajor, outputAxes: MatMulAxes(batch0: 0, batch1: 3, first: 1, second: 2))
        #expect(mm.words == [1 << 30, -3, -5, 127, 0, 3, 1, 2, 0, 1, 2, 3, 0, 3, 1, 2])
        #expect(try decode(mm.words, BatchMatMulParamRecord.init(decoding:)).get() == mm)
        var bad = mm.words; bad[9] = 2
        #expect(describe(decode(bad, BatchMatMulParamRecord.init(decoding:))) == "badParameter 2 3 rightAxes")
        bad = mm.words; bad[12] = -1
        #expect(describe(decode(bad, BatchMatMulParamRecord.init(decoding:))) == "badParameter -1 3 outputAxes")
        bad = mm.words; bad[0] = 1
        #expect(describe(decode(bad, BatchMatMulParamRecord.init(decoding:))) == "badMultiplier 1 1073741824 outputMultiplier")
        #expect(ResizeParamRecord(bilinear: true).words == [1])
        #expect(ResizeParamRecord(bilinear: false).words == [0])
        #expect(try decode([1], ResizeParamRecord.init(decoding:)).get() == ResizeParamRecord(bilinear: true))
        #expect(describe(decode([2], ResizeParamRecord.init(decoding:))) == "badParameter 2 1 mode")
        let slice = SliceParamRecord(begin: (0, 1, 2, 3), step: (1, 2, -1, 3))
        #expect(slice.words == [0, 1, 2, 3, 1, 2, -1, 3])
        #expect(try decode(slice.words, SliceParamRecord.init(decoding:)).get() == slice)
        #expect(describe(decode([0, 0, 0, 0, 1, 0, 1, 1], SliceParamRecord.init(decoding:))) == "badParameter 0 65536 step")
        #expect(describe(decode([0, -1, 0, 0, 1, 1, 1, 1], SliceParamRecord.init(decoding:))) == "badParameter -1 65536 begin")
        #expect(GatherParamRecord(axis: 2).words == [2])
        #expect(ArgMaxParamRecord(axis: 3, selectLast: true).words == [3, 1])
        #expect(try decode([1, 0], ArgMaxParamRecord.init(decoding:)).get() == ArgMaxParamRecord(axis: 1, selectLast: false))
        #expect(describe(decode([1, 2], ArgMaxParamRecord.init(decoding:))) == "badParameter 2 1 selectLast")
        #expect(describe(decode([4], GatherParamRecord.init(decoding:))) == "badParameter 4 3 axis")

        let concatWords = ConcatParamRecord.words(axis: 3, inputRescales: [Rescale(multiplier: 0, shift: 0),
                                                                         Rescale(multiplier: 1 << 30, shift: -2)])
        #expect(concatWords == [3, 0, 0, 1 << 30, -2])
        // The record reads its rescales in place, so it is read inside `decode`, while the words live
        // (reading it after `decode` returned was a use after free that only ASan saw).
        let decoded = decode(concatWords) { w throws(ParamError) in
            let concat = try ConcatParamRecord(decoding: w, inputs: 2)
            return [concat.axis, concat.inputRescale(1).multiplier, concat.inputRescale(1).shift, Int32(concat.inputCount)]
        }
        #expect(try decoded.get() == [3, 1 << 30, -2, 2])
        #expect(describe(decode(concatWords) { w throws(ParamError) in try ConcatParamRecord(decoding: w, inputs: 3) })
                == "wrongParamCount 5 7 params")
        #expect(describe(decode([4, 0, 0]) { w throws(ParamError) in try ConcatParamRecord(decoding: w, inputs: 1) })
                == "badParameter 4 3 axis")
    }

    @Test func sparseLayouts() throws {
        let m = SparseMatrixLocation(offset: 32, size: 400)
        let fc = SparseFullyConnectedParamRecord(activation: relu, matrix: m)
        #expect(fc.words == [-5, 127, 32, 400])
        #expect(try decode(fc.words, SparseFullyConnectedParamRecord.init(decoding:)).get() == fc)
        let conv = SparseConv1x1ParamRecord(strideH: 2, strideW: 1, activation: relu, matrix: m)
        #expect(conv.words == [2, 1, -5, 127, 32, 400])
        #expect(describe(decode([0, 1, -5, 127, 32, 400], SparseConv1x1ParamRecord.init(decoding:))) == "badParameter 0 65536 strideH")
        #expect(FullyConnectedParamRecord(activation: relu).words == [-5, 127])
    }

    /// Imported TFLite models: FullyConnected's optional third word (1 = single rounding) and
    /// Mean's multiplier range [2^29, 2^31).
    @Test func tfliteVariants() throws {
        let single = FullyConnectedParamRecord(activation: relu, singleRounding: true)
        #expect(single.words == [-5, 127, 1])
        #expect(try decode(single.words, FullyConnectedParamRecord.init(decoding:)).get() == single)
        #expect(try decode([-5, 127], FullyConnectedParamRecord.init(decoding:)).get().singleRounding == false)
        #expect(describe(decode([-5, 127, 2], FullyConnectedParamRecord.init(decoding:))) == "badParameter 2 1 rounding")
        #expect(describe(decode([-5, 127, 1, 0], FullyConnectedParamRecord.init(decoding:))) == "wrongParamCount 4 3 params")
        let folded: Int32 = (1 << 29) + 5
        #expect(try decode([folded, -7], RescaleParamRecord.init(decodingMean:)).get().rescale == Rescale(multiplier: folded, shift: -7))
        #expect(describe(decode([folded, -7], RescaleParamRecord.init(decoding:))) == "badMultiplier \(folded) 1073741824 multiplier")
        #expect(describe(decode([(1 << 29) - 1, -7], RescaleParamRecord.init(decodingMean:))) == "badMultiplier 536870911 1073741824 multiplier")
        #expect(describe(decode([folded, 31], RescaleParamRecord.init(decodingMean:))) == "badShift 31 30 multiplier")
        #expect(QuantizeParamRecord(roundHalfAway: true).words == [1])
        #expect(QuantizeParamRecord(roundHalfAway: false).words == [])
        #expect(try decode([1], QuantizeParamRecord.init(decoding:)).get().roundHalfAway)
        #expect(try decode([], QuantizeParamRecord.init(decoding:)).get().roundHalfAway == false)
        #expect(describe(decode([0], QuantizeParamRecord.init(decoding:))) == "badParameter 0 1 rounding")
    }

    /// The records' own word-count rules (mutants #153 and #156 of mutate_verifier.py): through the
    /// verifier, `counts(…params:)` throws the same error first, so only decoding the words directly
    /// shows that Quantize takes 0 or 1 word and Pad 4 or 5.
    @Test func recordsRejectWordCountsOutsideTheirLayouts() {
        #expect(describe(decode([1]) { w throws(ParamError) in try QuantizeParamRecord(decoding: w) }) == "accepted")
        #expect(describe(decode([1, 0]) { w throws(ParamError) in try QuantizeParamRecord(decoding: w) }) == "wrongParamCount 2 1 params")
        #expect(describe(decode([0, 1, 0, 0, 7]) { w throws(ParamError) in try PadParamRecord(decoding: w) }) == "accepted")
        #expect(describe(decode([0, 1, 0, 0, 7, 0]) { w throws(ParamError) in try PadParamRecord(decoding: w) })
                == "wrongParamCount 6 5 params")
    }
}

