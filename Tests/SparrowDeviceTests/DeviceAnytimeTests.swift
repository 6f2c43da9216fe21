import Foundation
import SparrowConverter
import SparrowNPY
import SparrowRuntime
import SparrowToolchain
import Testing

/// `sparrow-device run --mac-budget` under qemu (pi4b): the exit that answered each sample is
/// never one the budget excludes; with --full-depth it is the deepest allowed exit, otherwise the
/// calibrated cascade's exit capped there (the cascade taken from the host calibrator's profile).
@Suite struct DeviceAnytimeTests {
    @Test func macBudgetCapsTheAnsweringExit() throws {
        let cache = DeviceBuildCache.shared
        let board = try cache.catalog.board(named: "pi4b")
        let build = try cache.build("pi4b")
        let m = MultiExitModel.shared
        let profile = try m.profile()
        let macs = profile.macs
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try m.path("multiexit.sparrow")
        let file = try Data(contentsOf: URL(fileURLWithPath: model))
        let thresholds = try file.withUnsafeBytes { raw -> [Int32] in
            let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: raw.count, alignment: 16)
            defer { copy.deallocate() }
            copy.copyMemory(from: raw)
            let v = try VerifiedModel.verify(UnsafeRawBufferPointer(copy))
            return (0..<v.exitCount).map { v.exit($0).threshold }
        }
        let cascade = (0..<profile.sampleCount).map { profile.exitTaken(sample: $0, thresholds: thresholds) }
        for (budget, fullDepth) in [(macs[0] - 1, true), (macs[0], true), (macs[1], true), (macs[1], false), (macs[2], false)] {
            let exitFile = directory.appendingPathComponent("e.npy").path
            let r = try Emulator(builder: cache.builder).run(
                board: board, arguments: ["run", model, "--input", try m.path("x.npy"), "--mac-budget", String(budget),
                                          "--exit-index", exitFile] + (fullDepth ? ["--full-depth"] : []),
                binary: build.binaryPath)
            #expect(r.exitCode == 0, "stderr: \(String(decoding: r.stderr, as: UTF8.self))")
            let taken = try #require(try NPYArray.read(path: exitFile).int64s()).map(Int.init)
            let deepest = macs.lastIndex(where: { $0 <= budget }) ?? -1
            let expected = cascade.map { deepest < 0 ? -1 : (fullDepth ? deepest : min($0, deepest)) }
            #expect(taken == expected, "budget \(budget) fullDepth \(fullDepth)")
            #expect(taken.allSatisfy { $0 < 0 || macs[$0] <= budget })
        }
    }
}
