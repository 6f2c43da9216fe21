import Foundation
import SparrowToolchain
import Testing

@Suite struct EmulateBoardFiguresTests {
    /// `sparrow emulate` adds the board profile's figures to a device bench, unless the user
    /// gave watts; a source or board name the user gave is kept; other commands are untouched.
    @Test func benchArgumentsGetTheProfileFigures() throws {
        let board = try DeviceBuildCache.shared.catalog.board(named: "pi4b")
        let bench = ["bench", "m.sparrow", "--input", "x.npy"]
        let added = DeviceCommands.deviceArguments(bench, for: board)
        #expect(Array(added.prefix(bench.count)) == bench)
        func value(_ name: String, _ args: [String]) -> String? { args.firstIndex(of: name).map { args[$0 + 1] } }
        // Boards/pi4b.json: idle 3.1 W, 0.75 W per loaded core.
        #expect(value("--idle-watts", added) == "3.100")
        #expect(value("--load-watts", added) == "0.750")
        #expect(value("--board", added) == "pi4b")
        #expect(value("--power-source", added)?.hasPrefix("Boards/pi4b.json (") == true)
        #expect(value("--power-source", added)?.contains(board.power.source) == true)

        let own = bench + ["--idle-watts", "2", "--load-watts", "1"]
        #expect(DeviceCommands.deviceArguments(own, for: board) == own)
        let named = DeviceCommands.deviceArguments(bench + ["--power-source", "my meter", "--board", "lab-pi"], for: board)
        #expect(named.filter { $0 == "--power-source" }.count == 1 && value("--power-source", named) == "my meter")
        #expect(named.filter { $0 == "--board" }.count == 1 && value("--board", named) == "lab-pi")
        let run = ["run", "m.sparrow", "--input", "x.npy"]
        #expect(DeviceCommands.deviceArguments(run, for: board) == run)
    }

    /// End to end through the built `sparrow emulate`: the emulated record carries the profile's
    /// labelled estimate, with the same figures and source text `sparrow bench --board` uses.
    @Test func emulatedBenchRecordCarriesTheProfileEstimate() throws {
        let boardName = "pi3b-plus"
        let board = try DeviceBuildCache.shared.catalog.board(named: boardName)
        _ = try DeviceBuildCache.shared.build(boardName)  // `sparrow emulate` then finds it in the build cache
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let sparrow = try sparrowExecutable()
        let emulatedJSON = directory.appendingPathComponent("emulated.json"), hostJSON = directory.appendingPathComponent("host.json")
        let bench = ["bench", try DigitsModel.shared.modelPath(), "--input", try DigitsModel.shared.inputPath(),
                     "--iterations", "20", "--warmup", "1", "--power", "model", "--quiet"]
        let emulated = try runTool([sparrow, "emulate", "--board", boardName, "--"] + bench + ["--json", emulatedJSON.path])
        #expect(emulated.exitCode == 0, "\(emulated.stderr)")
        let host = try runTool([sparrow] + bench + ["--board", boardName, "--json", hostJSON.path])
        #expect(host.exitCode == 0, "\(host.stderr)")

        let record = try readRecord(emulatedJSON)
        #expect(validate(record, against: try benchSchema()) == [])
        #expect(record["tool"] as? String == "sparrow-device")
        let energy = try #require(record["energy"] as? [String: Any])
        #expect(energy["source"] as? String == "model")
        #expect(energy["estimated"] as? Bool == true)
        let profile = try #require(energy["profile"] as? [String: Any])
        #expect(profile["board"] as? String == boardName)
        #expect(abs((profile["idleWatts"] as? Double ?? -1) - board.power.idleWatts) < 1e-9)
        #expect(abs((profile["loadWatts"] as? Double ?? -1) - board.power.perCoreLoadWatts) < 1e-9)
        #expect((profile["source"] as? String)?.hasPrefix("Boards/\(boardName).json") == true)
        #expect(energy["idleWatts"] as? Double == profile["idleWatts"] as? Double)
        // The host's labelled estimate for the same board: the same figures, word for word.
        let hostProfile = try #require((try readRecord(hostJSON)["energy"] as? [String: Any])?["profile"] as? [String: Any])
        #expect(NSDictionary(dictionary: hostProfile).isEqual(to: profile))
    }
}
