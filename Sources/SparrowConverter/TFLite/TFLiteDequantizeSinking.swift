// TF's converter sometimes leaves data movement in float32 after a DEQUANTIZE, even in a model
// converted with TFLITE_BUILTINS_INT8 only (the `shape` fixture: RESHAPE and STRIDED_SLICE of a
// dequantized input). Moving codes and then dequantizing gives the same float32 bits as
// dequantizing and then moving floats — `(q − zp)·s` does not care where q was copied from, and
// a float PAD's 0.0 is the dequantized zero point — so such operators are rewritten to run on
// the int8 codes, and the DEQUANTIZE moves to where a float32 value is really needed (a graph
// output, or an operator that computes in float). The result is byte-exact with LiteRT.
//
// Arithmetic in float (a head after a DEQUANTIZE) is not rewritten: it is reported by
// `TFLiteLowering.checkNoFloatArithmetic` with the way out (convert the float model with
// calibration).
import SparrowTFLite

enum TFLiteDequantizeSinking {
    /// Operators whose float32 output is a copy of (some of) their float32 data input's values,
    /// with which input carries the data; PAD also writes 0.0.
    static let movement: [TFLiteBuiltinOperator: Int] = [.reshape: 0, .squeeze: 0, .stridedSlice: 0, .pad: 0]

    /// The model with float32 data movement after DEQUANTIZE moved onto int8 codes, and for each
    /// of its operators the index of the model's operator it comes from (errors name that one).
    /// Models without such operators come back unchanged.
    static func rewrite(_ model: TFLiteModel) -> (model: TFLiteModel, originalIndex: [Int]) {
        var g = model.graph
        // Float tensors known to equal the dequantization of an int8 activation: the int8 tensor.
        var source: [Int: Int] = [:]
        var retyped: Set<Int> = []
        var dropped: Set<Int> = []   // indices of DEQUANTIZE operators whose output no one reads as float
        for (k, op) in g.operators.enumerated() {
            let code = model.opcode(of: op).builtin
            guard op.outputs.count == 1 else { continue }
            if code == .dequantize, op.inputs.count == 1, op.inputs[0] >= 0 {
                let x = g.tensors[op.inputs[0]], y = g.tensors[op.outputs[0]]
                if x.type == .int8, model.data(of: x).isEmpty, y.type == .float32, x.quantization?.scales.count == 1 {
                    source[op.outputs[0]] = op.inputs[0]
                }
                continue
            }
            guard let data = movement[code], data < op.inputs.count, op.inputs[data] >= 0,
                  let x = source[op.inputs[data]], g.tensors[op.outputs[0]].type == .float32 else { continue }
            // The output becomes an int8 tensor with the source's quantization; the operator reads
            // the int8 source directly.
            let y = op.outputs[0]
            g.tensors[y].type = .int8
            g.tensors[y].quantization = g.tensors[x].quantization
            g.operators[k].inputs[data] = x
            source[y] = y
            retyped.insert(y)
        }
        guard !retyped.isEmpty else { return (model, Array(model.graph.operators.indices)) }
        // Where a retyped tensor is still wanted in float32 (graph output, float consumer), a
        // DEQUANTIZE after its producer writes a float32 tensor with the original name.
        let template = g.operators.first { model.opcode(of: $0).builtin == .dequantize }!
        var operators: [TFLiteOperator] = [], original: [Int] = []
        for k in g.operators.indices {
            let op = g.operators[k]   // read live: earlier iterations redirect readers
            operators.append(op)
            original.append(k)
            guard let y = op.outputs.first, retyped.contains(y) else { continue }
            let readers = g.operators.indices.filter { j in
                j > k && g.operators[j].inputs.contains(y) && movement[model.opcode(of: g.operators[j]).builtin] == nil
            }
            guard g.outputs.contains(y) || !readers.isEmpty else { continue }
            var float = g.tensors[y]
            float.type = .float32
            float.quantization = nil
            g.tensors[y].name += "/int8"
            g.tensors.append(float)
            let f = g.tensors.count - 1
            var dequantize = template
            dequantize.inputs = [y]
            dequantize.outputs = [f]
            operators.append(dequantize)
            original.append(k)
            g.outputs = g.outputs.map { $0 == y ? f : $0 }
            for j in readers { g.operators[j].inputs = g.operators[j].inputs.map { $0 == y ? f : $0 } }
        }
        // A DEQUANTIZE whose float output nothing reads any more (every reader moved to the codes).
        for (k, op) in operators.enumerated() where model.opcode(of: op).builtin == .dequantize {
            let y = op.outputs[0]
            if !g.outputs.contains(y), !operators.contains(where: { $0.inputs.contains(y) }) { dropped.insert(k) }
        }
        let kept = operators.indices.filter { !dropped.contains($0) }
        g.operators = kept.map { operators[$0] }
        var rewritten = model
        rewritten.graph = g
        return (rewritten, kept.map { original[$0] })
    }
}
