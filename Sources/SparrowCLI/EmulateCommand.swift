import Foundation
import SparrowToolchain

/// `sparrow emulate [--board NAME] -- ARGS...`.
enum EmulateCommand {
    static let usage = """
    usage: sparrow emulate [--board NAME] -- ARGS...

    Runs sparrow-device ARGS (run, bench, info; building it first if needed) under qemu-user
    with the board's CPU model (Boards/NAME.json; default pi4b), as the board would. A bench gets
    the board profile's idle/load watts and their source for the energy estimate unless ARGS
    give --idle-watts/--load-watts. Latency under emulation is not the board's.
    """

    static func main(_ args: [String]) throws -> Int32 {
        // Everything after `--` belongs to the device program.
        let split = args.firstIndex(of: "--") ?? args.count
        let a = try Arguments(Array(args[..<split]), valued: ["--board"], switches: [])
        if a.has("--help") { print(usage); return 0 }
        try a.expectPositional(0...0, usage: usage)
        let deviceArguments = split < args.count ? Array(args[(split + 1)...]) : []
        return DeviceCommands.emulate(boardName: a.value("--board"), deviceArguments: deviceArguments)
    }
}
