import Foundation

/// Everything that can go wrong loading profiles, building or emulating, with the file, field or
/// command that caused it.
public enum ToolchainError: Error, CustomStringConvertible, Equatable {
    /// No directory with both Package.swift and Boards/ was found; lists where we looked.
    case repositoryRootNotFound(searched: [String])
    case fileUnreadable(path: String, reason: String)
    /// A JSON file is malformed, or a field is missing or has the wrong type.
    case invalidField(file: String, field: String, problem: String)
    case unknownBoard(name: String, known: [String])
    case unknownToolchain(name: String, referencedBy: String)
    case noDefaultBoard(boardsDirectory: String)
    case toolNotFound(tool: String, hint: String)
    /// A compile or link step failed; `output` is the tool's stderr (and stdout).
    case commandFailed(step: String, command: [String], exitCode: Int32, output: String)
    case moduleSourcesMissing(module: String, directory: String)

    public var description: String {
        switch self {
        case .repositoryRootNotFound(let searched):
            return "cannot find Sparrow's board and toolchain data: install it with Toolchains/install.sh --prefix DIR "
                + "(then DIR/bin/sparrow finds DIR/share/sparrow), run sparrow inside a checkout, or set SPARROW_ROOT "
                + "to a checkout or installed data directory. Searched: "
                + searched.joined(separator: ", ")
        case .fileUnreadable(let path, let reason):
            return "\(path): cannot read: \(reason)"
        case .invalidField(let file, let field, let problem):
            return field.isEmpty ? "\(file): \(problem)" : "\(file): field '\(field)': \(problem)"
        case .unknownBoard(let name, let known):
            return "unknown board '\(name)'; known boards: \(known.joined(separator: ", "))"
        case .unknownToolchain(let name, let referencedBy):
            return "\(referencedBy): field 'toolchain': no Toolchains/\(name).json"
        case .noDefaultBoard(let directory):
            return "\(directory): no board profile has \"isDefault\": true"
        case .toolNotFound(let tool, let hint):
            return "'\(tool)' not found on PATH; \(hint)"
        case .commandFailed(let step, let command, let exitCode, let output):
            return "\(step) failed (exit \(exitCode)): \(command.joined(separator: " "))\n\(output)"
        case .moduleSourcesMissing(let module, let directory):
            return "module \(module): no .swift files in \(directory)"
        }
    }
}
