import Foundation

/// The `sparrow build-device` and `sparrow emulate` commands, ready for SparrowCLI to forward to:
/// `case "build-device": exit(DeviceCommands.buildDevice(arguments: Array(args.dropFirst(2))))`.
/// Both print to stdout/stderr and return the process exit status.
public enum DeviceCommands {
    public static let buildDeviceUsage = "usage: sparrow build-device [--board NAME] [-o DIR] [--list]"
    public static let emulateUsage = "usage: sparrow emulate [--board NAME] -- ARGS..."

    /// `sparrow build-device [--board NAME] [-o DIR] [--list]`: builds sparrow-device for the board
    /// (default: the profile with isDefault) and prints the binary's path and sizes.
    public static func buildDevice(arguments: [String]) -> Int32 {
        var boardName: String?
        var outputDirectory: URL?
        var list = false
        var index = 0
        while index < arguments.count {
            switch arguments[index] {
            case "--board" where index + 1 < arguments.count:
                boardName = arguments[index + 1]; index += 1
            case "-o", "--output":
                guard index + 1 < arguments.count else { return usageError(buildDeviceUsage) }
                outputDirectory = URL(fileURLWithPath: arguments[index + 1]); index += 1
            case "--list":
                list = true
            case "-h", "--help":
                print(buildDeviceUsage); return 0
            default:
                return usageError(buildDeviceUsage)
            }
            index += 1
        }
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

    /// `sparrow emulate [--board NAME] -- ARGS...`: runs sparrow-device ARGS under qemu-user with
    /// the board's CPU model, passing its output and exit status through.
    public static func emulate(arguments: [String]) -> Int32 {
        var boardName: String?
        var index = 0
        while index < arguments.count, arguments[index] != "--" {
            switch arguments[index] {
            case "--board" where index + 1 < arguments.count:
                boardName = arguments[index + 1]; index += 1
            case "-h", "--help":
                print(emulateUsage); return 0
            default:
                return usageError(emulateUsage)
            }
            index += 1
        }
        let deviceArguments = index < arguments.count ? Array(arguments[(index + 1)...]) : []
        do throws(ToolchainError) {
            let catalog = try BoardCatalog.locate()
            let board = try boardName.map { name throws(ToolchainError) in try catalog.board(named: name) } ?? catalog.defaultBoard
            let result = try Emulator(builder: DeviceBuilder(catalog: catalog)).run(board: board, arguments: deviceArguments)
            FileHandle.standardOutput.write(result.stdout)
            FileHandle.standardError.write(result.stderr)
            return result.exitCode
        } catch {
            printError("sparrow emulate: \(error)")
            return 1
        }
    }

    private static func usageError(_ usage: String) -> Int32 {
        printError(usage)
        return 2
    }

    private static func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
