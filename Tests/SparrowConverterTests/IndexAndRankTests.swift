// LogSoftmax, ArgMax/ArgMin with int64 graph outputs, and rank-5/6 Reshape/Transpose folding, end
// to end: ONNX models made by Tests/Fixtures/indices/make_indices.py, converted with their
// calibration data and run in int8, against onnxruntime's outputs on 16 seeded inputs.
import Foundation
import SparrowFormat
import SparrowNPY
import SparrowONNX
@testable import SparrowRuntime
import SparrowTestSupport
import Testing
@testable import SparrowConverter

@Suite struct IndexAndRankTests {
    static func path(_ name: String) -> String {
        IRFixtures.root.appendingPathComponent("indices").appendingPathComponent(name).path
    }

    static func converted(_ model: String) throws -> ConversionResult {
        try convert(onnxPath: path("\(model).onnx"), options: ConversionOptions(calibrationPath: path("\(model)_calib.npy")))
    }

    /// Float outputs: bounds as fractions of the reference range. LogSoftmax's output step is
    /// 1/16 of a range of ~10 (0.6 %): within two steps plus the input's rounding. The folded
    /// rank-5/6 models move int8 data only between two convs or a table (measured max ≤ 1.3 %).
    @Test(arguments: [("logsoftmax_fc", "LogSoftmax", 0.02), ("logsoftmax_ch", "LogSoftmax", 0.02),
                      ("shuffle5d", "Transpose", 0.02), ("yolo5d", "Transpose", 0.02), ("space6d", "Transpose", 0.01)])
    func int8AgreesWithOnnxruntime(model: String, op: String, maxFraction: Float) throws {
        let result = try Self.converted(model)
        #expect(result.summary.opCounts[op, default: 0] >= 1)
        let x = try IRFixtures.floats(Self.path("\(model)_x.npy"))
        let ref = try IRFixtures.floats(Self.path("\(model)_ref_y.npy"))
        let (maxError, meanError, range) = try int8Error(of: result.bytes, inputs: x, reference: ref)
        print("\(model): |int8 − onnxruntime| mean \(meanError / range * 100) %, max \(maxError / range * 100) % of \(range)")
        #expect(maxError <= maxFraction * range, "\(model): max error \(maxError), output range \(range)")
    }

    /// The float executor (import, folding) against onnxruntime, every output.
    @Test(arguments: ["logsoftmax_fc", "logsoftmax_ch", "shuffle5d", "yolo5d", "space6d"])
    func floatExecutorMatchesOnnxruntime(model: String) throws {
        let graph = Passes.optimize(try ONNXImporter.importModel(path: Self.path("\(model).onnx")))
        #expect(graph.values.allSatisfy { $0.shape.count <= 4 }, "\(model): a tensor of rank > 4 is left")
        let x = try IRFixtures.floats(Self.path("\(model)_x.npy"))
        let ref = try IRFixtures.floats(Self.path("\(model)_ref_y.npy"))
        let out = try FloatExecutor.run(graph: graph, onnxLayoutInput: x.data, batch: x.shape[0])[0]
        #expect(out.count == ref.data.count)
        let maxError = zip(out, ref.data).map { abs($0 - $1) }.max() ?? .infinity
        #expect(maxError <= 1e-5, "\(model): max error \(maxError)")
    }

    /// ArgMax/ArgMin outputs are int64 in the file and in `run`'s .npy files (the same bytes the
    /// device writes), in the ONNX layout. Indices may differ from onnxruntime's only where the
    /// int8 codes of the competing logits tie or cross (two logits within a quantization step);
    /// every disagreement is checked to be such a near-tie in onnxruntime's own float logits.
    @Test func argMaxIndicesAreInt64AndAgree() throws {
        let result = try Self.converted("argmax_seg")
        let model = try HostModel(bytes: result.bytes)
        let names = (0..<model.model.outputCount).map { String(decoding: model.model.tensorName(model.model.graphOutput($0)), as: UTF8.self) }
        #expect(names == ["logits", "classes", "rows"])
        #expect(model.model.tensor(model.model.graphOutput(1)).dtype == .int64)
        #expect(model.model.tensor(model.model.graphOutput(2)).dtype == .int64)
        let input = try NPYArray.read(path: Self.path("argmax_seg_x.npy")).encoded()!
        let batch = try withExtendedLifetime(model) { try model.runBatch(inputFiles: [input], allOutputs: true) }
        let classes = try NPYArray(bytes: batch.allOutputFiles[1]), rows = try NPYArray(bytes: batch.allOutputFiles[2])
        #expect(classes.dtype == .int64 && classes.shape == [16, 1, 6, 6])
        #expect(rows.dtype == .int64 && rows.shape == [16, 5, 6])
        let logits = try IRFixtures.floats(Self.path("argmax_seg_ref_logits.npy")).data   // [16,5,6,6] NCHW
        let step = Float(0.05)   // > one int8 step of the logits (range ≈ 11 / 255 = 0.043)
        func logit(_ n: Int, _ c: Int, _ h: Int, _ w: Int) -> Float { logits[((n * 5 + c) * 6 + h) * 6 + w] }
        let wantClasses = try IRFixtures.int64s(Self.path("argmax_seg_ref_classes.npy"))
        var classMismatches = 0
        for (i, (got, want)) in zip(classes.int64s()!, wantClasses).enumerated() where got != want {
            classMismatches += 1
            let (n, h, w) = (i / 36, i / 6 % 6, i % 6)
            #expect(abs(logit(n, Int(got), h, w) - logit(n, Int(want), h, w)) <= step, "classes[\(i)]: \(got) vs \(want)")
        }
        let wantRows = try IRFixtures.int64s(Self.path("argmax_seg_ref_rows.npy"))
        var rowMismatches = 0
        for (i, (got, want)) in zip(rows.int64s()!, wantRows).enumerated() where got != want {
            rowMismatches += 1
            let (n, c, w) = (i / 30, i / 6 % 5, i % 6)
            #expect(abs(logit(n, c, Int(got), w) - logit(n, c, Int(want), w)) <= step, "rows[\(i)]: \(got) vs \(want)")
        }
        print("argmax_seg: classes differ at \(classMismatches) / \(wantClasses.count), rows at \(rowMismatches) / \(wantRows.count)")
        #expect(classMismatches * 50 <= wantClasses.count && rowMismatches * 20 <= wantRows.count)
    }

    /// A classifier ending in ArgMax(keepdims 0): one int64 index per sample, all equal here.
    @Test func classifierArgMaxMatches() throws {
        let result = try Self.converted("argmax_fc")
        let model = try HostModel(bytes: result.bytes)
        let input = try NPYArray.read(path: Self.path("argmax_fc_x.npy")).encoded()!
        let batch = try withExtendedLifetime(model) { try model.runBatch(inputFiles: [input], allOutputs: true) }
        let cls = try NPYArray(bytes: batch.allOutputFiles[0])
        #expect(cls.dtype == .int64 && cls.shape == [16])
        #expect(cls.int64s() == (try IRFixtures.int64s(Self.path("argmax_fc_ref_cls.npy"))))
        // `run --output` writes the same int64 file.
        #expect(batch.outputFile == batch.allOutputFiles[0])
    }

    /// An ArgMax result read by another node is refused with the node named.
    @Test func argMaxFeedingAnotherNodeIsRejected() throws {
        let m = model([ONNXNode(name: "am", opType: "ArgMax", inputs: ["x"], outputs: ["i"], attributes: ["axis": .int(1)]),
                       ONNXNode(name: "use", opType: "Cast", inputs: ["i"], outputs: ["y"], attributes: ["to": .int(1)])],
                      input: [1, 5])
        let error = #expect(throws: ImportError.self) { try ONNXImporter.importModel(m) }
        #expect(error?.description.contains("use") == true)
        #expect(error?.description.contains("only as graph outputs") == true)
    }

    /// A rank-6 transpose whose axes form 5 groups cannot be a rank-4 transpose: the converter
    /// says so and names the node.
    @Test func unfoldableRankSixIsRejectedByName() throws {
        let error = #expect(throws: ConversionError.self) { try Self.converted("space6d_crd") }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("to_depth") && text.contains("rank-6") && text.contains("rank ≤ 4"), "\(text)")
    }

    /// The verifier holds LogSoftmax to its fixed output quantization (zero point 127, scale
    /// 16/256): a file claiming another is rejected naming the operator and field.
    @Test func logSoftmaxOutputQuantizationIsVerified() throws {
        let bytes = try Self.converted("logsoftmax_fc").bytes
        let file = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 16)
        defer { file.deallocate() }
        bytes.withUnsafeBytes { file.copyMemory(from: $0) }
        let model = try VerifiedModel.verify(UnsafeRawBufferPointer(file))
        let k = try #require((0..<model.operatorCount).first { model.op($0).opcode == .logSoftmax })
        let y = model.output(model.op(k), 0)
        let record = model.tensorsAt + y * TensorRecord.size
        for (offset, value, field) in [(20, UInt32(bitPattern: Int32(-128)).littleEndian, "output zero point"),
                                       (24, Float(1.0 / 256).bitPattern.littleEndian, "output scale")] {
            var mutated = bytes
            withUnsafeBytes(of: value) { for i in 0..<4 { mutated[record + offset + i] = $0[i] } }
            let error = HostModel.verificationError(resealed(mutated))
            #expect(error?.index == k && error.map { "\($0.field)" } == field, "\(String(describing: error))")
        }
    }

    /// The merge rules on hand-derived cases.
    @Test func axisMerging() {
        // ShuffleNet: [1,2,4,5,5] by [0,2,1,3,4] → [2,4,25] by [1,0,2].
        let shuffle = Passes.mergedTranspose(shape: [1, 2, 4, 5, 5], perm: [0, 2, 1, 3, 4])
        #expect(shuffle?.0 == [2, 4, 25] && shuffle?.1 == [1, 0, 2])
        // YOLO: [1,3,85,4,4] by [0,1,3,4,2] → [3,85,16] by [0,2,1].
        let yolo = Passes.mergedTranspose(shape: [1, 3, 85, 4, 4], perm: [0, 1, 3, 4, 2])
        #expect(yolo?.0 == [3, 85, 16] && yolo?.1 == [0, 2, 1])
        // Order-preserving: empty permutation.
        #expect(Passes.mergedTranspose(shape: [2, 1, 3], perm: [1, 0, 2])?.1 == [])
        // Elementwise: [1,3,4,4,2] + [1,3,1,1,2] → groups {3}, {4,4}, {2}: [3,16,2] + [3,1,2].
        let e = Passes.mergedElementwise(shapes: [[1, 3, 4, 4, 2], [1, 3, 1, 1, 2]], output: [1, 3, 4, 4, 2])
        #expect(e?.output == [3, 16, 2] && e?.operands == [[3, 16, 2], [3, 1, 2]])
    }
}
