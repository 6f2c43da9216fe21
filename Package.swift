// swift-tools-version: 6.0
// Sparrow: an embedded int8 inference runtime (device) and its model converter (host).
//
// Layers (a module never imports one above it):
//   SparrowFormat   file layout shared by writer and reader          (device-clean)
//   SparrowKernels  int8 fixed-point kernels, free functions         (device-clean)
//   SparrowKernelsX86 AVX2 microkernels, run after a CPUID check      (host x86_64 only)
//   SparrowKernelsX86VNNI AVX-VNNI microkernels, same                (host x86_64 only)
//   SparrowKernelsX86AVX512 AVX-512 VNNI microkernels, same          (host x86_64 only)
//   SparrowNPY      .npy header parse/emit over raw bytes            (device-clean)
//   SparrowRuntime  verifier + static-arena interpreter              (device-clean;
//                   HostModel, the host's load-verify-run handle, is compiled out of Embedded)
//   SparrowHarness  bench session: passes, statistics, energy, record (device-clean)
//   SparrowCommandLine options of run/bench/info, shared by both tools (device-clean)
//   SparrowONNX     ONNX protobuf reader                             (host)
//   SparrowTFLite   TFLite flatbuffer reader                         (host)
//   SparrowConverter float IR, passes, quantizer, planner, writer    (host)
//   SparrowToolchain board profiles + cross-build/qemu driver         (host)
//   SparrowCLI      the `sparrow` command                            (host)
//   SparrowDevice   the `sparrow-device` program                     (device; also builds on host)
// "Device-clean" modules also compile as Embedded Swift with -no-allocations (Toolchains/).
// Tests/SparrowTestSupport (seeded data, fixture helpers) is for test targets only.
import PackageDescription

// SparrowKernelsX86 is the only target compiled for AVX2: with -Xcc -mavx2 the compiler may use
// AVX2 anywhere in the module, so nothing else goes there and SparrowKernels calls into it only
// after `CPUFeatures.thisBuild` found AVX2 (CPUID). The flag is for x86_64 hosts only; on others
// the module compiles to nothing. Device builds do not use this manifest
// (Toolchains/device-modules.json) and do not contain the module.
// SparrowKernelsX86VNNI is the same for AVX2 + AVX-VNNI (`vpdpbusd`), run only after CPUID found
// both: a module of its own, because with -mavxvnni LLVM may also turn the AVX2 kernels'
// `vpmaddwd` + add into `vpdpwssd`, which an AVX2-only CPU cannot execute.
// SparrowKernelsX86AVX512 likewise for AVX-512 F/BW/DQ/VL + VNNI (EVEX `vpdpbusd` on zmm): its own
// module so no EVEX encoding reaches the AVX2 and AVX-VNNI kernels.
#if arch(x86_64)
let avx2Settings: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-mavx2"])]
let avxVnniSettings: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-mavx2", "-Xcc", "-mavxvnni"])]
let avx512Settings: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-mavx2", "-Xcc", "-mavx512f", "-Xcc", "-mavx512bw", "-Xcc", "-mavx512dq",
                                                    "-Xcc", "-mavx512vl", "-Xcc", "-mavx512vnni"])]
#else
let avx2Settings: [SwiftSetting] = []
let avxVnniSettings: [SwiftSetting] = []
let avx512Settings: [SwiftSetting] = []
#endif

let package = Package(
    name: "Sparrow",
    products: [
        .executable(name: "sparrow", targets: ["SparrowCLI"]),
        .executable(name: "sparrow-device", targets: ["SparrowDevice"]),
    ],
    targets: [
        .target(name: "SparrowFormat"),
        .target(name: "SparrowKernelsX86", swiftSettings: avx2Settings),
        .target(name: "SparrowKernelsX86VNNI", dependencies: ["SparrowKernelsX86"], swiftSettings: avxVnniSettings),
        .target(name: "SparrowKernelsX86AVX512", dependencies: ["SparrowKernelsX86"], swiftSettings: avx512Settings),
        .target(name: "SparrowKernels", dependencies: ["SparrowKernelsX86", "SparrowKernelsX86VNNI", "SparrowKernelsX86AVX512"]),
        .target(name: "SparrowNPY"),
        .target(name: "SparrowRuntime", dependencies: ["SparrowFormat", "SparrowKernels", "SparrowNPY"]),
        .target(name: "SparrowHarness", dependencies: ["SparrowRuntime", "SparrowFormat"]),
        .target(name: "SparrowCommandLine"),
        .target(name: "SparrowONNX"),
        .target(name: "SparrowTFLite"),
        .target(name: "SparrowConverter",
                dependencies: ["SparrowONNX", "SparrowTFLite", "SparrowFormat", "SparrowKernels", "SparrowRuntime", "SparrowNPY"]),
        .target(name: "SparrowToolchain"),
        .executableTarget(name: "SparrowCLI",
                          dependencies: ["SparrowConverter", "SparrowRuntime", "SparrowHarness", "SparrowNPY",
                                         "SparrowFormat", "SparrowTFLite", "SparrowToolchain", "SparrowCommandLine"]),
        .executableTarget(name: "SparrowDevice",
                          dependencies: ["SparrowRuntime", "SparrowHarness", "SparrowFormat", "SparrowNPY",
                                         "SparrowCommandLine"]),
        // Shared by the test targets only (a product never depends on it): seeded data, fixtures.
        .target(name: "SparrowTestSupport", dependencies: ["SparrowConverter", "SparrowFormat"],
                path: "Tests/SparrowTestSupport"),
        .testTarget(name: "SparrowKernelsTests", dependencies: ["SparrowKernels", "SparrowKernelsX86", "SparrowTestSupport"]),
        .testTarget(name: "SparrowRuntimeTests",
                    dependencies: ["SparrowRuntime", "SparrowFormat", "SparrowKernels", "SparrowNPY", "SparrowTestSupport"]),
        .testTarget(name: "SparrowHarnessTests", dependencies: ["SparrowHarness"]),
        .testTarget(name: "SparrowONNXTests", dependencies: ["SparrowONNX", "SparrowNPY"]),
        .testTarget(name: "SparrowTFLiteTests", dependencies: ["SparrowTFLite", "SparrowNPY", "SparrowKernels"]),
        .testTarget(name: "SparrowConverterTests",
                    dependencies: ["SparrowConverter", "SparrowRuntime", "SparrowFormat", "SparrowNPY", "SparrowONNX",
                                   "SparrowTestSupport"]),
        .testTarget(name: "SparrowDeviceTests",
                    dependencies: ["SparrowConverter", "SparrowToolchain", "SparrowRuntime", "SparrowNPY",
                                   "SparrowTestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
