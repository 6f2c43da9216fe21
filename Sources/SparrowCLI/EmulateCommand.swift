import Foundation
import SparrowToolchain

/// `sparrow emulate [--board NAME] -- ARGS...`.
enum EmulateCommand {
    static let usage = """
    usage: sparrow emulate [--board NAME] -- ARGS...

    Runs sparrow-device ARGS (run, bench, info; building it first if needed) under qemu-user
    with the board's CPU model (Boards/NAME.json; default pi4b), as the board would. A bench gets
    the board profile's idle/load watts and their source for the energy estimate unless ARGS
    give --idle-watts/--load-watts. Latency under emulation is not the board's: a bench record
    made this way says "emulated": true and `sparrow report` marks it.
      --board NAME         the board profile (Boards/NAME.json; default pi4b)
      -- ARGS...           the sparrow-device command line (`sparrow-device --help`)
    """

    static func main(_ args: [String]) throws -> Int32 {
        // Everything after `--` belongs to the device program.
        let split = args.firstIndex(of: "--") ?? args.count
        let a = try Arguments(Array(args[..<split]), valued: ["--board"], switches: [])
        if a.has("--help") { print(usage); return 0 }
        try a.expectPositional(0...0, usage: usage)
        guard split < args.count, split + 1 < args.count else {
            throw CLIError.usage("missing -- ARGS, the sparrow-device command to run (e.g. -- info MODEL.sparrow; see --help)")
        }
        let deviceArguments = split < args.count ? Array(args[(split + 1)...]) : []
        return DeviceCommands.emulate(boardName: a.value("--board"), deviceArguments: deviceArguments)
    }
}
