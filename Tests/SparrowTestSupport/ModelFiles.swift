// Model-file helpers the test targets share: where the committed fixtures are, and resealing a
// file after a deliberate edit so that the verifier check under test is the one that fires (not
// the checksum). Loading, verifying and running a model is SparrowRuntime's HostModel.
import Foundation
import SparrowFormat

public enum TestFixtures {
    /// Tests/Fixtures.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    /// Tests/Fixtures/digits: the digits models, their data and the pruned variants.
    public static let digitsDirectory = root.appendingPathComponent("digits")

    /// A file of the digits fixtures.
    public static func digits(_ name: String) -> String { digitsDirectory.appendingPathComponent(name).path }
}

/// Writes the checksum of the file in `raw` into its header.
public func reseal(_ raw: UnsafeMutableRawBufferPointer) {
    let sum = modelChecksum(UnsafeRawBufferPointer(raw))
    raw.storeBytes(of: sum.littleEndian, toByteOffset: HeaderField.checksum, as: UInt32.self)
}

/// `bytes` with the checksum recomputed.
public func resealed(_ bytes: [UInt8]) -> [UInt8] {
    var b = bytes
    b.withUnsafeMutableBytes { reseal($0) }
    return b
}
