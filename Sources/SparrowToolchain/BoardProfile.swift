import Foundation

/// One board as described by `Boards/<name>.json`. Every number carries its source text; see
/// `Boards/README.md` for the schema.
public struct BoardProfile: Codable, Equatable, Sendable {
    public var name: String
    public var description: String
    public var isDefault: Bool
    /// Name of the `Toolchains/<toolchain>.json` file this board builds with.
    public var toolchain: String
    public var swiftTarget: String
    public var linuxTriple: String
    public var gcc: String
    public var qemu: String
    public var targetCPU: String
    /// Extra swiftc flags for code generation on this board (e.g. `-target-cpu cortex-a76`).
    public var codegenFlags: [String]
    /// The qemu `-cpu` model used to emulate the board.
    public var qemuCPU: String
    public var qemuCPUComment: String?
    public var cores: Int
    public var clockMHz: Int
    public var clockSource: String
    public var caches: Caches
    public var hasDotProd: Bool
    public var power: Power
    public var powerSensors: [PowerSensor]

    public struct Caches: Codable, Equatable, Sendable {
        public var l1dKiB: Int
        public var l2KiB: Int
        public var l2Shared: Bool
        public var l3KiB: Int?
        public var source: String
    }

    /// Figures for the energy estimate: board power ≈ idleWatts + perCoreLoadWatts × busy cores.
    public struct Power: Codable, Equatable, Sendable {
        public var idleWatts: Double
        public var perCoreLoadWatts: Double
        public var confidence: String
        public var source: String

        /// Estimated board power in watts with `busyCores` cores fully loaded.
        public func estimatedWatts(busyCores: Int) -> Double {
            idleWatts + perCoreLoadWatts * Double(busyCores)
        }
    }

    /// Where the energy estimate's figures come from, as bench records label them:
    /// `Boards/pi4b.json (measured elsewhere): <source text>`.
    public var powerFiguresSource: String { "Boards/\(name).json (\(power.confidence)): \(power.source)" }

    /// Where a power reading can come from on this board.
    public struct PowerSensor: Codable, Equatable, Sendable {
        /// `ina2xx-hwmon` (sysfs files) or `pi5-pmic-vcgencmd` (a command).
        public var kind: String
        public var optional: Bool
        /// For hwmon sensors: glob of the hwmon directories to scan.
        public var searchPath: String?
        public var matchNameFile: String?
        public var matchNames: [String]?
        /// For hwmon sensors: quantity → file name inside the matching hwmon directory.
        public var files: [String: String]?
        public var command: [String]?
        public var note: String
    }
}
