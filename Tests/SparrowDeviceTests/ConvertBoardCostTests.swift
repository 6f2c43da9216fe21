import Foundation
import SparrowConverter
import SparrowToolchain
import Testing

/// `sparrow convert --board NAME` picks the sparse cost table of the board's core.
@Suite struct ConvertBoardCostTests {
    /// Every board profile has a measured table for its CPU, and the default board is the Pi 4's A72.
    @Test func everyBoardHasACostTable() throws {
        let catalog = DeviceBuildCache.shared.catalog
        for board in catalog.boards {
            #expect(SparseCostCore(targetCPU: board.targetCPU) != nil, "\(board.name): \(board.targetCPU)")
        }
        #expect(catalog.defaultBoard.name == "pi4b")
        #expect(SparseCostCore(targetCPU: catalog.defaultBoard.targetCPU) == .cortexA72)
    }

    /// The compiled-in index `convert --board` reads equals Boards/*.json: same names, cores and default.
    @Test func boardIndexMatchesTheBoardFiles() throws {
        let catalog = DeviceBuildCache.shared.catalog
        #expect(BoardIndex.boards == catalog.boards.map { BoardIndexEntry(name: $0.name, targetCPU: $0.targetCPU, isDefault: $0.isDefault) })
        #expect(BoardIndex.defaultBoard.name == catalog.defaultBoard.name)
    }

    /// Outside any checkout (no Boards/ above the working directory, SPARROW_ROOT unset) a named
    /// board still resolves; before, this walked up from the working directory and failed.
    @Test func boardResolvesOutsideTheCheckout() throws {
        let sparrow = try sparrowExecutable()
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/digits")
        let elsewhere = try makeTemporaryDirectory()
        let r = try runTool(["env", "-u", "SPARROW_ROOT", "sh", "-c",
                             "cd '\(elsewhere.path)' && '\(sparrow)' convert '\(fixtures.appendingPathComponent("digits_mlp_pruned.onnx").path)' "
                             + "-o m.sparrow --calibration '\(fixtures.appendingPathComponent("digits_calib.npy").path)' --board pi3b-plus"])
        #expect(r.exitCode == 0, "\(r.stderr)")
        #expect(r.stdout.contains("sparse  auto (cortex-a53): stored density 0.10 <= threshold 0.12"), "\(r.stdout)")
    }

    /// The pruned MLP's 10 %-dense FC layers are sparse for the Pi 3 B+ (A53: break-even 12 %) and
    /// dense for the Pi 5 (A76: never); without --board, the default pi4b (A72) decides.
    @Test func boardSelectsTheTable() throws {
        let sparrow = try sparrowExecutable()
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/digits")
        let out = try makeTemporaryDirectory().appendingPathComponent("m.sparrow").path
        func convert(_ extra: [String]) throws -> String {
            let r = try runTool([sparrow, "convert", fixtures.appendingPathComponent("digits_mlp_pruned.onnx").path, "-o", out,
                                 "--calibration", fixtures.appendingPathComponent("digits_calib.npy").path] + extra)
            #expect(r.exitCode == 0, "\(r.stderr)")
            return r.stdout
        }
        let a53 = try convert(["--board", "pi3b-plus"])
        #expect(a53.contains("sparse  auto (cortex-a53): stored density 0.10 <= threshold 0.12"), "\(a53)")
        let a76 = try convert(["--board", "pi5"])
        #expect(a76.contains("dense   auto (cortex-a76): sparse never pays for FC 1x1"), "\(a76)")
        #expect(!a76.contains("sparse  auto"), "\(a76)")
        let byDefault = try convert([])
        #expect(byDefault.contains("auto (cortex-a72)") && !byDefault.contains("auto (cortex-a53)"), "\(byDefault)")
        let host = try convert(["--board", "host"])
        #expect(host.contains("sparse  auto (host): stored density 0.20 <= threshold 0.43"), "\(host)")
        let unknown = try runTool([sparrow, "convert", "x.onnx", "-o", out, "--board", "pi9"])
        #expect(unknown.exitCode == 1 && unknown.stderr.contains("--board pi9: unknown board 'pi9'; known boards: pi-zero-2w,"),
                "\(unknown.stderr)")
    }
}
