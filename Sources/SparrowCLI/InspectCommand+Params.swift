import Foundation
import SparrowFormat

// Operator parameters as `sparrow inspect` prints them: the typed record's fields by name, each
// fixed-point rescale also as the real factor it stands for (multiplier · 2^(shift − 31)), and
// activation clamps as int8 ranges. The switch is closed on purpose: a new opcode has to say here
// how its record reads (Docs/architecture.md, "Adding an operator").

func describeParams(_ opcode: OpCode, _ w: ParamWords, inputCount: Int) -> String {
    do throws(ParamError) {
        switch opcode {
        case .conv2D, .depthwiseConv2D, .transposeConv2D, .depthwiseTransposeConv2D:
            let depthwise = opcode == .depthwiseConv2D || opcode == .depthwiseTransposeConv2D
            let p = try ConvParamRecord(decoding: w, depthwise: depthwise)
            var text = "stride \(p.strideH)×\(p.strideW), dilation \(p.dilationH)×\(p.dilationW), "
                + "pads t\(p.padTop) l\(p.padLeft) b\(p.padBottom) r\(p.padRight), \(clampText(p.activation))"
            if let m = p.depthMultiplier { text += ", depth multiplier \(m)" }
            return text
        case .fullyConnected:
            let p = try FullyConnectedParamRecord(decoding: w)
            return clampText(p.activation) + (p.singleRounding ? ", single rounding (TFLite)" : "")
        case .sparseFullyConnected:
            let p = try SparseFullyConnectedParamRecord(decoding: w)
            return "\(clampText(p.activation)), \(matrixText(p.matrix))"
        case .sparseConv1x1:
            let p = try SparseConv1x1ParamRecord(decoding: w)
            return "stride \(p.strideH)×\(p.strideW), \(clampText(p.activation)), \(matrixText(p.matrix))"
        case .add, .sub:
            let p = try AddParamRecord(decoding: w)
            return "left shift \(p.leftShift), input 1 \(rescaleText(p.input1)), input 2 \(rescaleText(p.input2)), "
                + "output \(rescaleText(p.output)), \(clampText(p.activation))"
        case .mul:
            let p = try MulParamRecord(decoding: w)
            return "output \(rescaleText(p.output)), \(clampText(p.activation))"
        case .maxPool, .averagePool:
            let p = try PoolParamRecord(decoding: w)
            return "window \(p.filterH)×\(p.filterW), stride \(p.strideH)×\(p.strideW), "
                + "pads t\(p.padTop) l\(p.padLeft) b\(p.padBottom) r\(p.padRight), \(clampText(p.activation))"
                + (opcode == .averagePool ? ", padded cells \(p.countIncludePad ? "counted" : "not counted")" : "")
        case .maxPoolArgmax:
            let p = try PoolParamRecord(decoding: w)
            return "positions of the window maxima (ky·\(p.filterW) + kx), window \(p.filterH)×\(p.filterW), "
                + "stride \(p.strideH)×\(p.strideW), pads t\(p.padTop) l\(p.padLeft) b\(p.padBottom) r\(p.padRight)"
        case .maxUnpool:
            let p = try UnpoolParamRecord(decoding: w)
            return "scatter to (y·\(p.strideH) − \(p.padTop) + p / \(p.filterW), x·\(p.strideW) − \(p.padLeft) + p mod \(p.filterW)), "
                + "zero point elsewhere"
        case .mean, .requantize:
            return "rescale \(rescaleText(try RescaleParamRecord(decoding: w).rescale))"
        case .softmax, .logSoftmax:
            let p = try SoftmaxParamRecord(decoding: w)
            return "input \(rescaleText(p.input)), diff min \(p.diffMin)"
        case .prelu:
            let p = try PReluParamRecord(decoding: w)
            return "x ≥ 0: \(rescaleText(p.identity)), x < 0: \(rescaleText(p.alpha))"
        case .packedGemm:
            let p = try PackedGemmParamRecord(decoding: w)
            return "\(p.outputDepth) outputs × depth \(p.depth), packed NR \(p.layout.nr) KR \(p.layout.kr), \(clampText(p.activation))"
        case .packedDepthwise3x3:
            let p = try PackedDepthwise3x3ParamRecord(decoding: w)
            return "3×3 stride \(p.stride), pads t\(p.padTop) l\(p.padLeft) b\(p.padBottom) r\(p.padRight), "
                + "packed in groups of \(p.groupChannels) channels, \(clampText(p.activation))"
        case .packedConvIm2col:
            let p = try PackedConvIm2colParamRecord(decoding: w)
            let c = p.conv
            return "kernel \(p.kernelH)×\(p.kernelW), stride \(c.strideH)×\(c.strideW), dilation \(c.dilationH)×\(c.dilationW), "
                + "pads t\(c.padTop) l\(c.padLeft) b\(c.padBottom) r\(c.padRight), im2col + packed NR \(p.layout.nr) KR \(p.layout.kr), "
                + clampText(c.activation)
        case .concat:
            let p = try ConcatParamRecord(decoding: w, inputs: inputCount)
            let inputs = (0..<inputCount).map { i -> String in
                let r = p.inputRescale(i)
                return r.multiplier == 0 ? "copy" : rescaleText(r)
            }
            return "axis \(shape4AxisName(p.axis)), inputs [\(inputs.joined(separator: ", "))]"
        case .pad:
            let p = try PadParamRecord(decoding: w)
            return "before n\(p.beforeN) h\(p.beforeH) w\(p.beforeW) c\(p.beforeC)" + (p.fill.map { ", fill code \($0)" } ?? "")
        case .transpose:
            let p = try TransposeParamRecord(decoding: w)
            let perm = [p.perm.0, p.perm.1, p.perm.2, p.perm.3].map(shape4AxisName)
            return "output axes take input axes [\(perm.joined(separator: ", "))]"
        case .resize:
            return try ResizeParamRecord(decoding: w).bilinear ? "bilinear (taps in the table input)" : "nearest (taps in the table input)"
        case .slice:
            let p = try SliceParamRecord(decoding: w)
            return "begin n\(p.begin.0) h\(p.begin.1) w\(p.begin.2) c\(p.begin.3), step n\(p.step.0) h\(p.step.1) w\(p.step.2) c\(p.step.3)"
        case .gather:
            return "axis \(shape4AxisName(try GatherParamRecord(decoding: w).axis)) (indices in the second input)"
        case .argMax:
            let p = try ArgMaxParamRecord(decoding: w)
            return "axis \(shape4AxisName(p.axis)), ties: \(p.selectLast ? "last" : "first") maximum"
        case .layerNorm:
            let p = try LayerNormParamRecord(decoding: w)
            return "innermost axis, epsilon term \(p.epsilonTerm) (γ rescales and β terms in the inputs)"
        case .batchMatMul:
            let p = try BatchMatMulParamRecord(decoding: w)
            func axes(_ a: MatMulAxes) -> String { [a.batch0, a.batch1, a.first, a.second].map(shape4AxisName).joined() }
            return "\(rescaleText(p.output)), \(clampText(p.activation)); axes (batch, batch, matrix): "
                + "left \(axes(p.leftAxes)), right \(axes(p.rightAxes)), output \(axes(p.outputAxes))"
        case .quantize:
            return try QuantizeParamRecord(decoding: w).roundHalfAway ? "round half away from zero (TFLite)" : "round half to even"
        case .reshape, .dequantize, .lookup, .maximum, .minimum:
            return w.count == 0 ? "none" : "unexpected words \(w.dump)"
        }
    } catch {
        // A verified model never gets here; kept so a dump of a damaged record still prints.
        return "invalid record (\(error.field): value \(error.value)); words \(w.dump)"
    }
}

/// `×0.00123 (m 1316134912, shift −9)`: the real factor first, the stored pair after.
func rescaleText(_ r: Rescale) -> String {
    if r.multiplier == 0 { return "×0" }
    let real = Double(r.multiplier) * pow(2, Double(r.shift) - 31)
    return "×\(String(format: "%.6g", real)) (m \(r.multiplier), shift \(r.shift))"
}

func clampText(_ c: ActivationClamp) -> String {
    c.min == -128 && c.max == 127 ? "no clamp" : "clamp [\(c.min), \(c.max)]"
}

func matrixText(_ m: SparseMatrixLocation) -> String { "sparse matrix at +\(m.offset), \(m.size) bytes" }

/// Shape4 axes are n, h, w, c (lower ranks padded with leading 1s).
func shape4AxisName(_ axis: Int32) -> String {
    switch axis {
    case 0: return "n"
    case 1: return "h"
    case 2: return "w"
    case 3: return "c"
    default: return "\(axis)"
    }
}
