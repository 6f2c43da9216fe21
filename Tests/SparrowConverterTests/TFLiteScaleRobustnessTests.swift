// Absurd scales in a .tflite file (TFLiteLowering+Requantization.swift): every multiplier the
// lowering derives from the file's scales is range-checked, so a corrupted scale gives an error
// naming the operator (its index in the file), its opcode, its tensors and what to check, never
// the converter's own verification failure ("converter bug …"). The same for shapes that do not
// fit their operator (TFLiteLowering+Shapes.swift).
import Foundation
import XCTest
import SparrowConverter
import SparrowRuntime
import SparrowTFLite

final class TFLiteScaleRobustnessTests: XCTestCase {
    static let stems = ["conv", "fully_connected", "pooling", "activations", "prelu", "concat_relu", "binary_broadcast",
                        "uint8_io", "float_io", "binary", "transpose_conv", "resize", "arg_max", "shape"]
    /// Opcodes whose lowering derives a rescale from their output's scale.
    static let rescaling: Set<String> = ["CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "ADD", "SUB", "MUL", "PRELU",
                                         "MEAN", "QUANTIZE", "TRANSPOSE_CONV"]

    static func fixture(_ stem: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: TFLiteConversionTests.path("models/\(stem).int8.tflite"))))
    }

    /// `bytes` with the per-tensor scale of tensor `t` replaced by `scale`: of the places its four
    /// bytes occur (other tensors may share the value), the one after which re-reading the file
    /// shows tensor `t`, and no other tensor, with the new scale; nil when there is none.
    static func withScale(_ bytes: [UInt8], _ model: TFLiteModel, tensor t: Int, _ scale: Float) -> [UInt8]? {
        guard let q = model.graph.tensors[t].quantization, q.scales.count == 1 else { return nil }
        let old = withUnsafeBytes(of: q.scales[0].bitPattern.littleEndian, Array.init)
        for at in 0...(bytes.count - 4) where bytes[at..<(at + 4)].elementsEqual(old) {
            var patched = bytes
            withUnsafeBytes(of: scale.bitPattern.littleEndian) { for i in 0..<4 { patched[at + i] = $0[i] } }
            guard let reread = try? TFLiteModel(bytes: patched) else { continue }
            let changed = reread.graph.tensors.indices.filter {
                reread.graph.tensors[$0].quantization != model.graph.tensors[$0].quantization
            }
            if changed == [t] { return patched }
        }
        return nil
    }

    /// Every operator output of every int8 fixture, its scale made 10^20 times smaller (an output
    /// range next to nothing: a conv's ratio becomes ~10^18, an ADD's ~10^14, far past 2^30):
    /// the file converts to a model the verifier accepts, or the error names that operator or one
    /// that reads the tensor (MAXIMUM or a table keeps any output scale; a pool or concatenation
    /// after it requires equal scales); an operator that rescales to its output fails with the
    /// requantization error naming the tensor.
    func testEveryTinyOutputScaleIsNamedOrHarmless() throws {
        var tried = 0, requantizationErrors = 0, converted = 0
        for stem in Self.stems {
            let original = try Self.fixture(stem)
            let model = try TFLiteModel(bytes: original)
            let ops = model.graph.operators
            for (k, op) in ops.enumerated() {
                let opcode = model.opcode(of: op).displayName
                // QUANTIZE from float32 takes any output scale; from int8/uint8 it is a Requantize.
                let rescales = Self.rescaling.contains(opcode)
                    && !(opcode == "QUANTIZE" && model.graph.tensors[op.inputs[0]].type == .float32)
                for t in op.outputs where t >= 0 {
                    guard let scale = model.graph.tensors[t].quantization?.scales.first,
                          let bytes = Self.withScale(original, model, tensor: t, scale * 1e-20) else { continue }
                    tried += 1
                    let context = "\(stem): operator \(k) (\(opcode)), tensor \(t)"
                    let named = [k] + ops.indices.filter { ops[$0].inputs.contains(t) }
                    do {
                        let lowered = try TFLiteConversion.convert(bytes: bytes)
                        XCTAssertNil(HostModel.verificationError(lowered.bytes), context)
                        XCTAssertFalse(rescales, "\(context) converted with a 1e-20 output scale")
                        converted += 1
                    } catch let e as ConversionError {
                        let text = "\(e)"
                        XCTAssertNotEqual(e.kind, .verifierRejected, "\(context): \(text)")
                        XCTAssertTrue(named.contains { j in text.hasPrefix("Node operator \(j) (\(model.opcode(of: ops[j]).displayName)): ") },
                                      "\(context): \(text)")
                        if rescales {
                            XCTAssertTrue(text.hasPrefix("Node operator \(k) (\(opcode)): "), "\(context): \(text)")
                            XCTAssertTrue(text.contains("requantization multiplier"), "\(context): \(text)")
                            XCTAssertTrue(text.contains("tensor \(t) '\(model.graph.tensors[t].name)'"), "\(context): \(text)")
                            XCTAssertTrue(text.contains("Check these scales in the .tflite file"), "\(context): \(text)")
                            requantizationErrors += 1
                        }
                    } catch {
                        XCTFail("\(context): \(error)")
                    }
                }
            }
        }
        XCTAssertGreaterThanOrEqual(requantizationErrors, 30)
        print("tiny output scales: \(tried) tried, \(requantizationErrors) requantization errors, \(converted) converted")
    }

    /// conv.int8's first CONV_2D with its output scale 10^20 times smaller: the message gives the
    /// operator, the channel, the multiplier and every scale involved.
    func testConvOutputScaleMessage() throws {
        let original = try Self.fixture("conv")
        let model = try TFLiteModel(bytes: original)
        let k = try XCTUnwrap(model.graph.operators.firstIndex { model.opcode(of: $0).displayName == "CONV_2D" })
        let op = model.graph.operators[k]
        let t = op.outputs[0], x = op.inputs[0], w = op.inputs[1]
        let so = try XCTUnwrap(model.graph.tensors[t].quantization?.scales.first)
        let bytes = try XCTUnwrap(Self.withScale(original, model, tensor: t, so * 1e-20))
        XCTAssertThrowsError(try TFLiteConversion.convert(bytes: bytes)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("Node operator \(k) (CONV_2D): the output channel 0 rescale needs a requantization multiplier of "), text)
            XCTAssertTrue(text.contains("beyond the 2^30 an int8 operator can represent"), text)
            for (role, tensor) in [("input 0", x), ("input 1", w), ("output", t)] {
                XCTAssertTrue(text.contains("\(role) (tensor \(tensor) '\(model.graph.tensors[tensor].name)', scale"), "\(role): \(text)")
            }
        }
    }

    /// uint8_io's QUANTIZE (uint8 → int8 requantization): a ratio of ~10^20 needs too large a
    /// shift, one of ~10^-20 rounds to a zero multiplier, which a Requantize would read as a copy.
    func testRequantizeRatioTooLargeOrTooSmall() throws {
        let original = try Self.fixture("uint8_io")
        let model = try TFLiteModel(bytes: original)
        let k = try XCTUnwrap(model.graph.operators.firstIndex { op in
            model.opcode(of: op).displayName == "QUANTIZE" && model.graph.tensors[op.inputs[0]].type != .float32
        })
        let t = model.graph.operators[k].outputs[0]
        let so = try XCTUnwrap(model.graph.tensors[t].quantization?.scales.first)
        for (factor, expected) in [(Float(1e-20), "beyond the 2^30"), (Float(1e20), "below the 2^-32")] {
            let bytes = try XCTUnwrap(Self.withScale(original, model, tensor: t, so * factor))
            XCTAssertThrowsError(try TFLiteConversion.convert(bytes: bytes)) { error in
                let text = "\(error)"
                XCTAssertTrue(text.hasPrefix("Node operator \(k) (QUANTIZE): the output rescale needs a requantization multiplier of "), text)
                XCTAssertTrue(text.contains(expected), text)
            }
        }
    }

    /// pooling.int8's AVERAGE_POOL_2D with its output's channel count (dims vector in the file)
    /// set to 255: the verifier's shape rejection is reported as the file's operator, with the
    /// shapes of its tensors.
    func testShapeThatDoesNotFitItsOperatorNamesIt() throws {
        let original = try Self.fixture("pooling")
        let model = try TFLiteModel(bytes: original)
        let k = try XCTUnwrap(model.graph.operators.firstIndex { model.opcode(of: $0).displayName == "AVERAGE_POOL_2D" })
        let t = model.graph.operators[k].outputs[0]
        var shape = model.graph.tensors[t].shape
        shape[3] = 255
        // The dims vector of tensor t: its length word and elements, at the one place whose
        // rewrite changes tensor t's shape and nothing else.
        let old = ([UInt32(shape.count)] + model.graph.tensors[t].shape.map { UInt32(truncatingIfNeeded: $0) })
            .flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }
        var patched: [UInt8]?
        for at in 0...(original.count - old.count) where original[at..<(at + old.count)].elementsEqual(old) {
            var bytes = original
            bytes[at + 4 + 12] = 255
            guard let reread = try? TFLiteModel(bytes: bytes) else { continue }
            if reread.graph.tensors.indices.filter({ reread.graph.tensors[$0].shape != model.graph.tensors[$0].shape }) == [t] {
                patched = bytes
            }
        }
        XCTAssertThrowsError(try TFLiteConversion.convert(bytes: try XCTUnwrap(patched))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("Node operator \(k) (AVERAGE_POOL_2D): the tensor shapes in the file do not fit this operator: "), text)
            XCTAssertTrue(text.contains("output 0 (tensor \(t) '\(model.graph.tensors[t].name)') \(shape)"), text)
            XCTAssertTrue(text.contains("output channels"), text)
            XCTAssertFalse(text.contains("converter bug"), text)
        }
    }
}
