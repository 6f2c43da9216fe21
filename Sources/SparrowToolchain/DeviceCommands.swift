import Foundation

/// What `sparrow build-device` and `sparrow emulate` do once SparrowCLI has parsed their
/// arguments (BuildDeviceCommand.swift, EmulateCommand.swift). Both print to stdout/stderr and
/// return the process exit status.
public enum DeviceCommands {
    /// Builds sparrow-device for the board (default: the profile with isDefault) and prints the
    /// binary's path and sizes; with `list`, prints the boards instead.
    public static func buildDevice(boardName: String?, outputDirectory: URL?, list: Bool) -> Int32 {
        do throws(ToolchainError) {
            let catalog = try BoardCatalog.locate()
            if list {
                for board in catalog.boards {
                    print("\(board.name)\(board.isDefault ? " (default)" : "")\t\(board.description)")
                }
                return 0
            }
            let board = try boardName.map { name throws(ToolchainError) in try catalog.board(named: name) } ?? catalog.defaultBoard
            let result = try DeviceBuilder(catalog: catalog).build(board: board, outputDirectory: outputDirectory)
            print(result.binaryPath.path)
            print("board: \(board.name) (\(board.targetCPU), \(board.swiftTarget))")
            print("size: \(result.size) bytes (Sparrow code \(result.sparrowCodeSize) bytes, rest is static glibc)")
            if !result.skippedModules.isEmpty {
                print("note: modules without sources, left out: \(result.skippedModules.joined(separator: ", "))")
            }
            return 0
        } catch {
            printError("sparrow build-device: \(error)")
            return 1
        }
    }

    /// Runs `sparrow-device DEVICEARGUMENTS` under qemu-user with the board's CPU model, passing
    /// its output and exit status through. A `bench` gets the board profile's power figures
    /// (`deviceArguments(_:for:)`).
    public static func emulate(boardName: String?, deviceArguments: [String]) -> Int32 {
        do throws(ToolchainError) {
            let catalog = try BoardCatalog.locate()
            let board = try boardName.map { name throws(ToolchainError) in try catalog.board(named: name) } ?? catalog.defaultBoard
            let result = try Emulator(builder: DeviceBuilder(catalog: catalog))
                .run(board: board, arguments: Self.deviceArguments(deviceArguments, for: board))
            FileHandle.standardOutput.write(result.stdout)
            FileHandle.standardError.write(result.stderr)
            return result.exitCode
        } catch {
            printError("sparrow emulate: \(error)")
            return 1
        }
    }

    /// The device program has no board profiles, so an emulated `bench` is given the board's
    /// figures for the energy estimate — `--idle-watts`, `--load-watts` (per-core load: the
    /// interpreter is single-threaded), `--power-source` and `--board` — unless the user gave
    /// watts of their own (then nothing is added) or a source or board name (those are kept).
    /// Other commands pass through unchanged.
    public static func deviceArguments(_ arguments: [String], for board: BoardProfile) -> [String] {
        guard arguments.first == "bench", !arguments.contains("--idle-watts"), !arguments.contains("--load-watts") else {
            return arguments
        }
        // Three decimals: the device reads watts as milliwatts, as `sparrow bench --board` rounds them.
        var result = arguments + ["--idle-watts", String(format: "%.3f", board.power.idleWatts),
                                  "--load-watts", String(format: "%.3f", board.power.perCoreLoadWatts)]
        if !arguments.contains("--power-source") { result += ["--power-source", board.powerFiguresSource] }
        if !arguments.contains("--board") { result += ["--board", board.name] }
        return result
    }

    private static func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
