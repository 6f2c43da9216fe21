import Foundation
import SparrowFormat
import SparrowToolchain

// `sparrow`: the host tool. Converts ONNX models, inspects and runs Sparrow models, and builds
// and emulates the device binary.

/// The release of the tool; the file format it writes has its own version (Docs/format.md).
let sparrowVersion = "0.1.0"

let usage = """
usage: sparrow COMMAND [ARGS...]   (sparrow COMMAND --help, or sparrow help COMMAND, for details)
       sparrow --version

commands:
  convert       ONNX model -> int8 .sparrow file (calibrated post-training quantization)
  inspect       print a .sparrow file's graph, tensors, quantization and memory plan (or a .tflite file's)
  run           run a .sparrow file on the host (same interpreter and kernels as the device)
  bench         latency, per-operator profile, accuracy, memory and energy of a model (Docs/harness.md)
  report        Markdown table and SVG plots from bench JSON records
  build-device  cross-build the sparrow-device binary for a board (Boards/*.json)
  emulate       run the device binary under qemu with the board's CPU model
  bench-sparse  sparse vs dense FullyConnected / 1x1 Conv: time and bytes (Docs/sparsity.md)
  bench-exits   early-exit model: accuracy, MACs and time at full depth vs with exits (Docs/early-exit.md)
  bench-kernels time the dense int8 conv / depthwise / FC kernels on fixed shapes (Docs/performance.md)
  soak          run a model a million times: resident memory at start and end, output drift
  operators     the ONNX ops the converter accepts, their limits and Sparrow operators (Docs/operators.md)
  demo          the main job: convert the bundled digits model, build for a board, run it under qemu
"""

var arguments = Array(CommandLine.arguments.dropFirst())
var command = arguments.isEmpty ? "" : arguments.removeFirst()
// `sparrow help convert` is `sparrow convert --help`.
if command == "help", let topic = arguments.first {
    command = topic
    arguments = ["--help"]
}
let status: Int32
do {
    switch command {
    case "convert": status = try ConvertCommand.main(arguments)
    case "inspect": status = try InspectCommand.main(arguments)
    case "run": status = try RunCommand.main(arguments)
    case "bench": status = try BenchCommand.main(arguments)
    case "report": status = try ReportCommand.main(arguments)
    case "build-device": status = try BuildDeviceCommand.main(arguments)
    case "emulate": status = try EmulateCommand.main(arguments)
    case "demo": status = try DemoCommand.main(arguments)
    case "bench-sparse": status = try BenchSparseCommand.main(arguments)
    case "bench-kernels": status = try BenchKernelsCommand.main(arguments)
    case "bench-exits": status = try BenchExitsCommand.main(arguments)
    case "soak": status = try SoakCommand.main(arguments)
    case "operators": status = try OperatorsCommand.main(arguments)
    case "--help", "-h", "help": print(usage); status = 0
    case "--version", "version":
        print("sparrow \(sparrowVersion) (writes .sparrow format \(ModelFormat.versionMajor).\(ModelFormat.versionMinor))")
        status = 0
    case "":
        // No command is a usage error: the overview goes to stderr, exit 2.
        FileHandle.standardError.write(Data("\(usage)\n".utf8))
        status = 2
    default:
        FileHandle.standardError.write(Data("sparrow: unknown command '\(command)'\n\n\(usage)\n".utf8))
        status = 2
    }
} catch {
    FileHandle.standardError.write(Data("sparrow \(command): \(error)\n".utf8))
    status = (error as? CLIError)?.exitStatus ?? 1
}
exit(status)
