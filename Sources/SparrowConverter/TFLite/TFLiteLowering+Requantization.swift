// The requantization range check of the TFLite lowering. A .tflite file fixes every multiplier
// through its scales (LiteRT's prepare rules, TFLiteArithmetic.swift); a corrupted or hand-edited
// scale can ask for a ratio of 2^30 or more, which no int8 rescale holds (shift ≤ 30, the
// verifier's range), or, for a Requantize, one so small that quantizeMultiplier rounds it to 0,
// which Sparrow's Requantize reads as "copy the codes". Checked where the operator and its tensors
// are known; without it the converter's own verification rejected the file ("converter bug … shift
// out of range"), naming neither the operator nor the cause.
import SparrowFormat
import SparrowKernels
import SparrowTFLite

extension TFLiteLowering {
    /// The current operator's per-tensor-quantized inputs and outputs with their scales, and its
    /// weights' scale for `channel`: "input 0 (tensor 1 'x', scale 3.9e+09), …".
    func scalesOfOperator(_ op: TFLiteOperator, channel: Int = 0) -> String {
        func one(_ role: String, _ t: Int) -> String? {
            guard t >= 0, t < graph.tensors.count, let q = graph.tensors[t].quantization, !q.scales.isEmpty else { return nil }
            let k = q.scales.count == 1 ? 0 : min(channel, q.scales.count - 1)
            let which = q.scales.count == 1 ? "" : " of channel \(k)"
            return "\(role) (tensor \(t) '\(graph.tensors[t].name)', scale\(which) \(ModelBuilder.number(q.scales[k])))"
        }
        let inputs = op.inputs.enumerated().compactMap { one("input \($0.offset)", $0.element) }
        let outputs = op.outputs.enumerated().compactMap { one(op.outputs.count == 1 ? "output" : "output \($0.offset)", $0.element) }
        return (inputs + outputs).joined(separator: ", ")
    }

    static let scaleAdvice = "Check these scales in the .tflite file: a ratio this far from 1 means a scale was corrupted "
        + "or edited by hand (or the model was quantized with a degenerate representative dataset); re-export the model "
        + "from its float source"

    /// Throws, naming the operator, its tensors and scales, when one of `rescales` (`what` names
    /// it: "output channel 3", "input 1") needs a shift beyond the format's: its real ratio `real`
    /// reaches 2^30, an output range vanishingly small next to what the inputs produce.
    func checkRescales(_ op: TFLiteOperator, _ rescales: [(what: String, rescale: Rescale, real: Double)],
                       channel: (Int) -> Int = { _ in 0 }) throws(ConversionError) {
        guard let k = rescales.firstIndex(where: { $0.rescale.shift > ModelBuilder.largestRequantizationShift }) else { return }
        let bad = rescales[k]
        throw fail("the \(bad.what) rescale needs a requantization multiplier of \(ModelBuilder.number(bad.real)) (shift "
                   + "\(bad.rescale.shift), at most \(ModelBuilder.largestRequantizationShift)), beyond the 2^30 an int8 operator "
                   + "can represent; its tensors: \(scalesOfOperator(op, channel: channel(k))). " + Self.scaleAdvice)
    }

    /// quantizeMultiplier(real) for a Requantize, whose zero multiplier means identity: a nonzero
    /// ratio that rounds to 0 (below 2^−32) or needs a shift beyond 30 is an error.
    func requantizeRescale(_ op: TFLiteOperator, _ real: Double) throws(ConversionError) -> Rescale {
        let r = Self.rescale(real)
        try checkRescales(op, [("output", r, real)])
        guard r.multiplier != 0 || real == 0 else {
            throw fail("the output rescale needs a requantization multiplier of \(ModelBuilder.number(real)), below the "
                       + "2^-32 an int8 rescale can represent (every output would be the zero point); its tensors: "
                       + "\(scalesOfOperator(op)). " + Self.scaleAdvice)
        }
        return r
    }
}
