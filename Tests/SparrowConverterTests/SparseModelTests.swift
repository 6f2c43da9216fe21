// Sparse operators end to end: the verifier rejects corrupted sparse matrices with the specific
// error; pruning and dense/sparse storage in the converter; the pruned digits fixtures.
import Foundation
import SparrowFormat
import SparrowNPY
import SparrowRuntime
import SparrowTestSupport
import Testing
@testable import SparrowConverter

/// Applies `edit` to the sparse matrix bytes (at sparse-section offset 0) and the params, and re-seals the checksum.
private func corrupt(_ file: [UInt8], params: (inout [Int32]) -> Void = { _ in }, matrix: (inout [UInt8]) -> Void = { _ in }) -> [UInt8] {
    var bytes = file
    bytes.withUnsafeMutableBytes { raw in
        let view = ModelFileView(bytes: UnsafeRawBufferPointer(raw))
        let sparse = view.sectionRange(.sparse), paramsRange = view.sectionRange(.params)
        var m = Array(raw[sparse.offset..<(sparse.offset + sparse.size)])
        matrix(&m)
        for (i, b) in m.enumerated() { raw[sparse.offset + i] = b }
        var words = (0..<(paramsRange.size / 4)).map { raw.loadUnaligned(fromByteOffset: paramsRange.offset + 4 * $0, as: Int32.self) }
        params(&words)
        for (i, w) in words.enumerated() { raw.storeBytes(of: w, toByteOffset: paramsRange.offset + 4 * i, as: Int32.self) }
        reseal(raw)
    }
    return bytes
}

private enum Pruned {
    static func path(_ name: String) -> String { TestFixtures.digits(name) }
    static func entry(_ model: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path("digits_pruned.json")))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try #require((json["models"] as? [String: Any])?[model] as? [String: Any])
    }
}

@Suite(.serialized) struct SparseModelTests {
    /// A one-op sparse FC [8, 64] with 4 stored 1×1 weights in rows 0 and 2 (8-bit deltas).
    static func model() -> [UInt8] {
        var w = [Int8](repeating: 0, count: 8 * 64)
        w[0 * 64 + 3] = 10; w[0 * 64 + 60] = -20; w[2 * 64 + 0] = 127; w[2 * 64 + 63] = -127
        let m = SingleOpModel(kind: .fullyConnected, weights: w, rows: 8, cols: 64, bias: nil,
                              multipliers: [Int32](repeating: 1 << 30, count: 8), shifts: [Int32](repeating: 0, count: 8))
        return m.bytes(sparse: (1, 1))
    }

    // Matrix layout of `model()`: header 16 B, counts u16[8] at 16, indices u8[4] at 32, values at 36.
    @Test func validSparseModelVerifies() {
        #expect(HostModel.verificationError(Self.model()) == nil)
    }

    @Test func columnIndexOutOfRangeIsRejected() {
        // Row 0's second delta 56 → column 3 + 56 + 1 = 60; 60 more → 120 ≥ 64.
        let bad = corrupt(Self.model(), matrix: { $0[33] = 116 })
        let e = HostModel.verificationError(bad)
        #expect(e?.reason == .sparseIndexOutOfRange)
        #expect(e?.value == 120 && e?.limit == 64)
    }

    @Test func countsThatDoNotAddUpAreRejected() {
        let e = HostModel.verificationError(corrupt(Self.model(), matrix: { $0[16 + 2 * 5] = 1 }))   // row 5 claims a block
        #expect(e?.reason == .sparseCountMismatch)
        let tooMany = HostModel.verificationError(corrupt(Self.model(), matrix: { $0[16 + 2 * 7] = 200 }))   // more than 64 columns
        #expect(tooMany?.reason == .sparseCountMismatch && tooMany?.value == 200 && tooMany?.limit == 64)
    }

    @Test func headerFieldsAreChecked() {
        #expect(HostModel.verificationError(corrupt(Self.model(), matrix: { $0[8] = 3 }))?.reason == .badBlockShape)
        #expect(HostModel.verificationError(corrupt(Self.model(), matrix: { $0[9] = 32 }))?.reason == .badBlockShape)
        // 16-row blocks do not divide 8 rows.
        #expect(HostModel.verificationError(corrupt(Self.model(), matrix: { $0[8] = 16 }))?.reason == .badBlockShape)
        #expect(HostModel.verificationError(corrupt(Self.model(), matrix: { $0[10] = 3 }))?.reason == .badIndexWidth)
        #expect(HostModel.verificationError(corrupt(Self.model(), matrix: { $0[12] = 5 }))?.reason == .sparseSizeMismatch)
        #expect(HostModel.verificationError(corrupt(Self.model(), matrix: { $0[0] = 9 }))?.reason == .shapeMismatch)
        #expect(HostModel.verificationError(corrupt(Self.model(), matrix: { $0[36] = 0x80 }))?.reason == .weightOutOfRange)
    }

    @Test func matrixLocationIsChecked() {
        // Params: actMin, actMax, offset, size.
        #expect(HostModel.verificationError(corrupt(Self.model(), params: { $0[2] = 1 << 20 }))?.reason == .sparseOutOfBounds)
        #expect(HostModel.verificationError(corrupt(Self.model(), params: { $0[3] -= 1 }))?.reason == .sparseSizeMismatch)
        #expect(HostModel.verificationError(corrupt(Self.model(), params: { $0[3] += 1 }))?.reason == .sparseOutOfBounds)
        #expect(HostModel.verificationError(corrupt(Self.model(), params: { $0[3] = 8 }))?.reason == .sparseOutOfBounds)
        #expect(HostModel.verificationError(corrupt(Self.model(), params: { $0[2] = -16 }))?.reason == .sparseOutOfBounds)
    }

    @Test func globPatterns() {
        #expect(globMatch("/net/*", "/net/net.1/Gemm"))
        #expect(globMatch("*Gemm", "/fc/Gemm"))
        #expect(!globMatch("*Conv", "/fc/Gemm"))
        #expect(globMatch("/net/net.?/Gemm", "/net/net.3/Gemm"))
    }

    /// The same pruned graph stored dense and sparse gives byte-identical outputs on the digits test set.
    @Test func prunedMLPSparseAndDenseAgreeExactly() throws {
        var options = ConversionOptions(calibrationPath: Pruned.path("digits_calib.npy"))
        options.sparsity = SparsityOptions(prune: 0.9, mode: .always)
        let sparse = try convert(onnxPath: Pruned.path("digits_mlp.onnx"), options: options)
        options.sparsity.mode = .never
        let dense = try convert(onnxPath: Pruned.path("digits_mlp.onnx"), options: options)
        #expect(sparse.summary.opCounts["SparseFullyConnected"] == 3)
        #expect(dense.summary.opCounts["FullyConnected"] == 3 && dense.summary.opCounts["SparseFullyConnected"] == nil)
        for p in sparse.pruning { #expect(abs(p.densityAfter - 0.1) < 0.02, "\(p.name) density \(p.densityAfter)") }
        let x = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Pruned.path("digits_test_x.npy"))))
        func outputs(_ bytes: [UInt8]) throws -> [Float] { try HostModel(bytes: bytes).runBatch(inputFile: x).outputs }
        #expect(try outputs(sparse.bytes) == outputs(dense.bytes))
        #expect(sparse.bytes.count < dense.bytes.count)
    }

    /// With packed weights (the CLI's default), sparse layers stay sparse, dense ones are packed,
    /// and the outputs equal the unpacked conversion's.
    @Test func sparseLayersStaySparseWhenPacking() throws {
        var options = ConversionOptions(calibrationPath: Pruned.path("digits_calib.npy"))
        options.sparsity = SparsityOptions(prune: 0.9, mode: .always)
        let plain = try convert(onnxPath: Pruned.path("digits_cnn.onnx"), options: options)
        options.packedWeights = .nr8kr16
        let packed = try convert(onnxPath: Pruned.path("digits_cnn.onnx"), options: options)
        let sparseOps = plain.summary.opCounts.filter { $0.key.hasPrefix("Sparse") }
        #expect(!sparseOps.isEmpty, "\(plain.summary.opCounts)")
        #expect(packed.summary.opCounts.filter { $0.key.hasPrefix("Sparse") } == sparseOps)
        #expect(packed.summary.opCounts["PackedConvIm2col"] == 2 && packed.summary.opCounts["PackedDepthwise3x3"] == 1,
                "\(packed.summary.opCounts)")
        let x = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Pruned.path("digits_test_x.npy"))))
        func outputs(_ bytes: [UInt8]) throws -> [UInt8] { try HostModel(bytes: bytes).runBatch(inputFile: x).outputFile }
        #expect(try outputs(packed.bytes) == outputs(plain.bytes))
    }

    @Test func globalPruningHitsTheOverallTarget() throws {
        let graph = try Passes.optimize(ONNXImporter.importModel(path: Pruned.path("digits_mlp.onnx"), options: ImportOptions(batchSize: 1)))
        let (pruned, report) = Pruner.prune(graph, SparsityOptions(prune: 0.8, blockRows: 1, blockCols: 4, scope: .global))
        var zeros = 0, total = 0
        for c in Pruner.candidates(pruned) {
            let w = pruned.values[c.weights].constant!
            zeros += w.filter { $0 == 0 }.count; total += w.count
            // Whole 1×4 blocks: every block is all zero or has no forced zeros beyond the original ones.
            for b in stride(from: 0, to: w.count, by: 4) {
                let z = w[b..<(b + 4)].filter { $0 == 0 }.count
                #expect(z == 0 || z == 4)
            }
        }
        #expect(report.count == 3)
        #expect(abs(Double(zeros) / Double(total) - 0.8) < 0.01)
    }

    /// The pruned fixtures (trained with gradual magnitude pruning) are detected as sparse without
    /// --prune, and their int8 accuracy stays within 1.5 points of the float accuracy onnxruntime
    /// measured for the same pruned ONNX model (digits_pruned.json).
    @Test(arguments: [("digits_mlp_pruned", "SparseFullyConnected", 3), ("digits_cnn_pruned", "SparseConv1x1", 3)])
    func prunedFixturesRunSparseWithinToleranceOfFloat(model: String, op: String, count: Int) throws {
        let result = try convert(onnxPath: Pruned.path("\(model).onnx"),
                                 options: ConversionOptions(calibrationPath: Pruned.path("digits_calib.npy")))
        #expect(result.summary.opCounts[op] == count)
        #expect(result.sparseLayers.allSatisfy { $0.sparse && $0.density <= 0.21 })
        let x = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Pruned.path("digits_test_x.npy"))))
        let labels = try #require(try NPYArray.read(path: Pruned.path("digits_test_y.npy")).int64s())
        let accuracy = try ModelEvaluation.top1Accuracy(model: result.bytes, inputFile: x, labels: labels)
        let float = try #require(try Pruned.entry(model)["float_test_acc"] as? Double)
        print("\(model): int8 sparse top-1 \(accuracy * 100) %, float (onnxruntime) \(float * 100) %, file \(result.bytes.count) B")
        #expect(abs(accuracy - float) * 100 <= 1.5, "\(model): int8 \(accuracy) vs float \(float)")
    }
}
