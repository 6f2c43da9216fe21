import Foundation
import SparrowConverter
import SparrowNPY
import SparrowTestSupport
import SparrowToolchain
import Testing

/// "After init the device runtime never allocates", proved at run time (the compile-time half is
/// the runtime modules' -no-allocations): the device program is linked with
/// Tests/DeviceAllocationCounter, whose __wrap_ functions count every malloc, calloc, realloc,
/// posix_memalign, aligned_alloc, memalign and valloc of the process (Sparrow's objects, the
/// Embedded Swift runtime and the static glibc's own members alike), and note the count at each
/// clock_gettime. `run` reads the clock right before its first invoke and right after its last,
/// so the allocations between the two clock reads are those made while inferring: zero, over
/// thousands of invokes of real models under qemu, on a 64-bit and a 32-bit board.
@Suite struct DeviceAllocationCountTests {
    static let wrapped = ["malloc", "calloc", "realloc", "free", "posix_memalign", "aligned_alloc", "memalign",
                          "valloc", "clock_gettime"]

    /// The counting build of `board`'s device program (compiled and linked next to the cached one).
    static func countingBinary(_ board: BoardProfile) throws -> URL {
        let cache = DeviceBuildCache.shared
        let base = try cache.build(board.name)
        return try cache.builder.linkVariant(
            of: base, board: board, name: "sparrow-device-allocation-count", moduleName: "AllocationCounter",
            sources: [counterDirectory.appendingPathComponent("AllocationCounter.swift")], linkFlags: [wrapFlag])
    }

    /// Tests/DeviceAllocationCounter.
    static let counterDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("DeviceAllocationCounter")
    static let wrapFlag = "-Wl," + wrapped.map { "--wrap=" + $0 }.joined(separator: ",")

    /// `sparrow-allocations: init 19, between-clocks 0, after 2, frees 11, clock-calls 2` → its numbers.
    static func counts(_ stderr: String) -> [String: Int]? {
        guard let line = stderr.split(separator: "\n").first(where: { $0.hasPrefix("sparrow-allocations: ") }) else { return nil }
        var counts: [String: Int] = [:]
        for field in line.dropFirst("sparrow-allocations: ".count).split(separator: ",") {
            let parts = field.split(separator: " ")
            guard parts.count == 2, let n = Int(parts[1]) else { return nil }
            counts[String(parts[0])] = n
        }
        return counts
    }

    /// A model converted from the digits fixtures and an input file of `samples` test images.
    static func prepare(_ name: String, samples: Int, in directory: URL) throws -> (model: String, input: String) {
        let fixtures = TestFixtures.digitsDirectory
        let result = try convert(onnxPath: fixtures.appendingPathComponent(name + ".onnx").path,
                                 options: ConversionOptions(calibrationPath: fixtures.appendingPathComponent("digits_calib.npy").path))
        let model = directory.appendingPathComponent(name + ".sparrow")
        try Data(result.bytes).write(to: model)
        let x = try #require(try NPYArray.read(path: fixtures.appendingPathComponent("digits_test_x.npy").path).floats())
        let images = x.count / 64
        var floats: [Float] = []
        floats.reserveCapacity(samples * 64)
        for i in 0..<samples { floats += x[(i % images) * 64..<(i % images + 1) * 64] }
        let input = directory.appendingPathComponent("\(name)_x\(samples).npy")
        try Data(try #require(NPYArray(floats: floats, shape: [samples, 1, 8, 8]).encoded())).write(to: input)
        return (model.path, input.path)
    }

    // 10,000 invokes of the MLP (FC layers) and 2,000 of the CNN (conv, depthwise, pooling, FC) per
    // board: ~3 s and ~9 s under qemu-aarch64 on this machine.
    @Test(arguments: ["pi4b", "pi4b-armv7"])
    func noAllocationWhileInferring(boardName: String) throws {
        let cache = DeviceBuildCache.shared
        let board = try cache.catalog.board(named: boardName)
        let binary = try Self.countingBinary(board)
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for (name, samples) in [("digits_mlp", 10_000), ("digits_cnn", 2_000)] {
            let files = try Self.prepare(name, samples: samples, in: directory)
            let output = directory.appendingPathComponent(name + "_y.npy")
            let run = try Emulator(builder: cache.builder).run(
                board: board, arguments: ["run", files.model, "--input", files.input, "--output", output.path], binary: binary)
            let stderr = String(decoding: run.stderr, as: UTF8.self)
            #expect(run.exitCode == 0, "\(boardName) \(name): \(stderr)")
            #expect(String(decoding: run.stdout, as: UTF8.self).contains("samples: \(samples)"))
            let counts = try #require(Self.counts(stderr), "\(boardName) \(name): no allocation report in \(stderr)")
            #expect(counts["between-clocks"] == 0, "\(boardName) \(name): \(stderr)")
            #expect(counts["clock-calls"] == 2, "the loop is bracketed by exactly two clock reads: \(stderr)")
            // The counter is live: start-up takes its buffers (model, input, output, arena) through
            // posix_memalign and glibc's fopen takes its FILE through malloc, all counted.
            #expect((counts["init"] ?? 0) >= 5, "\(boardName) \(name): \(stderr)")
            // And the run still answers: 10 logits per sample.
            #expect(try NPYArray(bytes: [UInt8](Data(contentsOf: output))).shape == [samples, 10])
        }
    }

    /// The check can fail: a control program that allocates twice between two clock reads,
    /// linked with the same counter and wraps, reports exactly 2.
    @Test(arguments: ["pi4b", "pi4b-armv7"])
    func countsAllocationsBetweenClockReads(boardName: String) throws {
        let cache = DeviceBuildCache.shared
        let board = try cache.catalog.board(named: boardName)
        let directory = Self.counterDirectory
        let binary = try cache.builder.linkVariant(
            of: nil, board: board, name: "allocation-counter-control", moduleName: "AllocationCounterControl",
            sources: [directory.appendingPathComponent("AllocationCounter.swift"),
                      directory.appendingPathComponent("Control/main.swift")],
            linkFlags: [Self.wrapFlag])
        let run = try Emulator(builder: cache.builder).run(board: board, arguments: [], binary: binary)
        let stderr = String(decoding: run.stderr, as: UTF8.self)
        #expect(run.exitCode == 0, "\(stderr)")
        let counts = try #require(Self.counts(stderr), "no allocation report in \(stderr)")
        #expect(counts["between-clocks"] == 2, "\(stderr)")
        #expect(counts["clock-calls"] == 2, "\(stderr)")
    }
}
