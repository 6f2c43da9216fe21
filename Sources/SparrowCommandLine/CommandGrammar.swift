// The argument grammar of the commands both programs have — `run`, `bench`, `info` of
// `sparrow-device` and `sparrow run` / `sparrow bench` on the host — in one place, so the two
// tools accept the same options, refuse the same mistakes with the same words and document the
// same options. Device-clean: no Foundation, no allocation (options are an enum walked by raw
// value; names and help are StaticStrings; arguments are compared as bytes).

/// A command that exists on the device and, with the same options, on the host.
public enum GrammarCommand: UInt8 {
    case run, bench, info

    public var name: StaticString {
        switch self {
        case .run: return "run"
        case .bench: return "bench"
        case .info: return "info"
        }
    }

    /// Whether `option` belongs to this command, and on which tool.
    public func availability(of option: CommandOption) -> OptionAvailability {
        switch (self, option) {
        case (.run, .input), (.run, .output), (.run, .outputDir), (.run, .exitIndex), (.run, .labels), (.run, .fullDepth):
            return .everywhere
        case (.run, .compare), (.run, .dumpTensors):
            return .hostOnly
        case (.run, .macBudget), (.run, .deadlineUs):
            return .deviceOnly
        case (.bench, .input), (.bench, .labels), (.bench, .warmup), (.bench, .iterations), (.bench, .duration),
             (.bench, .maxIterations), (.bench, .json), (.bench, .csv), (.bench, .power), (.bench, .board),
             (.bench, .idleWatts), (.bench, .loadWatts), (.bench, .powerSource), (.bench, .sysfsRoot),
             (.bench, .sampleMs), (.bench, .idleSeconds), (.bench, .fullDepth), (.bench, .sweepExits),
             (.bench, .label), (.bench, .quiet), (.bench, .macBudget), (.bench, .deadlineUs), (.bench, .sweepBudgets):
            return .everywhere
        default:
            return .absent
        }
    }

    /// The options that take no value are switches; `run` and `bench` need `--input`.
    public var requiresInput: Bool { self != .info }
}

public enum OptionAvailability: Equatable {
    case everywhere
    /// Needs Foundation or the converter (e.g. `--compare` runs the float ONNX model): `sparrow`
    /// on the host has it, `sparrow-device` refuses it by name.
    case hostOnly
    /// Anytime inference (`--mac-budget`, `--deadline-us`) is the board's: `sparrow run` refuses
    /// it by name (`sparrow inspect --input --labels` prints the anytime profile on the host).
    case deviceOnly
    case absent
}

/// Every option of the shared commands, in the order `--help` lists them.
public enum CommandOption: UInt8 {
    case input, output, outputDir, exitIndex, labels, fullDepth, macBudget, deadlineUs, compare, dumpTensors
    case warmup, iterations, duration, maxIterations, json, csv, power, board, idleWatts, loadWatts, powerSource
    case sysfsRoot, sampleMs, idleSeconds, sweepExits, sweepBudgets, label, quiet

    /// All options in order (walk with `CommandOption(rawValue:)` from 0: no array, no allocation).
    public static var first: CommandOption { .input }
    public var next: CommandOption? { CommandOption(rawValue: rawValue &+ 1) }

    public var name: StaticString {
        switch self {
        case .input: return "--input"
        case .output: return "--output"
        case .outputDir: return "--output-dir"
        case .macBudget: return "--mac-budget"
        case .deadlineUs: return "--deadline-us"
        case .exitIndex: return "--exit-index"
        case .labels: return "--labels"
        case .fullDepth: return "--full-depth"
        case .compare: return "--compare"
        case .dumpTensors: return "--dump-tensors"
        case .warmup: return "--warmup"
        case .iterations: return "--iterations"
        case .duration: return "--duration"
        case .maxIterations: return "--max-iterations"
        case .json: return "--json"
        case .csv: return "--csv"
        case .power: return "--power"
        case .board: return "--board"
        case .idleWatts: return "--idle-watts"
        case .loadWatts: return "--load-watts"
        case .powerSource: return "--power-source"
        case .sysfsRoot: return "--sysfs-root"
        case .sampleMs: return "--sample-ms"
        case .idleSeconds: return "--idle-seconds"
        case .sweepExits: return "--sweep-exits"
        case .sweepBudgets: return "--sweep-budgets"
        case .label: return "--label"
        case .quiet: return "--quiet"
        }
    }

    /// The placeholder of the option's value; empty for a switch.
    public var valueName: StaticString {
        switch self {
        case .input: return "[NAME=]X.npy"
        case .outputDir: return "DIR"
        case .macBudget: return "N"
        case .deadlineUs: return "T"
        case .output: return "Y.npy"
        case .exitIndex: return "E.npy"
        case .labels: return "L.npy"
        case .compare: return "MODEL.onnx|MODEL.tflite|REF.npy"
        case .dumpTensors: return "DIR"
        case .warmup, .iterations, .maxIterations, .sampleMs: return "N"
        case .duration, .idleSeconds: return "S"
        case .json: return "OUT.json"
        case .csv: return "OUT.csv"
        case .power: return "SOURCE"
        case .board: return "NAME"
        case .idleWatts, .loadWatts: return "W"
        case .powerSource, .label: return "TEXT"
        case .sysfsRoot: return "DIR"
        case .fullDepth, .sweepExits, .sweepBudgets, .quiet: return ""
        }
    }

    public var takesValue: Bool { valueName.utf8CodeUnitCount > 0 }

    /// One line of `--help` (continuation lines are indented to the same column by the text).
    public func help(in command: GrammarCommand) -> StaticString {
        switch (self, command) {
        case (.input, _): return "float32 samples in the ONNX model's layout, samples first (e.g. [N,1,8,8]); a model with several inputs takes --input NAME=FILE for each; an int8/uint8 input (--input-type int8, a converted .tflite) takes float32 samples in its own layout, quantized on the host (int8 outputs are written dequantized), or in `sparrow run` int8/uint8 codes (written in the model's own output dtype)"
        case (.output, _): return "write the float32 (dequantized) outputs, one row per sample (the first graph output, or the exit each sample took)"
        case (.outputDir, _): return "write every graph output as DIR/<output name>.npy (characters other than A-Z a-z 0-9 . _ - become _)"
        case (.macBudget, .bench): return "anytime: answer from the deepest exit costing at most N MACs (no answer counts as wrong)"
        case (.deadlineUs, .bench): return "anytime: answer from the deepest exit finished within T µs of each inference's start"
        case (.macBudget, _): return "(device only) anytime: answer from the deepest exit within N MACs per sample (exit index -1 = none fits)"
        case (.deadlineUs, _): return "(device only) anytime: answer from the deepest exit within T microseconds per sample"
        case (.exitIndex, _): return "write the int64 index of the exit each sample took (0 = first exit)"
        case (.labels, .bench): return "int64 class labels, one per sample: top-1 accuracy in the record"
        case (.labels, _): return "int64 class labels, one per sample: prints top-1 accuracy"
        case (.fullDepth, _): return "never stop at an early exit"
        case (.compare, _): return "(host only) also run the float ONNX or float .tflite model, or read reference outputs (.npy, e.g. LiteRT's): max abs error, top-1 agreement; equal bytes for int8 models"
        case (.dumpTensors, _): return "(host only) write every int8 tensor of sample 0, dequantized, as .npy + manifest.json"
        case (.warmup, _): return "unmeasured inferences first (default 5)"
        case (.iterations, _): return "timed inferences (default 100), cycling through the samples"
        case (.duration, _): return "time the run instead: as many inferences as fit in S seconds"
        case (.maxIterations, _): return "with --duration: at most N inferences (default 100000; buffers are sized by it)"
        case (.json, _): return "write the sparrow-bench/1 JSON record (Docs/harness.md); `sparrow report` reads it"
        case (.csv, _): return "write iteration,sample,latency_ns,exit for every timed inference"
        case (.power, _): return "auto (default: hwmon, else powercap, else board figures), hwmon, powercap, model, none"
        case (.board, _): return "board whose idle/load watts give the energy estimate (sparrow reads Boards/NAME.json)"
        case (.idleWatts, _): return "idle power of the board for the estimate (with --load-watts)"
        case (.loadWatts, _): return "extra power of one busy core for the estimate (with --idle-watts)"
        case (.powerSource, _): return "where the watts come from, recorded with the estimate"
        case (.sysfsRoot, _): return "read power sensors under DIR instead of /sys (also SPARROW_SYSFS_ROOT)"
        case (.sampleMs, _): return "sensor sampling interval in ms (default 10)"
        case (.idleSeconds, _): return "idle-power window before the run when a sensor is read (default 1)"
        case (.sweepBudgets, _): return "early-exit models: accuracy/answers/MACs/latency at each exit's MAC cost (the anytime profile)"
        case (.sweepExits, _): return "early-exit models: accuracy/MACs/latency/energy across exit thresholds (needs --labels)"
        case (.label, _): return "name of this run in the record and in `sparrow report`"
        case (.quiet, _): return "no progress lines on stderr"
        }
    }

    /// The option spelled by `bytes` (exactly, no `=VALUE` form), if any.
    public static func named(_ bytes: UnsafeRawBufferPointer) -> CommandOption? {
        var option: CommandOption? = .first
        while let candidate = option {
            if GrammarText.equal(bytes, candidate.name) { return candidate }
            option = candidate.next
        }
        return nil
    }
}

/// What is wrong with a command line, in the words both tools print after `PROGRAM COMMAND: `.
public enum GrammarProblem: Equatable {
    /// `unknown option --ouput (see --help)`
    case unknownOption(index: Int)
    /// `option --input needs a value`
    case missingValue(index: Int)
    /// `--compare is only in `sparrow run` on the host (...)`
    case hostOnly(index: Int)
    /// `--mac-budget is device-only (...)`
    case deviceOnly(index: Int)
    /// `unexpected argument 'extra' (see --help)`
    case unexpectedArgument(index: Int)
    /// `missing MODEL.sparrow (see --help)`
    case missingModel
    /// `missing --input X.npy (see --help)`
    case missingInput
}

/// Which program is parsing: the device refuses host-only options.
public enum GrammarTool { case host, device }

/// The scan of one command line: the problem, if any, and whether `--help` was asked for.
public struct GrammarScan {
    public var problem: GrammarProblem? = nil
    public var help = false
    /// Index of the model path (the one positional argument), or -1.
    public var modelIndex = -1
}

public enum CommandGrammar {
    /// Scans `count` arguments from `start` (the argument after the command's name) by the grammar
    /// of `command`. `argument(i)` gives argument i's bytes (no NUL). The rules, identical on both
    /// tools: a known option takes the next argument as its value whatever it looks like; any
    /// other argument starting with `-` is an unknown option; exactly one positional argument
    /// (the model); `--help`/`-h` anywhere asks for help and wins over every problem.
    public static func scan(_ command: GrammarCommand, tool: GrammarTool, count: Int, start: Int,
                            argument: (Int) -> UnsafeRawBufferPointer) -> GrammarScan {
        var result = GrammarScan()
        var sawInput = false
        var index = start
        while index < count {
            let text = argument(index)
            if GrammarText.equal(text, "--help") || GrammarText.equal(text, "-h") {
                result.help = true
            } else if let option = CommandOption.named(text), command.availability(of: option) != .absent {
                if tool == .device && command.availability(of: option) == .hostOnly {
                    record(.hostOnly(index: index), in: &result)
                }
                if tool == .host && command.availability(of: option) == .deviceOnly {
                    record(.deviceOnly(index: index), in: &result)
                }
                if option == .input { sawInput = true }
                if option.takesValue {
                    if index + 1 >= count { record(.missingValue(index: index), in: &result) }
                    index += 1
                }
            } else if text.count > 1 && text[0] == 45 {  // '-'
                record(.unknownOption(index: index), in: &result)
            } else if result.modelIndex < 0 {
                result.modelIndex = index
            } else {
                record(.unexpectedArgument(index: index), in: &result)
            }
            index += 1
        }
        if result.modelIndex < 0 { record(.missingModel, in: &result) }
        if command.requiresInput && !sawInput { record(.missingInput, in: &result) }
        if result.help { result.problem = nil }
        return result
    }

    /// Index of the value of the last `option` on a command line that `scan` accepted, or -1.
    public static func valueIndex(of option: CommandOption, _ command: GrammarCommand, count: Int, start: Int,
                                  argument: (Int) -> UnsafeRawBufferPointer) -> Int {
        var found = -1
        var index = start
        while index < count {
            if let o = CommandOption.named(argument(index)), command.availability(of: o) != .absent {
                if o == option { found = o.takesValue ? index + 1 : index }
                if o.takesValue { index += 1 }
            }
            index += 1
        }
        return found < count ? found : -1
    }

    /// The first problem found is the one reported.
    private static func record(_ problem: GrammarProblem, in result: inout GrammarScan) {
        if result.problem == nil { result.problem = problem }
    }
}

/// Byte comparisons with StaticString literals.
public enum GrammarText {
    public static func equal(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        guard bytes.count == literal.utf8CodeUnitCount else { return false }
        let expected = literal.utf8Start
        for i in 0..<bytes.count where bytes[i] != expected[i] { return false }
        return true
    }
}

extension GrammarProblem {
    /// The argument the message names, if any.
    public var argumentIndex: Int? {
        switch self {
        case .unknownOption(let i), .missingValue(let i), .hostOnly(let i), .deviceOnly(let i), .unexpectedArgument(let i): return i
        case .missingModel, .missingInput: return nil
        }
    }

    /// The message is `before` + the argument (if `argumentIndex`) + `after`.
    public var before: StaticString {
        switch self {
        case .unknownOption: return "unknown option "
        case .missingValue: return "option "
        case .hostOnly, .deviceOnly: return ""
        case .unexpectedArgument: return "unexpected argument '"
        case .missingModel: return "missing the model file MODEL.sparrow (see --help)"
        case .missingInput: return "missing --input X.npy, the float32 samples to run (see --help)"
        }
    }

    public var after: StaticString {
        switch self {
        case .unknownOption: return " (see --help)"
        case .missingValue: return " needs a value"
        case .hostOnly: return " is host-only (it needs the ONNX importer and Foundation): give it to `sparrow` on the host"
        case .deviceOnly: return " is device-only (anytime inference runs on the board): give it to `sparrow-device run`"
        case .unexpectedArgument: return "' (see --help)"
        case .missingModel, .missingInput: return ""
        }
    }
}

extension CommandGrammar {
    /// Column where an option's help text starts in `--help`.
    public static let helpColumn = 26

    /// Writes `command`'s option lines for `--help` through `write`, one per option the tool has
    /// (host-only ones too, on both: their help says so):
    /// `  --input X.npy           float32 samples ...`
    public static func writeHelp(_ command: GrammarCommand, write: (UnsafeRawBufferPointer) -> Void) {
        var option: CommandOption? = .first
        while let o = option {
            option = o.next
            guard command.availability(of: o) != .absent else { continue }
            var width = 2
            write(bytes("  "))
            write(bytes(o.name)); width += o.name.utf8CodeUnitCount
            if o.takesValue {
                write(bytes(" ")); write(bytes(o.valueName)); width += 1 + o.valueName.utf8CodeUnitCount
            }
            if width >= helpColumn { write(bytes("\n")); width = 0 }
            while width < helpColumn { write(bytes(" ")); width += 1 }
            write(bytes(o.help(in: command)))
            write(bytes("\n"))
        }
    }

    public static func bytes(_ text: StaticString) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
    }
}
