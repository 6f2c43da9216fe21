// The per-CPU cost rule: `--sparse auto` stores a layer sparse exactly when the selected core's
// table says so. Break-even values asserted here are the measured ones of Docs/sparsity.md
// ("Cost rule per CPU"), written out by hand so a silent edit of the table fails a test.
import Foundation
import Testing
@testable import SparrowConverter

@Suite struct SparseCostModelTests {
    @Test func layerClassesFollowInputChannels() {
        func layer(_ kind: String, _ cols: Int) -> SparseLayerClass { SparseLayerClass(kind: kind, inputChannels: cols) }
        #expect(layer("FC", 4096) == .fullyConnected)
        #expect(layer("Conv1x1", 16) == .conv1x1(maxInputChannels: 64))
        #expect(layer("Conv1x1", 64) == .conv1x1(maxInputChannels: 64))
        #expect(layer("Conv1x1", 65) == .conv1x1(maxInputChannels: 128))
        #expect(layer("Conv1x1", 256) == .conv1x1(maxInputChannels: 256))
        #expect(layer("Conv1x1", 512) == .conv1x1(maxInputChannels: 512))
        #expect(layer("Conv1x1", 513) == .conv1x1Wide)
        // The row names of Docs/sparsity.md and of convert's reasons.
        #expect(SparseLayerClass.all.map(\.description)
                == ["FC", "Conv1x1<=64", "Conv1x1<=128", "Conv1x1<=256", "Conv1x1<=512", "Conv1x1>512"])
    }

    @Test func boardCPUsMapToCores() {
        #expect(SparseCostCore(targetCPU: "cortex-a53") == .cortexA53)
        #expect(SparseCostCore(targetCPU: "cortex-a72") == .cortexA72)
        #expect(SparseCostCore(targetCPU: "cortex-a76") == .cortexA76)
        #expect(SparseCostCore(targetCPU: "cortex-a55") == nil)
        #expect(SparseCostCore(targetCPU: "host") == nil)     // not a board CPU
        for core in SparseCostCore.all {
            // Every core has a full table: 6 classes × 4 measured block shapes.
            #expect(SparseCostModel.table(core).breakEven.count == 24, "\(core)")
            #expect(SparseCostModel.table(core).core == core)
        }
    }

    @Test func measuredThresholdsPerCore() {
        func t(_ core: SparseCostCore, _ kind: String, _ r: Int, _ c: Int) -> Double {
            let layer = try! #require(SparseLayerClass.all.first { $0.description == kind })
            return SparseCostModel.table(core).densityThreshold(layer, SparseBlockShape(r, c))
        }
        #expect(t(.cortexA53, "FC", 1, 1) == 0.12)
        #expect(t(.cortexA72, "FC", 1, 1) == 0.15)
        #expect(t(.cortexA76, "FC", 1, 1) == 0)               // never on the A76
        #expect(t(.cortexA76, "FC", 1, 16) == 0.07)
        #expect(t(.cortexA72, "Conv1x1<=256", 1, 1) == 0.56)
        #expect(t(.cortexA76, "Conv1x1<=256", 1, 1) == 0.29)
        #expect(t(.cortexA76, "Conv1x1>512", 4, 1) == 0)
        #expect(abs(t(.host, "FC", 1, 1) - 1 / 2.3) < 1e-12)
        // An unmeasured block shape takes its class's lowest threshold on that core.
        #expect(t(.cortexA72, "FC", 2, 2) == 0.15)
        #expect(t(.cortexA53, "Conv1x1<=64", 8, 1) == 0.49)
    }

    @Test func neverMeansDenseEvenForAnEmptyMatrix() {
        let unstructured = SparseBlockShape(1, 1)
        #expect(!SparseCostModel.table(.cortexA76).prefersSparse(.fullyConnected, unstructured, storedDensity: 0))
        #expect(SparseCostModel.table(.cortexA72).prefersSparse(.fullyConnected, unstructured, storedDensity: 0.15))
        #expect(!SparseCostModel.table(.cortexA72).prefersSparse(.fullyConnected, unstructured, storedDensity: 0.16))
    }

    /// The pruned digits MLP (FC layers at 10 %, 10 %, 20 % density, unstructured): the 20 % layer
    /// lies between the Cortex-A53 / A72 thresholds (12 %, 15 %) and the host's (43 %), and the
    /// 10 % layers between the A76's (never) and the A53/A72's: the same file converts to a
    /// different mix of sparse and dense operators per core.
    @Test(arguments: [(SparseCostCore.host, [true, true, true]), (.cortexA53, [true, true, false]),
                      (.cortexA72, [true, true, false]), (.cortexA76, [false, false, false])])
    func storageFollowsTheSelectedCoresTable(core: SparseCostCore, expected: [Bool]) throws {
        var options = ConversionOptions(calibrationPath: IRFixtures.digits("digits_calib.npy"))
        options.sparsity = SparsityOptions(costCore: core)
        let result = try convert(onnxPath: IRFixtures.digits("digits_mlp_pruned.onnx"), options: options)
        let layers = result.sparseLayers
        try #require(layers.count == 3)
        #expect(layers.map(\.sparse) == expected, "\(core): \(layers.map(\.line))")
        for layer in layers {
            #expect(layer.blockRows == 1 && layer.blockCols == 1 && layer.kind == "FC")
            #expect(abs(layer.storedDensity - (layer.name.hasSuffix("5/Gemm") ? 0.2 : 0.1)) < 0.005, "\(layer.line)")
            #expect(layer.reason.contains("auto (\(core.rawValue))"), "\(layer.reason)")
        }
        let sparseCount = expected.filter { $0 }.count
        #expect(result.summary.opCounts["SparseFullyConnected", default: 0] == sparseCount)
        #expect(result.summary.opCounts["FullyConnected", default: 0] == 3 - sparseCount)
    }

    /// `always` / `never` override every core's table.
    @Test func overridesIgnoreTheCore() throws {
        var options = ConversionOptions(calibrationPath: IRFixtures.digits("digits_calib.npy"))
        options.sparsity = SparsityOptions(mode: .always, costCore: .cortexA76)
        let always = try convert(onnxPath: IRFixtures.digits("digits_mlp_pruned.onnx"), options: options)
        #expect(always.summary.opCounts["SparseFullyConnected"] == 3)
        options.sparsity = SparsityOptions(mode: .never, costCore: .host)
        let never = try convert(onnxPath: IRFixtures.digits("digits_mlp_pruned.onnx"), options: options)
        #expect(never.summary.opCounts["SparseFullyConnected"] == nil && never.summary.opCounts["FullyConnected"] == 3)
    }
}
