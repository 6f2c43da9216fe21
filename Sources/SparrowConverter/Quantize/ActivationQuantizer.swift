// Chooses the int8 parameters of every activation value of an IR graph, from calibrated float
// ranges or from the scales a QDQ model prescribes.
//
// Rules, applied in topological order:
//  - Ops whose kernels cannot rescale keep their input's parameters: MaxPool, AveragePool, MaxUnpool, Pad,
//    Reshape, Identity, Transpose, Resize, Slice, Gather (the verifier demands equal scale/zero point there).
//  - Softmax outputs are fixed at scale 1/256, zero point −128.
//  - Concat, Maximum and Minimum take their inputs' parameters when they all agree; otherwise
//    their own range, and each input is rescaled (Concat while copying, Maximum/Minimum by a
//    Requantize before the raw-code comparison).
//  - Everything else: the value's QDQ hint if it has one, else its calibrated range.

public enum ActivationQuantizer {
    /// Parameters per activation value id (graph inputs and node outputs; not constants).
    public static func assign(graph: IRGraph, ranges: [Int: ValueRange]) throws(ConversionError) -> [Int: ActivationQuant] {
        var result: [Int: ActivationQuant] = [:]

        func own(_ value: Int, node: IRNode?) throws(ConversionError) -> ActivationQuant {
            let v = graph.values[value]
            if let hint = v.quantization {
                guard let q = perTensor(hint) else {
                    throw ConversionError(.unsupported, node: node?.name, op: node?.op.name,
                                          "value '\(v.name)' has a per-channel activation quantization in the source model")
                }
                return q
            }
            guard let r = ranges[value] else {
                throw ConversionError(.calibration, node: node?.name, op: node?.op.name,
                                      "no range for value '\(v.name)': give calibration data (or a QDQ model)")
            }
            guard r.min.isFinite, r.max.isFinite else {
                throw ConversionError(.calibration, node: node?.name, op: node?.op.name,
                                      "value '\(v.name)' has a non-finite range [\(r.min), \(r.max)]")
            }
            return ActivationQuant(min: r.min, max: r.max)
        }

        for input in graph.inputs { result[input] = try own(input, node: nil) }
        for node in graph.nodes {
            let activationInputs = node.inputs.filter { $0 >= 0 && !graph.values[$0].isConstant }
            for output in node.outputs {
                switch node.op {
                case .maxPool, .averagePool, .maxUnpool, .pad, .reshape, .identity, .transpose, .resize, .slice, .gather:
                    guard let first = activationInputs.first, let q = result[first] else {
                        throw ConversionError(.unsupported, node: node.name, op: node.op.name, "input is not an activation")
                    }
                    result[output] = q
                case .softmax:
                    result[output] = .softmaxOutput
                case .logSoftmax:
                    result[output] = .logSoftmaxOutput
                case .concat, .maximum, .minimum:
                    let inputs = activationInputs.compactMap { result[$0] }
                    let allActivations = activationInputs.count == node.inputs.count
                    if allActivations, let q = inputs.first, inputs.allSatisfy({ $0 == q }) {
                        result[output] = q
                    } else {
                        result[output] = try own(output, node: node)
                    }
                default:
                    result[output] = try own(output, node: node)
                }
            }
        }
        return result
    }

    /// A per-tensor QDQ hint as int8 parameters (uint8 codes shift by 128 at the same scale).
    static func perTensor(_ hint: IRQuantization) -> ActivationQuant? {
        guard hint.axis == nil || hint.scales.count == 1, let scale = hint.scales.first, scale > 0, scale.isFinite else {
            return nil
        }
        let zero = hint.zeroPoints.first ?? 0
        return ActivationQuant(scale: scale, zeroPoint: hint.isSigned ? zero : zero - 128)
    }
}
