import Foundation

/// Runs the device binary under qemu-user with the board's CPU model, as the board would.
public struct Emulator: Sendable {
    public let builder: DeviceBuilder

    public init(builder: DeviceBuilder) { self.builder = builder }

    /// The qemu command line for `binary` on `board`. The guest sees `SPARROW_EMULATOR` (the
    /// emulator and CPU model), which `sparrow-device bench` records as `platform.emulator`.
    public func command(board: BoardProfile, binary: URL, arguments: [String]) -> [String] {
        let spec = builder.catalog.toolchain(for: board)
        return [spec.qemu, "-cpu", board.qemuCPU, "-L", spec.qemuSysroot,
                "-E", "\(Self.environmentVariable)=\(spec.qemu) -cpu \(board.qemuCPU)", binary.path] + arguments
    }

    public static let environmentVariable = "SPARROW_EMULATOR"


    /// Runs `sparrow-device ARGUMENTS` for `board`, building it first if `binary` is not given
    /// (the build is cached, so this is cheap after the first time).
    public func run(board: BoardProfile, arguments: [String], binary: URL? = nil) throws(ToolchainError)
        -> (exitCode: Int32, stdout: Data, stderr: Data)
    {
        var path: URL
        if let binary { path = binary } else { path = try builder.build(board: board).binaryPath }
        let output = try ProcessRunner.run(command(board: board, binary: path, arguments: arguments))
        return (output.exitCode, output.stdout, output.stderr)
    }
}
