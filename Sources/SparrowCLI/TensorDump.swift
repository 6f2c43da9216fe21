import Foundation
import SparrowFormat
import SparrowNPY
import SparrowRuntime

/// `sparrow run --dump-tensors DIR`: after each operator of the first sample, writes every
/// int8 tensor it produced, dequantized to float32 in the file's layout (NHWC for 4-D), plus a
/// manifest. Tests/Fixtures/check_against_onnxruntime.py compares them op by op with
/// onnxruntime's intermediate values for the same input.
struct TensorDumper: InvokeObserver {
    let interpreter: Interpreter
    let directory: URL
    var manifest: [[String: Any]] = []
    var failure: Error?

    init(interpreter: Interpreter, directory: URL) {
        self.interpreter = interpreter
        self.directory = directory
    }

    mutating func willRun(op: Int, opcode: OpCode) {}

    mutating func didRun(op: Int, opcode: OpCode) {
        let m = interpreter.model
        let o = m.op(op)
        for k in 0..<Int(o.outputCount) {
            let index = m.output(o, k)
            let t = m.tensor(index)
            guard t.dtype == .int8, t.quant == .perTensor else { continue }
            var codes = Array(interpreter.tensorBytes(index).bindMemory(to: Int8.self))
            let shape = (0..<Int(t.rank)).map { Int(t.dim($0)) }
            if opcode == .quantize && interpreter.isFusedInputConversion(quantize: op) {
                // The fused quantize-transpose pass left [N, C, H, W]'s codes in NHWC order: dump
                // them in the tensor's own order, so a checker can replay the Transpose on them.
                let (n, c, pixels) = (shape[0], shape[1], shape[2] * shape[3])
                var ordered = codes
                for i in 0..<n { for p in 0..<pixels { for ch in 0..<c { ordered[(i * c + ch) * pixels + p] = codes[(i * pixels + p) * c + ch] } } }
                codes = ordered
            }
            let values = codes.map { Float(Int32($0) - t.zeroPoint) * t.scale }
            let file = String(format: "%03d_t%d.npy", op, index)
            do {
                try NPYArray(floats: values, shape: shape).write(path: directory.appendingPathComponent(file).path)
            } catch {
                failure = error
            }
            // Activation inputs (arena tensors), so a checker can replay this op alone on them.
            let inputs = (0..<Int(o.inputCount)).map { m.input(o, $0) }.filter { $0 >= 0 && m.tensor($0).storage != .constant }
            manifest.append(["op": op, "opcode": "\(opcode.name)", "opName": m.opNameString(op), "inputs": inputs,
                             "tensor": index, "name": m.tensorNameString(index), "file": file, "shape": shape,
                             "scale": Double(t.scale), "zeroPoint": Int(t.zeroPoint)])
        }
    }

    /// Runs the first sample of `inputs` (one float array per graph input, in the model's input
    /// layout) with the dumper attached.
    static func dump(_ loaded: HostModel, firstSample inputs: [[Float]], to path: String) throws {
        let directory = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (k, input) in inputs.enumerated() {
            guard input.count >= BatchPlan.inputElements(loaded.model, k) else {
                throw CLIError("--dump-tensors: input \(k) has fewer values than one sample")
            }
            input.withUnsafeBufferPointer { loaded.interpreter.loadInput(k, from: $0.baseAddress!) }
        }
        var dumper = TensorDumper(interpreter: loaded.interpreter, directory: directory)
        _ = loaded.invoke(fullDepth: true, observer: &dumper)
        if let failure = dumper.failure { throw CLIError("--dump-tensors: \(failure)") }
        let json = try JSONSerialization.data(withJSONObject: ["tensors": dumper.manifest], options: [.prettyPrinted, .sortedKeys])
        try json.write(to: directory.appendingPathComponent("manifest.json"))
        print("dumped \(dumper.manifest.count) int8 tensors of sample 0 to \(path)")
    }
}
