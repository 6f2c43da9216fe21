// The range check on requantization multipliers, made where the node, its tensors and their
// ranges are known. quantizeMultiplier writes a real ratio r as m·2^(shift−31) with m in
// [2^30, 2^31); the kernels (and the verifier) take shift ≤ 30, so r must stay below 2^30. A
// larger r means one step of the int32 accumulator is worth more than 2^30 output codes: the
// output range is absurdly small next to what the inputs and weights can produce (calibration
// samples of 1e30 against a near-constant output, weights of 1e-40 with a finite output range).
// Without this check the converter's own verification rejected the file ("converter bug … shift
// out of range"), naming neither the layer nor the cause.
import Foundation
import SparrowFormat

extension ModelBuilder {
    /// The largest shift the requantization kernels take (Rescale.check in SparrowFormat).
    static let largestRequantizationShift: Int32 = 30

    /// Throws a `.formatLimit` error naming `node` when a conv/FC layer's output channel needs a
    /// multiplier the format cannot hold. `weights` are the float weights, `channelOf` maps a flat
    /// weight index to its output channel.
    func checkLayerRequantization(_ node: IRNode, shifts: [Int32], inQ: ActivationQuant, weightScales: [Float],
                                  outQ: ActivationQuant, weightName: String, weights: [Float]) throws(ConversionError) {
        guard let channel = shifts.firstIndex(where: { $0 > Self.largestRequantizationShift }) else { return }
        let ratio = Double(inQ.scale) * Double(weightScales[channel]) / Double(outQ.scale)
        let lo = weights.min() ?? 0, hi = weights.max() ?? 0
        throw ConversionError(
            .formatLimit, node: node.name, op: node.op.name,
            "output channel \(channel) needs a requantization multiplier of \(Self.number(ratio)) (input scale "
                + "\(Self.number(inQ.scale)) × weight scale \(Self.number(weightScales[channel])) / output scale "
                + "\(Self.number(outQ.scale))), beyond the 2^30 an int8 layer can represent; input range "
                + "\(Self.range(inQ)), weights '\(weightName)' range [\(Self.number(lo)), \(Self.number(hi))], output range "
                + "\(Self.range(outQ)). The output is vanishingly small next to what the inputs and weights can produce: "
                + Self.requantizationAdvice)
    }

    /// The same check for the rescales of an operator whose parameters come from a kernel's
    /// `prepare` (Add, Mul, Concat, Mean, PRelu): `rescales` name each one ("input 1", "output").
    func checkRequantization(_ node: IRNode, _ rescales: [(what: String, rescale: Rescale)],
                             inputs: [ActivationQuant], output: ActivationQuant) throws(ConversionError) {
        guard let bad = rescales.first(where: { $0.rescale.shift > Self.largestRequantizationShift }) else { return }
        let ranges = inputs.enumerated().map { "input \($0.offset + 1) \(Self.range($0.element))" }.joined(separator: ", ")
        throw ConversionError(
            .formatLimit, node: node.name, op: node.op.name,
            "the \(bad.what) rescale needs a multiplier beyond the 2^30 int8 requantization can represent "
                + "(shift \(bad.rescale.shift), at most \(Self.largestRequantizationShift)); \(ranges), output range "
                + "\(Self.range(output)). The output is vanishingly small next to its inputs: " + Self.requantizationAdvice)
    }

    static let requantizationAdvice = "check the weights and calibration samples for absurd magnitudes "
        + "(values like 1e30 or 1e-40), or calibrate with data that gives this layer a realistic output range"

    /// The real interval an activation's int8 codes cover.
    static func range(_ q: ActivationQuant) -> String {
        "[\(number(q.dequantize(-128))), \(number(q.dequantize(127)))]"
    }

    static func number(_ x: some BinaryFloatingPoint) -> String { String(format: "%.3g", Double(x)) }
}
