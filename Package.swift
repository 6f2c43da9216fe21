// swift-tools-version: 6.0
// Sparrow: an embedded int8 inference runtime (device) and its model converter (host).
//
// Layers (a module never imports one above it):
//   SparrowFormat   file layout shared by writer and reader          (device-clean)
//   SparrowKernels  int8 fixed-point kernels, free functions         (device-clean)
//   SparrowNPY      .npy header parse/emit over raw bytes            (device-clean)
//   SparrowRuntime  verifier + static-arena interpreter              (device-clean)
//   SparrowCommandLine options of run/bench/info, shared by both tools (device-clean)
//   SparrowONNX     ONNX protobuf reader                             (host)
//   SparrowConverter float IR, passes, quantizer, planner, writer    (host)
//   SparrowToolchain board profiles + cross-build/qemu driver         (host)
//   SparrowCLI      the `sparrow` command                            (host)
//   SparrowDevice   the `sparrow-device` program                     (device; also builds on host)
// "Device-clean" modules also compile as Embedded Swift with -no-allocations (Toolchains/).
import PackageDescription

let package = Package(
    name: "Sparrow",
    products: [
        .executable(name: "sparrow", targets: ["SparrowCLI"]),
        .executable(name: "sparrow-device", targets: ["SparrowDevice"]),
    ],
    targets: [
        .target(name: "SparrowFormat"),
        .target(name: "SparrowKernels"),
        .target(name: "SparrowNPY"),
        .target(name: "SparrowRuntime", dependencies: ["SparrowFormat", "SparrowKernels", "SparrowNPY"]),
        .target(name: "SparrowCommandLine"),
        .target(name: "SparrowONNX"),
        .target(name: "SparrowConverter",
                dependencies: ["SparrowONNX", "SparrowFormat", "SparrowKernels", "SparrowRuntime", "SparrowNPY"]),
        .target(name: "SparrowToolchain"),
        .executableTarget(name: "SparrowCLI",
                          dependencies: ["SparrowConverter", "SparrowRuntime", "SparrowNPY", "SparrowFormat",
                                         "SparrowToolchain", "SparrowCommandLine"]),
        .executableTarget(name: "SparrowDevice",
                          dependencies: ["SparrowRuntime", "SparrowFormat", "SparrowNPY", "SparrowCommandLine"]),
        .testTarget(name: "SparrowKernelsTests", dependencies: ["SparrowKernels"]),
        .testTarget(name: "SparrowRuntimeTests",
                    dependencies: ["SparrowRuntime", "SparrowFormat", "SparrowKernels", "SparrowNPY"]),
        .testTarget(name: "SparrowONNXTests", dependencies: ["SparrowONNX", "SparrowNPY"]),
        .testTarget(name: "SparrowConverterTests",
                    dependencies: ["SparrowConverter", "SparrowRuntime", "SparrowFormat", "SparrowNPY", "SparrowONNX"]),
        .testTarget(name: "SparrowDeviceTests",
                    dependencies: ["SparrowConverter", "SparrowToolchain", "SparrowRuntime", "SparrowNPY"]),
    ],
    swiftLanguageModes: [.v5]
)
