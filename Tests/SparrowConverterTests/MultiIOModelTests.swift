// Several inputs and outputs end to end (issue 12 item 2) on the trained camera + IMU fusion
// model: calibration files by input name, a batch run over one file per input returning every
// output, int8 accuracy against onnxruntime's float accuracy, and the output file names.
// Goldens: onnxruntime's float outputs and the labels (Tests/Fixtures/multiio/make_multiio.py).
import Foundation
import Testing
import SparrowNPY
import SparrowRuntime
@testable import SparrowConverter

private func fixture(_ name: String) -> String { MultiIOFixtures.path(name) }

private func fileBytes(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

@Suite struct MultiIOModelTests {
    static let calibration: [String: String] = ["imu": fixture("fusion_calib_imu.npy"), "image": fixture("fusion_calib_image.npy")]

    @Test func floatExecutorMatchesOnnxruntimeOnBothOutputs() throws {
        let graph = Passes.optimize(try ONNXImporter.importModel(path: fixture("fusion.onnx")))
        #expect(graph.inputPorts.map(\.onnxName) == ["image", "imu"])
        #expect(graph.outputPorts.map(\.onnxName) == ["fused/logits", "image:kind"])
        let image = try IRFixtures.floats(fixture("fusion_test_image.npy")), imu = try IRFixtures.floats(fixture("fusion_test_imu.npy"))
        let out = try FloatExecutor(graph: graph).run(onnxLayoutInputs: [image.data, imu.data], batch: image.shape[0])
        expectClose(out[0], try IRFixtures.floats(fixture("fusion_ref_logits.npy")).data, tolerance: 1e-4)
        expectClose(out[1], try IRFixtures.floats(fixture("fusion_ref_kind.npy")).data, tolerance: 1e-4)
    }

    /// The acceptance figure: int8 top-1 accuracy within 1 point of onnxruntime's float accuracy
    /// on the 400 held-out samples, and each output's arg-max agreeing with float on ≥ 97 %.
    @Test func int8AccuracyIsWithinOnePointOfFloat() throws {
        let result = try convert(onnxPath: fixture("fusion.onnx"), options: ConversionOptions(calibration: .npyFilesByInput(Self.calibration)))
        #expect(result.summary.calibrationRuns == 128)
        let runner = try HostModel(bytes: result.bytes)
        #expect(runner.model.inputCount == 2 && runner.model.outputCount == 2)
        let batch = try runner.runBatch(inputFiles: [try fileBytes(fixture("fusion_test_image.npy")),
                                                                 try fileBytes(fixture("fusion_test_imu.npy"))], allOutputs: true)
        let labels = try IRFixtures.int64s(fixture("fusion_test_y.npy"))
        let n = labels.count
        let refLogits = try IRFixtures.floats(fixture("fusion_ref_logits.npy")).data, refKind = try IRFixtures.floats(fixture("fusion_ref_kind.npy")).data
        func top1(_ v: [Float], _ width: Int, _ i: Int) -> Int { argmax(v[(i * width)..<((i + 1) * width)]) }
        let floatCorrect = (0..<n).filter { top1(refLogits, 4, $0) == labels[$0] }.count
        let int8Correct = (0..<n).filter { top1(batch.allOutputs[0], 4, $0) == labels[$0] }.count
        print("fusion: int8 top-1 \(int8Correct)/\(n), onnxruntime float \(floatCorrect)/\(n)")
        #expect(Double(int8Correct) >= Double(floatCorrect) - 0.01 * Double(n), "int8 \(int8Correct) vs float \(floatCorrect) of \(n)")
        // The run's first output file is the same data as `outputs` (output 0, no exits).
        #expect(batch.allOutputs[0] == batch.outputs && batch.allOutputFiles[0] == batch.outputFile)
        for (k, (ref, width)) in [(refLogits, 4), (refKind, 2)].enumerated() {
            let agree = (0..<n).filter { top1(ref, width, $0) == top1(batch.allOutputs[k], width, $0) }.count
            #expect(agree * 100 >= n * 97, "output \(k): top-1 agreement \(agree)/\(n)")
            #expect(try NPYArray(bytes: batch.allOutputFiles[k]).shape == [n, width])
        }
    }

    @Test func calibrationFilesAreMatchedByInputName() throws {
        let ports = Passes.optimize(try ONNXImporter.importModel(path: fixture("fusion.onnx"))).inputPorts
        #expect(try calibrationFiles(Self.calibration, ports: ports) == [fixture("fusion_calib_image.npy"), fixture("fusion_calib_imu.npy")])
        func message(_ files: [String: String]) -> String {
            let e = #expect(throws: ConversionError.self) { try calibrationFiles(files, ports: ports) }
            return e?.description ?? ""
        }
        #expect(message(["image": "a.npy"]) == "no calibration data for input 'imu' (the model's inputs: 'image', 'imu'); give --calibration NAME=FILE for each")
        #expect(message(["": "a.npy"]) == "the model has 2 inputs ('image', 'imu'): give --calibration NAME=FILE for each")
        #expect(message(["image": "a", "imu": "b", "gyro": "c"]) == "calibration data for 'gyro', which is not an input of the model (its inputs: 'image', 'imu')")
    }

    /// Output names become file names: characters other than A-Z a-z 0-9 . _ - turn into '_',
    /// a leading '.' too, collisions get the output index, an empty name becomes output_<index>.
    @Test func outputFileNamesAreFileSafeAndDistinct() {
        let names = ["fused/logits", "image:kind", "fused:logits", ".hidden", "", "ok-1.2_x", "a b/..", String(repeating: "z", count: 300)]
        // The names' bytes at stable addresses, as a model file holds them.
        let stored = names.map { name -> UnsafeMutableRawBufferPointer in
            let bytes = Array(name.utf8)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
            buffer.copyBytes(from: bytes)
            return buffer
        }
        defer { stored.forEach { $0.deallocate() } }
        let files: [String] = names.indices.map { k in
            var buffer = [UInt8](repeating: 0, count: OutputFileName.maxStemBytes + 32)
            let length = buffer.withUnsafeMutableBytes { out in
                OutputFileName.write(output: k, into: out) { UnsafeRawBufferPointer(stored[$0]) }
            }
            return length.map { String(decoding: buffer[0..<$0], as: UTF8.self) } ?? "<nil>"
        }
        #expect(Array(files.prefix(7)) == ["fused_logits.npy", "image_kind.npy", "fused_logits_2.npy", "_hidden.npy", "output_4.npy",
                                           "ok-1.2_x.npy", "a_b_...npy"])
        #expect(files[7] == String(repeating: "z", count: OutputFileName.maxStemBytes) + ".npy")
        var small = [UInt8](repeating: 0, count: 8)
        #expect(small.withUnsafeMutableBytes { out in OutputFileName.write(output: 0, into: out) { _ in UnsafeRawBufferPointer(start: nil, count: 0) } } == nil)
    }
}
