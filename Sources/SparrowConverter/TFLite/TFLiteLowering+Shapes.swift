// Shapes the lowering takes from the file. Each lowering checks what it computes with (ranks,
// the dimensions it indexes or divides by), but the consistency of a whole operator (an output
// height that fits its input, stride and padding; broadcastable operands; a filter depth equal to
// the input's channels) is proved once, by the runtime verifier every converted file goes
// through. A .tflite file whose recorded shapes disagree with its operators (corrupted or edited
// by hand) is rejected there; this turns that rejection into an error about the file, naming the
// operator, its opcode and its tensors' shapes, instead of "converter bug".
import SparrowRuntime
import SparrowTFLite

extension TFLiteLowering {
    /// The verifier's rejections that a file's shapes alone can cause.
    static let shapeReasons: Set<ModelError.Reason> = [.shapeMismatch, .wrongRank, .notPerChannelLength]

    /// An error naming the file's operator behind the Sparrow operator `error` is about, when the
    /// cause is a shape; nil otherwise (a converter bug, reported as such).
    func explainShapeRejection(_ error: ModelError) -> ConversionError? {
        guard error.section == .operators, Self.shapeReasons.contains(error.reason), error.index >= 0,
              error.index < emittedBy.count else { return nil }
        let k = emittedBy[error.index]
        let op = graph.operators[k]
        let file = k < originalIndex.count ? originalIndex[k] : k
        func shapes(_ ts: [Int], _ role: String) -> [String] {
            ts.enumerated().compactMap { (i, t) in
                t >= 0 && t < graph.tensors.count ? "\(role) \(i) (tensor \(t) '\(graph.tensors[t].name)') \(graph.tensors[t].shape)" : nil
            }
        }
        let list = (shapes(op.inputs, "input") + shapes(op.outputs, "output")).joined(separator: ", ")
        return ConversionError(.unsupported, node: "operator \(file)", op: model.opcode(of: op).displayName,
                               "the tensor shapes in the file do not fit this operator: \(list); \(error). Check these "
                               + "shapes in the .tflite file (it may be corrupted or edited by hand) or re-export the model")
    }
}
