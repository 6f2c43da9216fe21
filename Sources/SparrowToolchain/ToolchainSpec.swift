import Foundation

/// One cross target as described by `Toolchains/<name>.json`: how to compile, link and emulate.
public struct ToolchainSpec: Codable, Equatable, Sendable {
    public var name: String
    public var description: String
    public var swiftTarget: String
    public var linuxTriple: String
    /// swiftc flags for every device module on this target (Embedded, -wmo, -O, PIC, ABI).
    public var swiftFlags: [String]
    public var gcc: String
    public var linkFlags: [String]
    public var sizeTool: String
    public var objdump: String
    public var qemu: String
    /// qemu `-L` prefix (the cross glibc root), used for dynamically linked guests.
    public var qemuSysroot: String
    public var aptPackages: [String]
    /// File (in Toolchains/) listing the device modules; see `DeviceModuleList`.
    public var modulesFile: String
}

/// `Toolchains/device-modules.json`: the device program's modules in dependency order.
public struct DeviceModuleList: Codable, Equatable, Sendable {
    public var modules: [DeviceModule]
}

public struct DeviceModule: Codable, Equatable, Sendable {
    public var name: String
    public var dependencies: [String]
    /// Compile with `-no-allocations`: any heap allocation in the module is a compile error.
    public var noAllocations: Bool
    /// The executable's module (has main.swift; compiled without -parse-as-library).
    public var program: Bool?
    public var extraSwiftFlags: [String]?

    public var isProgram: Bool { program ?? false }
}
