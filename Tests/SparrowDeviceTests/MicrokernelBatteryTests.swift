import Foundation
import Testing

/// The microkernel battery (Tests/Fixtures/kernels/microkernel_driver.swift) on the device builds:
/// SparrowKernels compiled with each board's exact flags and run under qemu, where the NEON
/// kernels execute (the x86 host runs only the portable twins). Every kernel must equal its twin
/// and the reference at tolerance 0.
@Suite struct MicrokernelBatteryTests {
    /// One board per distinct kernel build: A53 and A72 (neon-mlal), A76 (neondot), armv7.
    @Test(arguments: ["pi3b-plus", "pi4b", "pi5", "pi4b-armv7"])
    func everyMicrokernelMatchesItsTwinUnderQemu(boardName: String) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let run = try runTool([root.appendingPathComponent("Tests/Fixtures/kernels/microkernels.sh").path, "battery", boardName])
        #expect(run.exitCode == 0, "\(run.stdout)\n\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").filter { $0.hasPrefix("battery ") }
        // The NEON GEMM (dot or mlal), the NEON depthwise, and the twins, each with its cases.
        #expect(lines.contains { $0.contains("neon") && $0.contains("gemm") }, "\(run.stdout)")
        #expect(lines.contains { $0.contains("qs8-dwconv-3x3-neon-mlal") }, "\(run.stdout)")
        #expect(lines.contains { $0.contains("add-s8-same-shape (neon)") }, "\(run.stdout)")
        if boardName == "pi5" { #expect(lines.contains { $0.contains("qs8-gemm-4x16c4-neondot") }, "\(run.stdout)") }
        for line in lines { #expect(line.contains(" failures 0 "), "\(boardName): \(line)") }
    }
}
