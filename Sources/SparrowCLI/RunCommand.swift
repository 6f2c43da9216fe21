import Foundation
import SparrowFormat
import SparrowNPY
import SparrowRuntime
import SparrowConverter
import SparrowTFLite

enum RunCommand {
    static let usage = """
    usage: sparrow run MODEL.sparrow --input [NAME=]X.npy ... [options]

    Runs a converted model on the host with the same interpreter and kernels as the device
    (`sparrow-device run` takes the same options, except the host-only ones). Bad input —
    model, samples, labels, output paths — stops it before the first inference.

    """ + "\noptions:\n" + Arguments.optionHelp(.run)

    static func main(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, grammar: .run)
        if a.has("--help") { print(usage, terminator: ""); return 0 }
        guard let inputValues = a.options["--input"] else { throw CLIError.usage("missing --input") }
        let loaded = try loadModel(path: a.positional[0])
        defer { withExtendedLifetime(loaded) {} }  // `loaded.model` is read to the end
        if inputValues.count == 1, let code = try runQuantizedIO(a, model: loaded, inputPath: inputValues[0]) { return code }
        let inputs = try ModelInputs(inputValues, model: loaded.model)
        let plan = inputs.plan
        // Everything that can be wrong is found before the first inference (Docs/harness.md).
        let labels = try a.value("--labels").map { try readLabels($0, count: plan.sampleCount) }
        for (option, what) in [("--output", "output"), ("--exit-index", "exit-index file")] {
            if let path = a.value(option) { try checkWritable(path, what: what) }
        }
        let referenceFiles = try referenceOutputFiles(a, model: loaded.model)
        if referenceFiles == nil, let reference = a.value("--compare") {
            try checkCompareReference(reference, quantizedIO: false)
        }
        let fullDepth = a.has("--full-depth")
        let outputDir = a.value("--output-dir")
        for option in ["--output-dir", "--compare"] where a.value(option) != nil && loaded.model.exitCount > 0 && !fullDepth {
            throw CLIError.usage("\(option) reads every graph output, which an early exit leaves uncomputed: "
                                 + "add --full-depth (or use --output for the taken exit's output)")
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let batch = try loaded.runBatch(inputFiles: inputs.files.map(\.bytes), fullDepth: fullDepth,
                                        allOutputs: outputDir != nil || a.value("--compare") != nil)
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
        if let outputDir {
            try writeOutputDirectory(batch, model: loaded.model, to: outputDir)
        }
        if let exitPath = a.value("--exit-index") {
            try writeFileBytes(batch.exitIndexFile, to: exitPath, what: "exit-index file")
        }
        if let labels {
            let correct = (0..<plan.sampleCount).filter { argmax(output, row: $0, width: plan.outputElements) == labels[$0] }.count
            print(String(format: "accuracy: %.2f %% (%d / %d)", 100 * Double(correct) / Double(plan.sampleCount), correct, plan.sampleCount))
        }
        if let dumpPath = a.value("--dump-tensors") {
            try TensorDumper.dump(loaded, firstSample: inputs.floats, to: dumpPath)
        }
        if let referenceFiles {
            for (k, path) in referenceFiles.enumerated() {
                let got = try NPYArray(bytes: batch.allOutputFiles[k])
                try compareOutput(k, name: outputName(loaded.model, k), got: got, samples: plan.sampleCount, with: path)
            }
        } else if let reference = a.value("--compare") {
            try compare(onnxPath: reference, inputs: inputs.floats, batch: batch, model: loaded.model, plan: plan)
        }
        return 0
    }

    /// One `<output name>.npy` per graph output (OutputFileName, the device's rule too).
    static func writeOutputDirectory(_ batch: HostBatchResult, model: VerifiedModel, to path: String) throws {
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw CLIError("--output-dir \(path): cannot create the directory (\(error.localizedDescription))")
        }
        var buffer = [UInt8](repeating: 0, count: OutputFileName.maxStemBytes + 32)
        for (k, file) in batch.allOutputFiles.enumerated() {
            let length = buffer.withUnsafeMutableBytes { OutputFileName.write(model: model, output: k, into: $0) } ?? 0
            let name = String(decoding: buffer[0..<length], as: UTF8.self)
            try writeFileBytes(file, to: (path as NSString).appendingPathComponent(name), what: "output")
        }
        print("wrote \(batch.allOutputFiles.count) output\(batch.allOutputFiles.count == 1 ? "" : "s") to \(path)")
    }

    /// `--compare` takes a float model (ONNX, or float .tflite: our importer and float executor)
    /// or reference outputs (RunCommand+Compare.swift). An int8 .tflite needs LiteRT to run, which Sparrow does not
    /// link: the error says how to write LiteRT's outputs and compare with those.
    static func checkCompareReference(_ path: String, quantizedIO: Bool) throws {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw CLIError("--compare: cannot read '\(path)' (a float .onnx or .tflite model, or reference outputs .npy)")
        }
        guard path.lowercased().hasSuffix(".tflite") else { return }
        let model = try TFLiteModel.load(path: path)
        if quantizedIO || !TFLiteFloatImport.isFloatModel(model) {
            throw CLIError("--compare \(path): an int8 .tflite model runs only in LiteRT, which Sparrow does not link. "
                + "Where LiteRT is installed, write its reference-kernel outputs for the same samples with "
                + "`python3 Tests/Fixtures/tflite/litert_reference.py \(path) X.npy REF.npy` and pass --compare REF.npy "
                + "(every byte is compared)")
        }
    }

    /// Runs the float model (our importer and float executor, which the tests check against
    /// onnxruntime) on the same samples and compares every graph output with the int8 one. Input
    /// shapes come from the Sparrow model, so a model converted with --input-shape compares too.
    static func compare(onnxPath: String, inputs: [[Float]], batch: HostBatchResult, model: VerifiedModel, plan: BatchPlan) throws {
        var shapes: [String: [Int]] = [:]
        for k in 0..<model.inputCount {
            let t = model.tensor(model.graphInput(k))
            shapes[model.tensorNameString(model.graphInput(k))] = (0..<Int(t.rank)).map { Int(t.dim($0)) }
        }
        let graph = onnxPath.lowercased().hasSuffix(".tflite")
            ? Passes.optimize(try TFLiteFloatImport.importGraph(try TFLiteModel.load(path: onnxPath)))
            : Passes.optimize(try ONNXImporter.importModel(path: onnxPath, options: ImportOptions(inputShapes: shapes)))
        let names = graph.outputPorts.map(\.onnxName)
        let graphBatch = graph.inputPorts.first?.onnxShape.first ?? 1
        let reference = try FloatExecutor(graph: graph).run(onnxLayoutInputs: inputs, batch: plan.sampleCount * graphBatch)
        for k in 0..<model.outputCount {
            let name = model.tensorNameString(model.graphOutput(k))
            guard let r = names.firstIndex(of: name), k < batch.allOutputs.count else {
                throw CLIError("--compare: the ONNX model has no output '\(name)' (its outputs: \(names.joined(separator: ", ")))")
            }
            var int8 = batch.allOutputs[k]
            let float = reference[r]
            if model.tensor(model.graphOutput(k)).dtype == .int64 {
                // ArgMax indices: the buffer's words are int64s.
                int8 = int8.withUnsafeBytes { Array($0.bindMemory(to: Int64.self)) }.map { Float($0) }
            }
            guard float.count == int8.count else {
                throw CLIError("--compare: output '\(name)' has \(float.count) values in the ONNX model, \(int8.count) in the Sparrow model")
            }
            var maxError: Float = 0
            for i in 0..<float.count { maxError = max(maxError, abs(float[i] - int8[i])) }
            let width = int8.count / max(plan.sampleCount, 1)
            let agree = (0..<plan.sampleCount).filter { argmax(float, row: $0, width: width) == argmax(int8, row: $0, width: width) }.count
            print(String(format: "compare with float %@, output '%@': max abs error %.5f, top-1 agreement %.2f %% (%d / %d)",
                         onnxPath, name, maxError, 100 * Double(agree) / Double(plan.sampleCount), agree, plan.sampleCount))
        }
    }
}
