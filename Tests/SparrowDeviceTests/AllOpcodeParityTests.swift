import Foundation
import SparrowFormat
import SparrowRuntime
import SparrowTestSupport
import SparrowToolchain
import Testing

/// Every opcode on every board: the models in Tests/Fixtures/parity (written by its
/// make_parity_models.py from ONNX and TFLite fixtures) together use every opcode of the format,
/// and for each one `sparrow-device run` under qemu writes byte-identical output files to the
/// host's `sparrow run`, on every board profile, so every opcode runs on every board. A new
/// opcode fails `everyOpcodeHasAParityModel` until a model using it is added (one line in MODELS
/// there). The int8 TFLite models (the only ones with Maximum, Minimum and Requantize) take
/// their int8/uint8 codes as .npy samples, on the host and on the boards alike.
@Suite struct AllOpcodeParityTests {
    static let directory = TestFixtures.root.appendingPathComponent("parity")

    /// The parity models, by file name without extension.
    static func modelNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".sparrow") }.map { String($0.dropLast(".sparrow".count)) }.sorted()
    }

    /// Every opcode the format defines, from the OpCode enum itself (no hand-kept list).
    static let formatOpcodes: [OpCode] = (0...255).compactMap { OpCode(rawValue: UInt8($0)) }

    static func opcodes(of name: String) throws -> Set<UInt8> {
        let bytes = try [UInt8](Data(contentsOf: directory.appendingPathComponent(name + ".sparrow")))
        let host = try HostModel(bytes: bytes)
        return withExtendedLifetime(host) { Set((0..<host.model.operatorCount).map { host.model.opcode($0).rawValue }) }
    }

    @Test func everyOpcodeHasAParityModel() throws {
        let names = try Self.modelNames()
        #expect(names.count >= 10, "parity models: \(names)")
        var used = Set<UInt8>()
        for name in names { used.formUnion(try Self.opcodes(of: name)) }
        let missing = Self.formatOpcodes.filter { !used.contains($0.rawValue) }
        #expect(missing.isEmpty, """
            opcodes no parity model uses: \(missing.map { "\($0.name) (\($0.rawValue))" }.joined(separator: ", ")); \
            add a fixture using them to MODELS in Tests/Fixtures/parity/make_parity_models.py and re-run it
            """)
        // The enum walk itself sees the opcodes known today (0–28, 30, 40, 41, 50–52 at the time of writing).
        #expect(Self.formatOpcodes.count >= 35)
    }

    /// `--input NAME=FILE` for each graph input of `name` (files NAME.in0.npy, NAME.in1.npy, …).
    static func inputArguments(_ name: String) throws -> [String] {
        let host = try HostModel(bytes: try [UInt8](Data(contentsOf: directory.appendingPathComponent(name + ".sparrow"))))
        return withExtendedLifetime(host) {
            (0..<host.model.inputCount).flatMap { k -> [String] in
                let tensor = String(decoding: host.model.tensorName(host.model.graphInput(k)), as: UTF8.self)
                return ["--input", tensor + "=" + directory.appendingPathComponent("\(name).in\(k).npy").path]
            }
        }
    }

    @Test(arguments: DeviceBuildTests.boardNames)
    func everyParityModelIsByteIdenticalOnTheBoard(boardName: String) throws {
        let sparrow = try sparrowExecutable()
        let cache = DeviceBuildCache.shared
        let board = try cache.catalog.board(named: boardName)
        let build = try cache.build(boardName)
        let work = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let names = try Self.modelNames()
        #expect(names.contains("binary_int8") && names.contains("uint8_io_int8"), "the int8-input models run too: \(names)")
        for name in names {
            let model = Self.directory.appendingPathComponent(name + ".sparrow").path
            let inputs = try Self.inputArguments(name)
            let hostDir = work.appendingPathComponent(name + "-host"), deviceDir = work.appendingPathComponent(name + "-device")
            for d in [hostDir, deviceDir] { try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true) }
            let host = try runTool([sparrow, "run", model] + inputs + ["--output-dir", hostDir.path])
            #expect(host.exitCode == 0, "host \(name): \(host.stderr)")
            let device = try Emulator(builder: cache.builder).run(
                board: board, arguments: ["run", model] + inputs + ["--output-dir", deviceDir.path], binary: build.binaryPath)
            #expect(device.exitCode == 0, "\(boardName) \(name): \(String(decoding: device.stderr, as: UTF8.self))")
            let files = try FileManager.default.contentsOfDirectory(atPath: hostDir.path).sorted()
            #expect(!files.isEmpty, "host \(name) wrote no output")
            #expect(try FileManager.default.contentsOfDirectory(atPath: deviceDir.path).sorted() == files, "\(boardName) \(name)")
            for file in files {
                let expected = try Data(contentsOf: hostDir.appendingPathComponent(file))
                let got = try? Data(contentsOf: deviceDir.appendingPathComponent(file))
                #expect(got == expected, "\(boardName) \(name): \(file) differs from the host's")
            }
        }
    }
}
