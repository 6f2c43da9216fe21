import Foundation
import SparrowToolchain

/// `sparrow build-device [--board NAME] [-o DIR] [--list]`.
enum BuildDeviceCommand {
    static let usage = """
    usage: sparrow build-device [--board NAME] [-o DIR] [--list]

    Cross-builds sparrow-device for a board (Boards/NAME.json; default: the default profile,
    pi4b) with Embedded Swift and the board's cross gcc, and prints the binary's path and size.
      --board NAME         the board profile (Boards/NAME.json; --list shows them; default pi4b)
      -o, --output DIR     copy the binary to DIR
      --list               list the board profiles
    """

    static func main(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, valued: ["--board", "-o", "--output"], switches: ["--list"])
        if a.has("--help") { print(usage); return 0 }
        try a.expectPositional(0...0, usage: usage)
        let output = (a.value("-o") ?? a.value("--output")).map { URL(fileURLWithPath: $0) }
        return DeviceCommands.buildDevice(boardName: a.value("--board"), outputDirectory: output, list: a.has("--list"))
    }
}
