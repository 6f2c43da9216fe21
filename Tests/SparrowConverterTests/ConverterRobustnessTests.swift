// The converter never traps on data. Each test is a class of crash or hang that
// Tests/Fixtures/fuzz/mutate_convert.py (mutated fixture models given to `sparrow convert`) or
// libFuzzer found, reduced to the smallest model that showed it; each now gets a specific error
// naming the tensor, node or attribute (or, for calibration samples, is skipped and reported).
import Foundation
import SparrowConverter
import SparrowNPY
import SparrowONNX
import Testing

@Suite struct ConverterRobustnessTests {
    /// Import, optimize and convert `m` with `samples` (ONNX layout, leading dimension = samples).
    static func convertModel(_ m: ONNXModel, samples: [Float], shape: [Int],
                             importOptions: ImportOptions = ImportOptions()) throws -> ConversionResult {
        let graph = Passes.optimize(try ONNXImporter.importModel(m, options: importOptions))
        return try convert(graph: graph, options: ConversionOptions(calibration: .samples([NPYArray(floats: samples, shape: shape)])))
    }

    static func importError(_ m: ONNXModel) -> ImportError? {
        do { _ = try ONNXImporter.importModel(m); return nil } catch { return error }
    }

    static func gemm(weights: [Float], alpha: Float = 1) -> ONNXModel {
        let node = ONNXNode(name: "fc", opType: "Gemm", inputs: ["x", "w"], outputs: ["y"],
                            attributes: ["transB": .int(1), "alpha": .float(alpha)])
        return model([node], input: [1, 2], initializers: [floatTensor("w", [2, 2], weights)])
    }

    // MARK: non-finite and absurd values

    /// The report: a NaN weight reached QuantMath.quantizeWeights, which trapped on
    /// "Float value cannot be converted to Int8".
    @Test func nonFiniteWeightIsRejectedNamingTheInitializer() {
        for bad in [Float.nan, .infinity, -.infinity] {
            let error = Self.importError(Self.gemm(weights: [1, bad, 0, 1]))
            #expect(error?.subject == "initializer 'w'")
            #expect(error?.message.contains("element 1 of 4 is") == true)
        }
    }

    @Test func weightsThatOverflowWhenFoldedNameTheNode() throws {
        // Finite in the file; alpha · w = infinity once Gemm's alpha is folded into the weights.
        let m = Self.gemm(weights: [3e38, 0, 0, 1], alpha: 10)
        let error = #expect(throws: ConversionError.self) { try Self.convertModel(m, samples: [1, 2, 3, 4], shape: [2, 2]) }
        #expect(error?.node == "fc")
        #expect(error?.message.contains("is infinity after folding") == true)
    }

    @Test func activationsThatOverflowDuringCalibrationNameTheNode() throws {
        let m = Self.gemm(weights: [3e38, 0, 0, 1])
        let error = #expect(throws: ConversionError.self) { try Self.convertModel(m, samples: [10, 2, 3, 4], shape: [2, 2]) }
        #expect(error?.kind == .calibration)
        #expect(error?.node == "fc")
        #expect(error?.message.contains("became NaN or infinite") == true)
    }

    @Test func nanCalibrationSampleIsSkippedAndReported() throws {
        let m = Self.gemm(weights: [1, 0, 0, 1])
        let result = try Self.convertModel(m, samples: [1, 2, .nan, 4, -1, 3], shape: [3, 2])
        #expect(result.summary.calibrationRuns == 2)
        #expect(result.summary.skippedCalibrationRuns == 1)
        #expect(result.summary.description.contains("skipped 1 calibration runs whose samples hold NaN or infinity"))
        let allBad = #expect(throws: ConversionError.self) { try Self.convertModel(m, samples: [.nan, 2, 1, .infinity], shape: [2, 2]) }
        #expect(allBad?.message.contains("every calibration sample holds NaN or infinity (the first: run 0, input 'x', element 0)") == true)
    }

    @Test func nonFiniteFloatAttributeIsRejected() {
        let m = Self.gemm(weights: [1, 0, 0, 1], alpha: .nan)
        let error = Self.importError(m)
        #expect(error?.subject == "attribute 'alpha'")
        #expect(error?.message == "value nan is not a finite number")
    }

    @Test func batchNormWithNonPositiveVarianceIsRejected() {
        let bn = ONNXNode(name: "bn", opType: "BatchNormalization", inputs: ["x", "g", "b", "m", "v"], outputs: ["y"],
                          attributes: ["epsilon": .float(0)])
        let inits = [floatTensor("g", [2], [1, 1]), floatTensor("b", [2], [0, 0]), floatTensor("m", [2], [0, 0]),
                     floatTensor("v", [2], [1, -1])]
        let error = Self.importError(model([bn], input: [1, 2, 2, 2], initializers: inits))
        #expect(error?.subject == "input 4 ('v')")
        #expect(error?.message.contains("input_var[1] + epsilon = -1.0 is not positive") == true)
    }

    // MARK: integer overflow in shapes and attributes

    @Test func hugeIntegerAttributeIsRejectedNamingIt() {
        let conv = ONNXNode(name: "c", opType: "Conv", inputs: ["x", "w"], outputs: ["y"],
                            attributes: ["strides": .ints([1 << 40, 1])])
        let error = Self.importError(model([conv], input: [1, 1, 3, 3], initializers: [floatTensor("w", [1, 1, 1, 1], [1])]))
        #expect(error?.subject == "attribute 'strides'")
        #expect(error?.message == "value 1099511627776 is out of range (at most ±2147483647)")
    }

    @Test func poolWindowOutsideTheFormatIsRejected() {
        // A zero kernel trapped in the SAME padding arithmetic; a 100000 kernel was written and
        // then rejected by the converter's own verification (the format holds up to 65536).
        for kernel: [Int64] in [[0, 1], [100_000, 1]] {
            let pool = ONNXNode(name: "p", opType: "AveragePool", inputs: ["x"], outputs: ["y"],
                                attributes: ["kernel_shape": .ints(kernel), "auto_pad": .string(Array("SAME_UPPER".utf8))])
            let error = Self.importError(model([pool], input: [1, 1, 3, 3]))
            #expect(error?.subject == "attribute 'kernel_shape'")
            #expect(error?.message == "values \(kernel) must be in 1...65536")
        }
    }

    /// The ONNX libFuzzer campaign's crash (2026-12-06, 221-byte input): a Conv on a 3-D [1, 7, 5]
    /// input with no outputs at all; the 1-D lifting wrote `outputs[0]` of an empty list and
    /// trapped. Every node's first output is now required before any handler runs; the same holds
    /// for other op types, and for the LayerNorm fusion's pattern match (a ReduceMean with no inputs).
    @Test func nodeWithoutOutputsIsRejectedNotTrapped() {
        let conv = ONNXNode(name: "c", opType: "Conv", inputs: ["x"], outputs: [],
                            attributes: ["kernel_shaph": .ints([3]), "stridew": .ints([1])])
        let convError = Self.importError(model([conv], input: [1, 7, 5]))
        #expect(convError?.message.contains("has no output") == true, "\(String(describing: convError))")
        for op in ["Relu", "Conv", "MaxPool"] {
            let node = ONNXNode(name: "n", opType: op, inputs: ["x"], outputs: [""])
            let error = Self.importError(model([node], input: [1, 2, 4, 4]))
            #expect(error?.message.contains("has no output") == true, "\(op): \(String(describing: error))")
        }
        let mean = ONNXNode(name: "m", opType: "ReduceMean", inputs: [], outputs: ["y"], attributes: ["axes": .ints([-1])])
        #expect(Self.importError(model([mean], input: [1, 4])) != nil)
    }

    @Test func inputShapeWhoseElementCountOverflowsIsRejected() {
        let relu = ONNXNode(name: "r", opType: "Relu", inputs: ["x"], outputs: ["y"])
        let error = Self.importError(model([relu], input: [1 << 40, 1 << 40]))
        #expect(error?.node == nil)
        #expect(error?.subject == "input 'x'")
    }

    @Test func emptyInputIsRejectedBeforeCalibration() {
        // Calibration's layout transpose trapped on an input with a zero dimension. A declared 0
        // is symbolic unless the caller fixes it to 0 (`--input-shape x=0,3`), as here.
        let relu = ONNXNode(name: "r", opType: "Relu", inputs: ["x"], outputs: ["y"])
        var options = ImportOptions()
        options.inputShapes = ["x": [0, 3]]
        let error = #expect(throws: ConversionError.self) {
            try Self.convertModel(model([relu], input: [0, 3]), samples: [], shape: [0, 3], importOptions: options)
        }
        #expect(error?.message.contains("input 'x' has shape [0, 3]") == true)
    }

    @Test func reshapeToAnOverflowingShapeIsRejected() {
        let reshape = ONNXNode(name: "rs", opType: "Reshape", inputs: ["x", "s"], outputs: ["y"])
        let error = Self.importError(model([reshape], input: [1, 4], initializers: [int64Tensor("s", [1 << 31 - 1, 1 << 31 - 1, -1])]))
        #expect(error?.node == "rs")
        #expect(error?.subject == "input 1 ('s')")
    }

    @Test func sliceEndsOfInt64MaxMeanToTheEnd() throws {
        // Exporters write INT64_MAX for "to the end"; converting it through Double to Int trapped.
        let slice = ONNXNode(name: "sl", opType: "Slice", inputs: ["d", "st", "en"], outputs: ["y"])
        let m = model([slice], input: [1], initializers: [floatTensor("d", [4], [1, 2, 3, 4]), int64Tensor("st", [1]),
                                                          int64Tensor("en", [Int64.max])])
        let graph = try ONNXImporter.importModel(m)
        let out = try #require(graph.outputPorts.first)
        #expect(graph.values[out.value].constant == [2, 3, 4])
    }

    // MARK: allocations without bound

    @Test func constantOfHugeShapeIsRejectedBeforeAllocating() {
        let node = ONNXNode(name: "cos", opType: "ConstantOfShape", inputs: ["s"], outputs: ["y"])
        let error = Self.importError(model([node], input: [1], initializers: [int64Tensor("s", [Int64(Int32.max)])]))
        #expect(error?.node == "cos")
        #expect(error?.message.contains("has more than 16777216 elements") == true)
    }

    @Test func rangeWithAHugeCountIsRejected() {
        let node = ONNXNode(name: "rg", opType: "Range", inputs: ["a", "b", "d"], outputs: ["y"])
        let inits = [floatTensor("a", [], [0]), floatTensor("b", [], [1e30]), floatTensor("d", [], [1])]
        let error = Self.importError(model([node], input: [1], initializers: inits))
        #expect(error?.node == "rg")
        #expect(error?.message.contains("more than a Sparrow model can hold") == true)
    }

    @Test func padToAHugeShapeIsRejectedBeforeCalibration() {
        let pad = ONNXNode(name: "pd", opType: "Pad", inputs: ["x", "p"], outputs: ["y"])
        let error = Self.importError(model([pad], input: [1, 4], initializers: [int64Tensor("p", [0, 0, 0, 1 << 30])]))
        #expect(error?.node == "pd")
        #expect(error?.subject == "output 'y'")
    }

    /// mutate_convert.py, seed 3: Resize scales of 1e30 trapped converting the output size to Int.
    @Test func resizeScaleBeyondTheFormatIsRejected() {
        let resize = ONNXNode(name: "up", opType: "Resize", inputs: ["x", "", "s"], outputs: ["y"],
                              attributes: ["mode": .string(Array("nearest".utf8))])
        let error = Self.importError(model([resize], input: [1, 1, 2, 2], initializers: [floatTensor("s", [4], [1, 1, 1e30, 1e30])]))
        #expect(error?.node == "up")
        #expect(error?.subject == "input 2 ('s')")
        #expect(error?.message.contains("above 2147483647") == true)
    }

    /// mutate_convert.py, seed 3: Tile repeats of 2^31 − 1 built an index list of 2^32 entries
    /// (a hang) before the output shape was checked.
    @Test func tileToAHugeShapeIsRejectedBeforeBuildingIndices() {
        let tile = ONNXNode(name: "t", opType: "Tile", inputs: ["x", "r"], outputs: ["y"])
        let clock = ContinuousClock(), started = clock.now
        let error = Self.importError(model([tile], input: [2, 2], initializers: [int64Tensor("r", [2_147_483_647, 2])]))
        #expect(clock.now - started < .seconds(5))
        #expect(error?.node == "t")
        #expect(error?.subject == "output 'y'")
        #expect(error?.message.contains("more than 268435456 elements") == true)
    }

    // MARK: requantization beyond the format

    /// mutate_convert.py's "converter bug, the verifier rejected the output: requantization shift
    /// out of range": calibration samples of 1e12 whose outputs cancel to exactly 0 (weights
    /// [1, −1] on equal inputs) make the output scale the degenerate 1/255, so one accumulator step
    /// is worth ~8e9 output codes, beyond the 2^30 the format holds. The error names the layer,
    /// the weights and the ranges instead.
    @Test func fullyConnectedWhoseOutputVanishesNextToItsInputsNamesTheLayer() throws {
        let m = Self.gemm(weights: [1, -1, 1, -1])
        let error = #expect(throws: ConversionError.self) { try Self.convertModel(m, samples: [1e12, 1e12, 3e11, 3e11], shape: [2, 2]) }
        #expect(error?.kind == .formatLimit)
        #expect(error?.node == "fc")
        let text = error?.description ?? ""
        #expect(!text.contains("converter bug"))
        // 1e12/255 (input scale) × 1/127 (weight scale) / (1/255) (output scale) = 1e12/127.
        #expect(text.contains("output channel 0 needs a requantization multiplier of 7.87e+09"))
        #expect(text.contains("beyond the 2^30 an int8 layer can represent"))
        #expect(text.contains("input range [0, 1e+12]"))
        #expect(text.contains("weights 'fc/weights"))   // the FC's weights as the importer names them
        #expect(text.contains("range [-1, 1], output range [0, 1]"))
        #expect(text.contains("check the weights and calibration samples for absurd magnitudes"))
        // The same layer with samples whose outputs do not cancel converts.
        _ = try Self.convertModel(m, samples: [1e12, 0, 3e11, 1], shape: [2, 2])
    }

    /// The same for an operator whose rescales come from a kernel's prepare: x + c where the
    /// calibration samples cancel c exactly.
    @Test func addWhoseOutputVanishesNextToItsInputsNamesTheNode() throws {
        let add = ONNXNode(name: "plus", opType: "Add", inputs: ["x", "c"], outputs: ["y"])
        let m = model([add], input: [1, 2], initializers: [floatTensor("c", [2], [-1e20, -1e20])])
        let error = #expect(throws: ConversionError.self) { try Self.convertModel(m, samples: [1e20, 1e20], shape: [1, 2]) }
        #expect(error?.kind == .formatLimit)
        #expect(error?.node == "plus")
        let text = error?.description ?? ""
        #expect(!text.contains("converter bug"))
        #expect(text.contains("rescale needs a multiplier beyond the 2^30 int8 requantization can represent"))
        #expect(text.contains("output range [0, 1]"))
        _ = try Self.convertModel(m, samples: [1e20, 0], shape: [1, 2])
    }

    // MARK: QDQ scales and zero points

    static func qdq(scale: [Float], zeroPoint: [Int32], weightShape: [Int] = [2, 2]) -> ONNXModel {
        let count = weightShape.reduce(1, *)
        let dq = ONNXNode(name: "dq", opType: "DequantizeLinear", inputs: ["wq", "s", "z"], outputs: ["w"],
                          attributes: ["axis": .int(0)])
        let fc = ONNXNode(name: "fc", opType: "Gemm", inputs: ["x", "w"], outputs: ["y"], attributes: ["transB": .int(1)])
        let wq = ONNXTensor(name: "wq", dataType: .int8, dims: weightShape, data: .int32Data([Int32](repeating: 1, count: count)))
        let z = ONNXTensor(name: "z", dataType: .int8, dims: [zeroPoint.count], data: .int32Data(zeroPoint))
        return model([dq, fc], input: [1, 2], initializers: [wq, floatTensor("s", [scale.count], scale), z])
    }

    @Test func qdqScaleThatIsNotPositiveIsRejected() {
        for bad: Float in [0, -0.5, 1e-45] {
            let error = Self.importError(Self.qdq(scale: [bad, 1], zeroPoint: [0, 0]))
            #expect(error?.node == "dq")
            #expect(error?.subject == "input 1 ('s')")
            #expect(error?.message.contains("scale[0] =") == true)
        }
    }

    @Test func qdqPerAxisScaleCountMustMatchTheAxis() {
        let error = Self.importError(Self.qdq(scale: [1, 1, 1], zeroPoint: [0, 0, 0]))
        #expect(error?.subject == "input 1 ('s')")
        #expect(error?.message == "scale has 3 elements; axis 0 of the input has 2")
    }
}
