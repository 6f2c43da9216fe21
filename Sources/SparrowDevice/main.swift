// sparrow-device: the program that runs on the board. Placeholder command bodies: `info` prints
// the file size until the runtime is wired in; `run` and `bench` report that they are not built yet.

let arguments = CommandArguments()
let out = Console.standardOutput
let err = Console.standardError

func printUsage(to console: Console) {
    console.writeLine("usage: sparrow-device run MODEL.sparrow --input X.npy --output Y.npy")
    console.writeLine("       sparrow-device info MODEL.sparrow")
    console.writeLine("       sparrow-device bench MODEL.sparrow [--input X.npy] [--iterations N]")
}

/// Reports a file error as `sparrow-device: PATH: what (errno N)` on stderr.
func report(_ error: PlatformError, path: UnsafePointer<CChar>) {
    err.write("sparrow-device: ")
    err.write(cString: path)
    err.write(": ")
    err.write(error.summary)
    switch error {
    case .openFailed(let code), .sizeUnavailable(let code):
        err.write(" (errno ")
        err.write(Int64(code))
        err.write(")")
    default:
        break
    }
    err.writeLine()
}

func infoCommand(path: UnsafePointer<CChar>) -> Int32 {
    do {
        let size = try Platform.fileSize(path: path)
        out.write("file: ")
        out.write(cString: path)
        out.writeLine()
        out.write("size: ")
        out.write(size)
        out.writeLine(" bytes")
        return 0
    } catch {
        report(error, path: path)
        return 1
    }
}

var status: Int32 = 2
if arguments.argument(1, is: "info"), let path = arguments[2] {
    status = infoCommand(path: path)
} else if arguments.argument(1, is: "run") || arguments.argument(1, is: "bench") {
    err.writeLine("sparrow-device: this build has no runtime yet")
    status = 70
} else if arguments.argument(1, is: "--help") || arguments.argument(1, is: "help") {
    printUsage(to: out)
    status = 0
} else {
    printUsage(to: err)
}
Platform.exit(status)
