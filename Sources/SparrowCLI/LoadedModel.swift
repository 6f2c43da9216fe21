import Foundation
import SparrowFormat
import SparrowRuntime

/// Reads a model file and opens it with SparrowRuntime's HostModel (aligned copy, verifier, arena,
/// interpreter); a verification error names the file.
func loadModel(path: String) throws -> HostModel {
    try loadModel(bytes: try readFileBytes(path, what: "model"), name: path)
}

/// `name` prefixes a verification error (the file's path, or what the bytes are).
func loadModel(bytes: [UInt8], name: String) throws -> HostModel {
    do { return try HostModel(bytes: bytes) } catch { throw CLIError("\(name): \(error)") }
}

extension VerifiedModel {
    func string(_ bytes: UnsafeRawBufferPointer) -> String { String(decoding: bytes, as: UTF8.self) }
    func tensorNameString(_ i: Int) -> String { string(tensorName(i)) }
    func opNameString(_ i: Int) -> String { string(opName(i)) }

    func shapeString(_ t: TensorRecord) -> String {
        "[" + (0..<Int(t.rank)).map { String(t.dim($0)) }.joined(separator: ",") + "]"
    }
}
