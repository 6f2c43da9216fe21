import Foundation
import SparrowFormat
import SparrowNPY
import SparrowRuntime
import SparrowConverter

enum RunCommand {
    static let usage = """
    usage: sparrow run MODEL.sparrow --input X.npy [options]

    Runs a converted model on the host with the same interpreter and kernels as the device
    (`sparrow-device run` takes the same options, except the host-only ones). Bad input —
    model, samples, labels, output paths — stops it before the first inference.

    """ + "\noptions:\n" + Arguments.optionHelp(.run)

    static func main(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, grammar: .run)
        if a.has("--help") { print(usage, terminator: ""); return 0 }
        guard let inputPath = a.value("--input") else { throw CLIError.usage("missing --input") }
        let loaded = try LoadedModel(path: a.positional[0])
        let input = try InputBatch(path: inputPath, model: loaded.model)
        let plan = input.plan
        // Everything that can be wrong is found before the first inference (Docs/harness.md).
        let labels = try a.value("--labels").map { try readLabels($0, count: plan.sampleCount) }
        for (option, what) in [("--output", "output"), ("--exit-index", "exit-index file")] {
            if let path = a.value(option) { try checkWritable(path, what: what) }
        }
        if let onnxPath = a.value("--compare"), !FileManager.default.isReadableFile(atPath: onnxPath) {
            throw CLIError("--compare: cannot read ONNX model '\(onnxPath)'")
        }
        let fullDepth = a.has("--full-depth")
        let start = DispatchTime.now().uptimeNanoseconds
        let batch = try loaded.interpreter.runBatch(inputFile: input.bytes, fullDepth: fullDepth)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let output = batch.outputs
        print("samples: \(plan.sampleCount)")
        print(String(format: "latency: %.3f ms per sample (host, mean over the batch)", seconds * 1000 / Double(plan.sampleCount)))
        print("average MACs: \(formatCount(batch.macs / UInt64(plan.sampleCount)))")
        if loaded.model.exitCount > 0 {
            var exitCounts = [Int](repeating: 0, count: loaded.model.exitCount)
            for e in batch.exitIndices { exitCounts[e] += 1 }
            let histogram = exitCounts.enumerated().map { "exit \($0.offset): \($0.element)" }.joined(separator: ", ")
            print("exits: \(histogram)")
        }
        if let outPath = a.value("--output") {
            try writeFileBytes(batch.outputFile, to: outPath, what: "output")
        }
        if let exitPath = a.value("--exit-index") {
            try writeFileBytes(batch.exitIndexFile, to: exitPath, what: "exit-index file")
        }
        if let labels {
            let correct = (0..<plan.sampleCount).filter { argmax(output, row: $0, width: plan.outputElements) == labels[$0] }.count
            print(String(format: "accuracy: %.2f %% (%d / %d)", 100 * Double(correct) / Double(plan.sampleCount), correct, plan.sampleCount))
        }
        if let dumpPath = a.value("--dump-tensors") {
            try TensorDumper.dump(loaded, firstSample: input.floats, to: dumpPath)
        }
        if let onnxPath = a.value("--compare") {
            try compare(onnxPath: onnxPath, input: input.floats, int8Output: output, plan: plan)
        }
        return 0
    }

    /// Runs the float model (our importer and float executor, which the tests check against
    /// onnxruntime) on the same samples and compares with the int8 outputs.
    static func compare(onnxPath: String, input: [Float], int8Output: [Float], plan: BatchPlan) throws {
        let graph = Passes.optimize(try ONNXImporter.importModel(path: onnxPath))
        let reference = try FloatExecutor.run(graph: graph, onnxLayoutInput: input, batch: plan.sampleCount)[0]
        guard reference.count == int8Output.count else {
            throw CLIError("--compare: the ONNX model's first output has \(reference.count) values, the Sparrow model \(int8Output.count)")
        }
        var maxError: Float = 0
        for i in 0..<reference.count { maxError = max(maxError, abs(reference[i] - int8Output[i])) }
        let agree = (0..<plan.sampleCount).filter {
            argmax(reference, row: $0, width: plan.outputElements) == argmax(int8Output, row: $0, width: plan.outputElements)
        }.count
        print(String(format: "compare with float %@: max abs error %.5f, top-1 agreement %.2f %% (%d / %d)",
                     onnxPath, maxError, 100 * Double(agree) / Double(plan.sampleCount), agree, plan.sampleCount))
    }
}
