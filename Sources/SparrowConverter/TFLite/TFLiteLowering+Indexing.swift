// TFLite operators that index or resample their input, lowered onto the runtime operators added
// for ONNX (format 1.3): STRIDED_SLICE → Slice, RESIZE_* → Resize (taps computed with LiteRT's
// reference index and weight rules, TFLiteArithmetic.resizeTaps), ARG_MAX → ArgMax (int32 out),
// TRANSPOSE_CONV → TransposeConv2D (the same int32 sums as LiteRT's scatter).
import Foundation
import SparrowFormat
import SparrowKernels
import SparrowTFLite

extension TFLiteLowering {
    /// STRIDED_SLICE with begin/end/strides constants and begin/end/shrink masks (LiteRT's
    /// StartForAxis/StopForAxis); the model's output shape must be the one these give.
    mutating func lowerStridedSlice(_ op: TFLiteOperator) throws(ConversionError) {
        guard case .stridedSlice(let o) = op.options else { throw fail("missing STRIDED_SLICE options") }
        guard o.ellipsisMask == 0, o.newAxisMask == 0 else { throw fail("ellipsis and new-axis masks are not supported") }
        let x = try activation(op, 0)
        let xShape = shape(op.inputs[0])
        let rank = xShape.count
        let begin = try constantInt32(op, 1, "begin"), end = try constantInt32(op, 2, "end")
        let strides = try constantInt32(op, 3, "strides")
        guard rank <= 4, begin.count == rank, end.count == rank, strides.count == rank else {
            throw fail("begin, end and strides must have one value per input axis (\(rank), at most 4)")
        }
        guard try quant(op.outputs[0]) == x.quant else { throw fail("input and output quantization differ") }
        var starts: [Int] = [], steps: [Int] = [], counts: [Int] = []
        for d in 0..<rank {
            let dim = xShape[d], s = Int(strides[d])
            guard s != 0, abs(s) <= 1 << 16 else { throw fail("stride \(s) on axis \(d)") }
            guard let r = TFLiteArithmetic.stridedSliceAxis(
                dim: dim, begin: Int(begin[d]), end: Int(end[d]), stride: s, beginMasked: o.beginMask & (1 << d) != 0,
                endMasked: o.endMask & (1 << d) != 0, shrink: o.shrinkAxisMask & (1 << d) != 0, offset: o.offset) else {
                throw fail("axis \(d) of the slice is empty")
            }
            starts.append(r.start); steps.append(s); counts.append(r.count)
        }
        let kept = (0..<rank).filter { o.shrinkAxisMask & (1 << $0) == 0 }.map { counts[$0] }
        guard kept == shape(op.outputs[0]) else {
            throw fail("the slice gives shape \(kept), the model declares \(shape(op.outputs[0]))")
        }
        // The Slice runs on the unshrunk shape; the model's output is an alias with its own shape.
        let pad = 4 - rank
        let b4 = [Int32](repeating: 0, count: pad) + starts.map { Int32($0) }
        let s4 = [Int32](repeating: 1, count: pad) + steps.map { Int32($0) }
        let record = SliceParamRecord(begin: (b4[0], b4[1], b4[2], b4[3]), step: (s4[0], s4[1], s4[2], s4[3]))
        if kept.count == counts.count {
            let y = try output(op)
            builder.emit(.slice, inputs: [x.tensor], outputs: [y.tensor], params: record, name: name(op))
            return
        }
        let full = try builder.addTensor(name: name(op) + "_unshrunk", dtype: .int8, shape: counts, storage: .arena, quant: x.quant)
        builder.emit(.slice, inputs: [x.tensor], outputs: [full], params: record, name: name(op))
        let y = try output(op, aliasOf: full)
        builder.emit(.reshape, inputs: [full], outputs: [y.tensor], params: [], name: name(op) + "_shrink")
    }

    /// RESIZE_BILINEAR / RESIZE_NEAREST_NEIGHBOR: a taps table per output row and column.
    mutating func lowerResize(_ op: TFLiteOperator, bilinear: Bool) throws(ConversionError) {
        var alignCorners = false, halfPixelCenters = false   // the schema defaults
        switch op.options {
        case .resizeBilinear(let r), .resizeNearestNeighbor(let r): (alignCorners, halfPixelCenters) = (r.alignCorners, r.halfPixelCenters)
        default: break
        }
        let x = try activation(op, 0)
        let xShape = shape(op.inputs[0]), yShape = shape(op.outputs[0])
        guard xShape.count == 4, yShape.count == 4, xShape[0] == yShape[0], xShape[3] == yShape[3] else {
            throw fail("resize needs 4-D NHWC input and output with equal N and C")
        }
        guard try quant(op.outputs[0]) == x.quant else { throw fail("input and output quantization differ") }
        let size = try constantInt32(op, 1, "the size")
        guard size.count == 2, Int(size[0]) == yShape[1], Int(size[1]) == yShape[2] else {
            throw fail("size \(size) does not match the output shape \(yShape)")
        }
        guard yShape[1] < 1 << 16, yShape[2] < 1 << 16, xShape[1] < 1 << 16, xShape[2] < 1 << 16 else {
            throw fail("resize dimensions beyond 65 535")
        }
        var taps: [Int32] = []
        for (input, output) in [(xShape[1], yShape[1]), (xShape[2], yShape[2])] {
            for i in 0..<output {
                let t = bilinear
                    ? TFLiteArithmetic.bilinearTap(i, input: input, output: output, alignCorners: alignCorners,
                                                   halfPixelCenters: halfPixelCenters)
                    : TFLiteArithmetic.nearestTap(i, input: input, output: output, alignCorners: alignCorners,
                                                  halfPixelCenters: halfPixelCenters)
                taps += [Int32(t.lower), Int32(t.upper), Int32(t.weight)]
            }
        }
        let table = try builder.addConstantTensor(name: name(op) + "_taps", dtype: .int32, shape: [yShape[1] + yShape[2], 3],
                                                  data: ModelBuilder.bytes(taps))
        let y = try output(op)
        builder.emit(.resize, inputs: [x.tensor, table], outputs: [y.tensor], params: ResizeParamRecord(bilinear: bilinear),
                     macs: bilinear ? UInt64(yShape.reduce(1, *) * 4) : 0, name: name(op))
    }

    /// ARG_MAX over one axis with an int32 output, or an int64 graph output written as int32
    /// (LiteRT returns the first maximum).
    mutating func lowerArgMax(_ op: TFLiteOperator) throws(ConversionError) {
        let x = try activation(op, 0)
        let xShape = shape(op.inputs[0])
        let rank = xShape.count
        let axes = try constantInt32(op, 1, "the axis")
        guard rank <= 4, axes.count == 1 else { throw fail("ARG_MAX needs one axis of an input of rank ≤ 4") }
        let axis = Int(axes[0]) < 0 ? Int(axes[0]) + rank : Int(axes[0])
        guard axis >= 0, axis < rank else { throw fail("axis \(axes[0]) out of range for rank \(rank)") }
        let t = op.outputs[0]
        // tf.argmax's default output type is int64; Sparrow has no 64-bit tensors, so an int64
        // graph output is written as int32: the same index values (an axis holds < 2^24).
        guard graph.tensors[t].type == .int32 || (graph.tensors[t].type == .int64 && graph.outputs.contains(t)) else {
            throw fail("ARG_MAX output is \(graph.tensors[t].type.name)"
                       + (graph.tensors[t].type == .int64 ? " and read by another operator" : "")
                       + "; Sparrow's ArgMax writes int32 indices (an int64 graph output is written as int32)")
        }
        var expected = xShape
        expected.remove(at: axis)
        guard shape(t) == expected else { throw fail("output shape \(shape(t)) is not the input's without axis \(axis)") }
        let y = try builder.addTensor(name: graph.tensors[t].name, dtype: .int32, shape: shape(t), storage: .arena)
        tensorOf[t] = y
        builder.emit(.argMax, inputs: [x.tensor], outputs: [y],
                     params: ArgMaxParamRecord(axis: Int32(axis + 4 - rank), selectLast: false), name: name(op))
    }

    /// TRANSPOSE_CONV (inputs: output shape, filter OHWI, input, bias): LiteRT scatters
    /// `(x − zx)·w` into int32 sums, adds the bias and requantizes per channel like CONV_2D —
    /// Sparrow's TransposeConv2D gathers the same sums.
    mutating func lowerTransposeConv(_ op: TFLiteOperator) throws(ConversionError) {
        guard case .transposeConv(let o) = op.options else { throw fail("missing TRANSPOSE_CONV options") }
        guard op.inputs.count >= 3 else { throw fail("TRANSPOSE_CONV needs output shape, filter and input") }
        let x = try activation(op, 2)
        let xShape = shape(op.inputs[2]), yShape = shape(op.outputs[0]), fShape = shape(op.inputs[1])
        guard xShape.count == 4, yShape.count == 4, fShape.count == 4, fShape[3] == xShape[3], fShape[0] == yShape[3] else {
            throw fail("TRANSPOSE_CONV needs 4-D input, filter [Co, KH, KW, Ci] and output")
        }
        let declared = try constantInt32(op, 0, "the output shape")
        guard declared.map(Int.init) == yShape else { throw fail("output shape \(declared) differs from the tensor's \(yShape)") }
        let yQ = try quant(op.outputs[0])
        let si = Double(x.quant.scale), so = Double(yQ.scale)
        let ops = try weightOperands(op, channels: fShape[0], channelAxis: 0, weightInput: 1, biasInput: 3) { sw in
            si * Double(sw) / so
        }
        // LiteRT pads as for the convolution from the output back to the input; whatever the
        // scatter writes past the output is dropped, i.e. bottom/right padding (or extra rows).
        func edges(_ axis: Int, _ stride: Int) throws(ConversionError) -> (before: Int, after: Int) {
            let p = TFLiteArithmetic.padding(o.padding, input: yShape[axis], filter: fShape[axis], stride: stride, dilation: 1,
                                             output: xShape[axis])
            let full = (xShape[axis] - 1) * stride + fShape[axis] - p.before
            guard full >= yShape[axis], full - yShape[axis] < 1 << 16 else {
                throw fail("output size \(yShape[axis]) does not follow from the input, filter and stride")
            }
            return (p.before, full - yShape[axis])
        }
        let ph = try edges(1, o.strideH), pw = try edges(2, o.strideW)
        let record = ConvParamRecord(
            strideH: try int32(o.strideH, "stride"), strideW: try int32(o.strideW, "stride"), dilationH: 1, dilationW: 1,
            padTop: try int32(ph.before, "padding"), padLeft: try int32(pw.before, "padding"),
            padBottom: try int32(ph.after, "padding"), padRight: try int32(pw.after, "padding"),
            activation: try clamp(o.activation, yQ), depthMultiplier: nil)
        let y = try output(op)
        let macs = xShape.reduce(1, &*) &* fShape[0] &* fShape[1] &* fShape[2]
        builder.emit(.transposeConv2D, inputs: [x.tensor, ops.weights, ops.bias, ops.multipliers, ops.shifts],
                     outputs: [y.tensor], params: record, macs: UInt64(truncatingIfNeeded: macs), name: name(op))
    }
}
