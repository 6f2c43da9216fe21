import Foundation
import SparrowFormat
import SparrowRuntime

/// A model file read into 16-byte aligned memory and verified, plus an arena for it.
final class LoadedModel {
    let storage: UnsafeMutableRawBufferPointer
    let model: VerifiedModel
    let arena: UnsafeMutableRawBufferPointer
    let interpreter: Interpreter

    convenience init(path: String) throws {
        try self.init(bytes: try readFileBytes(path, what: "model"), name: path)
    }

    /// `name` prefixes a verification error (the file's path).
    init(bytes: [UInt8], name: String) throws {
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 16), alignment: 16)
        bytes.withUnsafeBytes { src in
            if src.count > 0 { storage.baseAddress!.copyMemory(from: src.baseAddress!, byteCount: src.count) }
        }
        self.storage = storage
        do {
            model = try VerifiedModel.verify(UnsafeRawBufferPointer(rebasing: storage[0..<bytes.count]))
        } catch {
            storage.deallocate()
            throw CLIError("\(name): \(error)")
        }
        let arena = UnsafeMutableRawBufferPointer.allocate(byteCount: max(model.arenaSize, 16),
                                                           alignment: Interpreter.arenaAlignment)
        self.arena = arena
        interpreter = try Interpreter(model: model, arena: arena)
    }

    deinit {
        arena.deallocate()
        storage.deallocate()
    }
}

extension VerifiedModel {
    func string(_ bytes: UnsafeRawBufferPointer) -> String { String(decoding: bytes, as: UTF8.self) }
    func tensorNameString(_ i: Int) -> String { string(tensorName(i)) }
    func opNameString(_ i: Int) -> String { string(opName(i)) }

    func shapeString(_ t: TensorRecord) -> String {
        "[" + (0..<Int(t.rank)).map { String(t.dim($0)) }.joined(separator: ",") + "]"
    }
}
