// sparrow-device: the program that runs on the board.
//   run MODEL --input [NAME=]X.npy ... [--output Y.npy] [--output-dir DIR] [--exit-index E.npy] [--full-depth]
//       [--mac-budget N] [--deadline-us T]   anytime: answer from the deepest exit within budget
//   bench MODEL --input [NAME=]X.npy ... [...]   (BenchCommand.swift)
//   info MODEL
// The options, and the errors for unknown, misplaced or host-only ones, are SparrowCommandLine's
// grammar, shared with `sparrow run` / `sparrow bench`: a usage error exits 2, naming the argument.
// Memory: the model file, the input file and the output buffer are each read/allocated once
// at start (posix_memalign, sized from the files and the model header); the arena is ONE
// allocation of exactly the header's arenaSize. The runtime modules themselves are compiled
// with -no-allocations, so nothing allocates while inferences run.

import SparrowCommandLine
import SparrowFormat
import SparrowHarness
import SparrowNPY
import SparrowRuntime

let arguments = CommandArguments()
let out = Console.standardOutput
let err = Console.standardError

func printUsage(to console: Console) {
    console.writeLine("usage: sparrow-device run MODEL.sparrow --input [NAME=]X.npy ... [--output Y.npy] [--output-dir DIR] [--exit-index E.npy]")
    console.writeLine("              [--labels L.npy] [--full-depth] [--mac-budget N] [--deadline-us T]")
    console.writeLine("       sparrow-device bench MODEL.sparrow --input [NAME=]X.npy ... [--labels L.npy] [--iterations N | --duration S] [--json OUT.json] ...")
    console.writeLine("       sparrow-device info MODEL.sparrow")
    console.writeLine("       sparrow-device COMMAND --help   (every option of a command)")
}

/// `sparrow-device COMMAND --help`: what it does and every option, from the shared grammar.
func printHelp(_ command: GrammarCommand) {
    switch command {
    case .run:
        out.writeLine("usage: sparrow-device run MODEL.sparrow --input [NAME=]X.npy ... [options]")
        out.writeLine()
        out.writeLine("Verifies the model and runs every sample of X through it; prints latency, MACs, exits.")
        out.writeLine("A model with several inputs takes --input NAME=FILE for each; --output-dir DIR must exist.")
    case .bench:
        out.writeLine("usage: sparrow-device bench MODEL.sparrow --input [NAME=]X.npy ... [options]")
        out.writeLine()
        out.writeLine("Latency percentiles, per-operator profile, accuracy, peak memory and energy (Docs/harness.md).")
    case .info:
        out.writeLine("usage: sparrow-device info MODEL.sparrow")
        out.writeLine()
        out.writeLine("Verifies the model and prints its size, arena, operators, MACs, inputs and outputs.")
    }
    if command != .info { out.writeLine(); out.writeLine("options:") }
    CommandGrammar.writeHelp(command) { out.write(bytes: $0) }
}

/// `sparrow-device run: unknown option --ouput (see --help)` — the host's words.
func report(_ problem: GrammarProblem, _ command: GrammarCommand) {
    err.write("sparrow-device "); err.write(command.name); err.write(": ")
    err.write(problem.before)
    if let index = problem.argumentIndex { err.write(bytes: arguments.bytes(index)) }
    err.writeLine(problem.after)
}

/// Reports a file error as `sparrow-device: PATH: what (errno N)` on stderr.
func report(_ error: PlatformError, path: UnsafePointer<CChar>) {
    err.write("sparrow-device: ")
    err.write(cString: path)
    err.write(": ")
    err.write(error.summary)
    switch error {
    case .openFailed(let code), .createFailed(let code), .sizeUnavailable(let code):
        err.write(" (errno ")
        err.write(Int(code))
        err.write(")")
    default:
        break
    }
    err.writeLine()
}

/// `invalid model: operators[3] strideH: parameter out of range (value 0, limit 65536)` — the same words as the host.
func report(_ e: ModelError, path: UnsafePointer<CChar>) {
    err.write("sparrow-device: ")
    err.write(cString: path)
    err.write(": invalid model: ")
    err.write(e.section.name)
    if e.index >= 0 { err.write("["); err.write(e.index); err.write("]") }
    if e.field.utf8CodeUnitCount > 0 { err.write(" "); err.write(e.field) }
    err.write(": ")
    err.write(e.reason.message)
    err.write(" (value ")
    err.write(e.value)
    if e.limit != 0 { err.write(", limit "); err.write(e.limit) }
    err.writeLine(")")
}

/// Reads and verifies a model; exits with a message on failure.
func loadModel(_ path: UnsafePointer<CChar>) -> VerifiedModel {
    let bytes: UnsafeMutableRawBufferPointer
    do { bytes = try Platform.readWholeFile(path: path) } catch { report(error, path: path); Platform.exit(1) }
    do { return try VerifiedModel.verify(UnsafeRawBufferPointer(bytes)) } catch { report(error, path: path); Platform.exit(1) }
}

func infoCommand(path: UnsafePointer<CChar>) -> Int32 {
    let model = loadModel(path)
    out.write("model: "); out.write(cString: path); out.writeLine(" (verified)")
    out.write("size: "); out.write(model.file.count); out.writeLine(" bytes")
    out.write("arena: "); out.write(model.arenaSize); out.writeLine(" bytes (one allocation at start)")
    out.write("operators: "); out.write(model.operatorCount); out.writeLine()
    out.write("tensors: "); out.write(model.tensorCount); out.writeLine()
    out.write("MACs: "); out.write(model.totalMacs); out.writeLine()
    out.write("exits: "); out.write(model.exitCount); out.writeLine()
    // The names `run --input NAME=FILE` takes and `--output-dir` writes (as `<name>.npy`).
    for k in 0..<model.inputCount { writePort("input", model, model.graphInput(k)) }
    for k in 0..<model.outputCount { writePort("output", model, model.graphOutput(k)) }
    for k in 0..<model.operatorCount {
        out.write("  ["); out.write(k); out.write("] "); out.write(model.opcode(k).name)
        out.write(" '"); out.write(bytes: model.opName(k)); out.write("' MACs ")
        out.write(model.op(k).macs); out.writeLine()
    }
    return 0
}

/// `input 'image' [1,1,16,16]`
func writePort(_ kind: StaticString, _ model: VerifiedModel, _ tensor: Int) {
    let t = model.tensor(tensor)
    out.write(kind); out.write(" '"); out.write(bytes: model.tensorName(tensor)); out.write("' [")
    for d in 0..<Int(t.rank) {
        if d > 0 { out.write(",") }
        out.write(Int(t.dim(d)))
    }
    out.writeLine("]")
}

func runCommand(modelPath: UnsafePointer<CChar>) -> Int32 {
    guard let inputPath = arguments.value(of: .input) else { return 2 }  // checked by the grammar
    let batch: LoadedBatch
    var labels: UnsafePointer<Int64>? = nil
    let fullDepth = arguments.has(.fullDepth)
    var outputDirectory: OutputDirectory? = nil
    do {
        batch = try loadBatch(modelPath: modelPath, inputPath: inputPath)
        if let labelsPath = arguments.value(of: .labels) { labels = try readLabels(path: labelsPath, sampleCount: batch.plan.sampleCount) }
        try checkWritable(arguments.value(of: .output))
        try checkWritable(arguments.value(of: .exitIndex))
        if let directory = arguments.value(of: .outputDir) {
            guard batch.model.exitCount == 0 || fullDepth else {
                err.writeLine("sparrow-device: --output-dir writes every graph output, which an early exit leaves uncomputed: add --full-depth (or use --output for the taken exit's output)")
                return 2
            }
            outputDirectory = try OutputDirectory(model: batch.model, sampleCount: batch.plan.sampleCount, directory: directory)
        }
    } catch { return 1 }
    let model = batch.model, interpreter = batch.interpreter, plan = batch.plan
    guard let headerLength = plan.outputHeaderLength else { err.writeLine("sparrow-device: output shape too large"); return 1 }
    let outputFile: UnsafeMutableRawBufferPointer
    let exitFile: UnsafeMutableRawBufferPointer
    let exitHeaderLength = plan.exitIndexHeaderLength
    do {
        outputFile = try Platform.allocateAligned(byteCount: headerLength + plan.sampleCount * plan.outputElements * 4)
        exitFile = try Platform.allocateAligned(byteCount: exitHeaderLength + plan.sampleCount * 8)
    } catch { report(error, path: inputPath); return 1 }
    _ = plan.writeOutputHeader(into: UnsafeMutableRawBufferPointer(rebasing: outputFile[0..<headerLength]))
    _ = plan.writeExitIndexHeader(into: UnsafeMutableRawBufferPointer(rebasing: exitFile[0..<exitHeaderLength]))
    let y = (outputFile.baseAddress! + headerLength).assumingMemoryBound(to: Float.self)
    let exits = (exitFile.baseAddress! + exitHeaderLength).assumingMemoryBound(to: Int64.self)
    var budget = InvokeBudget.unlimited
    var deadlineNanoseconds: UInt64 = .max
    if let text = arguments.value(of: .macBudget) {
        guard let n = CommandArguments.parseCount(text) else {
            err.writeLine("sparrow-device: --mac-budget needs a whole number of multiply-accumulates"); return 2
        }
        budget.maxMacs = UInt64(n)
    }
    if let text = arguments.value(of: .deadlineUs) {
        guard let t = CommandArguments.parseCount(text), t < Int(UInt32.max) else {
            err.writeLine("sparrow-device: --deadline-us needs a whole number of microseconds"); return 2
        }
        deadlineNanoseconds = UInt64(t) * 1000
    }
    let anytime = budget.maxMacs != .max || deadlineNanoseconds != .max
    guard !anytime || outputDirectory == nil else {
        err.writeLine("sparrow-device: --output-dir writes every graph output, which a budget may leave uncomputed: use --output with --mac-budget/--deadline-us")
        return 2
    }
    var unanswered = 0
    // Exit histogram: up to 8 exits counted on the stack (the format allows more; they fold into the last).
    var histogram: (Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0)
    var macs: UInt64 = 0
    let start = Platform.monotonicNanoseconds()
    for i in 0..<plan.sampleCount {
        var e: Int
        if anytime {
            // The deadline counts from the start of this sample.
            if deadlineNanoseconds != .max { budget.deadlineNanoseconds = Platform.monotonicNanoseconds() &+ deadlineNanoseconds }
            let r = interpreter.runSample(plan, index: i, inputs: batch.inputTable, output: y, fullDepth: fullDepth,
                                          budget: budget, clock: DeviceClock())
            macs &+= r.macs
            guard r.exitIndex >= 0 || r.stop == .final else { unanswered += 1; exits[i] = -1; continue }
            e = r.exitIndex < 0 ? 0 : r.exitIndex
        } else {
            let r = interpreter.runSample(plan, index: i, inputs: batch.inputTable, output: y,
                                          allOutputs: outputDirectory.map { UnsafePointer($0.data) }, fullDepth: fullDepth)
            macs &+= r.macs
            e = r.exitIndex < 0 ? 0 : r.exitIndex
        }
        exits[i] = Int64(e)
        switch min(e, 7) {
        case 0: histogram.0 += 1
        case 1: histogram.1 += 1
        case 2: histogram.2 += 1
        case 3: histogram.3 += 1
        case 4: histogram.4 += 1
        case 5: histogram.5 += 1
        case 6: histogram.6 += 1
        default: histogram.7 += 1
        }
    }
    let elapsed = Platform.monotonicNanoseconds() &- start
    out.write("samples: "); out.write(plan.sampleCount); out.writeLine()
    out.write("latency: ")
    // microseconds per sample with 3 decimals = nanoseconds / samples as a fixed-point value
    out.writeFixedPoint(Int64(elapsed / UInt64(plan.sampleCount)), fractionDigits: 6)
    out.writeLine(" ms per sample (mean over the batch)")
    out.write("average MACs: "); out.write(macs / UInt64(plan.sampleCount)); out.writeLine()
    if model.exitCount > 0 {
        out.write("exits:")
        var h = histogram
        withUnsafeBytes(of: &h) { raw in
            let counts = raw.bindMemory(to: Int.self)
            for e in 0..<min(model.exitCount, 8) {
                out.write(" exit "); out.write(e); out.write(": "); out.write(counts[e])
                if e + 1 < min(model.exitCount, 8) { out.write(",") }
            }
        }
        out.writeLine()
    }
    if anytime {
        out.write("no exit within the budget: "); out.write(unanswered); out.writeLine(" samples (exit index -1, output zeros)")
    }
    if let labels { printAccuracy(outputs: y, labels: labels, samples: plan.sampleCount, width: plan.outputElements) }
    if let outputPath = arguments.value(of: .output) {
        do { try Platform.writeFile(path: outputPath, bytes: UnsafeRawBufferPointer(outputFile)) } catch {
            report(error, path: outputPath); return 1
        }
    }
    if let outputDirectory {
        do { try outputDirectory.write() } catch { return 1 }
    }
    if let exitPath = arguments.value(of: .exitIndex) {
        do { try Platform.writeFile(path: exitPath, bytes: UnsafeRawBufferPointer(exitFile)) } catch {
            report(error, path: exitPath); return 1
        }
    }
    return 0
}

/// `accuracy: 97.00 % (97 / 100)`, as `sparrow run --labels` prints it: arg-max of each output row
/// (ties to the lowest index) against the label.
func printAccuracy(outputs: UnsafePointer<Float>, labels: UnsafePointer<Int64>, samples: Int, width: Int) {
    var correct = 0
    for i in 0..<samples {
        var best = 0
        for j in 1..<max(width, 1) where outputs[i * width + j] > outputs[i * width + best] { best = j }
        if widenSigned(best) == labels[i] { correct += 1 }
    }
    out.write("accuracy: ")
    // Hundredths of a percent, rounded half up like the host's %.2f on these exact ratios.
    out.writeFixedPoint((widenSigned(correct) * 20_000 + widenSigned(samples)) / (2 * widenSigned(samples)), fractionDigits: 2)
    out.write(" % ("); out.write(correct); out.write(" / "); out.write(samples); out.writeLine(")")
}

func commandNamed(_ index: Int) -> GrammarCommand? {
    if arguments.argument(index, is: "run") { return .run }
    if arguments.argument(index, is: "bench") { return .bench }
    if arguments.argument(index, is: "info") { return .info }
    return nil
}

var status: Int32 = 2
if let command = commandNamed(1) {
    CommandArguments.command = command
    let scan = arguments.scan(command)
    if scan.help {
        printHelp(command)
        status = 0
    } else if let problem = scan.problem {
        report(problem, command)
    } else if let path = arguments[scan.modelIndex] {
        switch command {
        case .run: status = runCommand(modelPath: path)
        case .bench: status = benchCommand(modelPath: path)
        case .info: status = infoCommand(path: path)
        }
    }
} else if arguments.argument(1, is: "--help") || arguments.argument(1, is: "-h") || arguments.argument(1, is: "help") {
    if let command = commandNamed(2) { printHelp(command) } else { printUsage(to: out) }
    status = 0
} else if arguments.count > 1 {
    err.write("sparrow-device: unknown command '"); err.write(bytes: arguments.bytes(1)); err.writeLine("'")
    err.writeLine()
    printUsage(to: err)
} else {
    printUsage(to: err)
}
Platform.exit(status)
