// sparrow-device: the program that runs on the board.
//   run MODEL --input [NAME=]X.npy ... [--output Y.npy] [--output-dir DIR] [--exit-index E.npy] [--full-depth]
//       [--mac-budget N] [--deadline-us T]   anytime: answer from the deepest exit within budget
//   info MODEL
// Memory: the model file, the input file and the output buffer are each read/allocated once
// at start (posix_memalign, sized from the files and the model header); the arena is ONE
// allocation of exactly the header's arenaSize. The runtime modules themselves are compiled
// with -no-allocations, so nothing allocates while inferences run.

import SparrowFormat
import SparrowNPY
import SparrowRuntime

let arguments = CommandArguments()
let out = Console.standardOutput
let err = Console.standardError

func printUsage(to console: Console) {
    console.writeLine("usage: sparrow-device run MODEL.sparrow --input [NAME=]X.npy ... [--output Y.npy] [--output-dir DIR]")
    console.writeLine("              [--exit-index E.npy] [--full-depth] [--mac-budget N] [--deadline-us T]")
    console.writeLine("              (a model with several inputs takes --input NAME=FILE for each; --output-dir DIR")
    console.writeLine("              writes every graph output as DIR/<output name>.npy, DIR must exist;")
    console.writeLine("              --mac-budget/--deadline-us answer from the deepest exit within N MACs /")
    console.writeLine("              T microseconds per sample; exit index -1 = no exit fits)")
    console.writeLine("       sparrow-device info MODEL.sparrow")
    console.writeLine("       sparrow-device bench MODEL.sparrow --input [NAME=]X.npy ... [--labels Y.npy] [--warmup N] [--iterations N | --duration S]")
    console.writeLine("              [--json OUT.json] [--csv OUT.csv] [--power auto|hwmon|powercap|model|none] [--board NAME]")
    console.writeLine("              [--idle-watts W --load-watts W --power-source TEXT] [--sysfs-root DIR] [--sweep-exits] [--quiet]")
    console.writeLine("              [--mac-budget N] [--deadline-us T] [--sweep-budgets]")
    console.writeLine("              (all options: Docs/harness.md)")
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
    guard let inputPath = arguments.value(of: "--input") else { printUsage(to: err); return 2 }
    let batch: LoadedBatch
    let fullDepth = arguments.firstIndex(of: "--full-depth") != nil
    var outputDirectory: OutputDirectory? = nil
    do {
        batch = try loadBatch(modelPath: modelPath, inputPath: inputPath)
        try checkWritable(arguments.value(of: "--output"))
        try checkWritable(arguments.value(of: "--exit-index"))
        if let directory = arguments.value(of: "--output-dir") {
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
    if let text = arguments.value(of: "--mac-budget") {
        guard let n = CommandArguments.parseCount(text) else {
            err.writeLine("sparrow-device: --mac-budget needs a whole number of multiply-accumulates"); return 2
        }
        budget.maxMacs = UInt64(n)
    }
    if let text = arguments.value(of: "--deadline-us") {
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
    if let outputPath = arguments.value(of: "--output") {
        do { try Platform.writeFile(path: outputPath, bytes: UnsafeRawBufferPointer(outputFile)) } catch {
            report(error, path: outputPath); return 1
        }
    }
    if let outputDirectory {
        do { try outputDirectory.write() } catch { return 1 }
    }
    if let exitPath = arguments.value(of: "--exit-index") {
        do { try Platform.writeFile(path: exitPath, bytes: UnsafeRawBufferPointer(exitFile)) } catch {
            report(error, path: exitPath); return 1
        }
    }
    return 0
}

var status: Int32 = 2
if arguments.argument(1, is: "info"), let path = arguments[2] {
    status = infoCommand(path: path)
} else if arguments.argument(1, is: "bench"), let path = arguments[2] {
    status = benchCommand(modelPath: path)
} else if arguments.argument(1, is: "run"), let path = arguments[2] {
    status = runCommand(modelPath: path)
} else if arguments.argument(1, is: "--help") || arguments.argument(1, is: "help") {
    printUsage(to: out)
    status = 0
} else {
    printUsage(to: err)
}
Platform.exit(status)
