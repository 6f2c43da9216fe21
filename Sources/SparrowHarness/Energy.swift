// Energy arithmetic of the benchmark harness, in integers: power samples (µW) integrated over
// monotonic time (ns), energy counters (µJ) with wrap-around, and the board-profile estimate.
// Units: power µW / mW, energy nJ, time ns. Shared by the host and the device.

/// Trapezoidal integration of power samples taken at increasing times.
public struct PowerIntegrator: Equatable {
    /// Whole nanojoules so far.
    public private(set) var nanojoules: Int64 = 0
    /// Remainder below 1 nJ, in femtojoules (µW · ns = 1e-15 J), always in [0, 1e6).
    private var femtojoules: Int64 = 0
    public private(set) var lastTime: UInt64 = 0
    public private(set) var lastMicrowatts: Int64 = 0
    public private(set) var samples: Int = 0
    public private(set) var firstTime: UInt64 = 0

    public init() {}

    /// Readings above this (1 kW) are clamped: no board draws that much, and the bound keeps
    /// every product below inside Int64.
    public static let maximumMicrowatts: Int64 = 1_000_000_000

    /// Adds a sample. The area since the previous sample is a trapezoid; a sample whose time
    /// did not advance only replaces the previous value.
    public mutating func add(microwatts: Int64, at time: UInt64) {
        let power = min(max(microwatts, 0), PowerIntegrator.maximumMicrowatts)  // a reversed shunt reads negative
        if samples > 0 && time > lastTime {
            let dt = time &- lastTime
            let sumPower = lastMicrowatts &+ power  // ≤ 2·10^9 µW
            // Whole seconds: µW · s = 1000 nJ, so (p0+p1)/2 · s · 1000 = (p0+p1) · s · 500 nJ
            // (≤ 2·10^9 · 500 · s: fine for 10^7 s). Rest below 1 s: (p0+p1)/2 · ns in fJ,
            // ≤ 10^9 · 10^9 = 10^18 < 2^63.
            let seconds = Int64(bitPattern: dt / 1_000_000_000)
            let rest = Int64(bitPattern: dt % 1_000_000_000)
            nanojoules &+= sumPower &* seconds &* 500
            femtojoules &+= sumPower &* rest / 2
            nanojoules &+= femtojoules / 1_000_000
            femtojoules %= 1_000_000
        }
        if samples == 0 { firstTime = time }
        lastTime = time
        lastMicrowatts = power
        samples += 1
    }

    /// Time covered by the samples.
    public var coveredNanoseconds: UInt64 { samples > 1 ? lastTime &- firstTime : 0 }
}

public enum EnergyMath {
    /// Increase of a counter that wraps to 0 after `maxRange` (RAPL's `max_energy_range_uj`).
    /// A current value below the previous one means exactly one wrap: (maxRange − previous) + current.
    /// Returns nil when the counter went backwards and no range is known (or the values exceed it).
    public static func counterDelta(previous: UInt64, current: UInt64, maxRange: UInt64) -> UInt64? {
        if current >= previous { return current - previous }
        guard maxRange > 0, previous <= maxRange else { return nil }
        return (maxRange - previous) + current
    }

    /// Board-profile estimate: (idle + load) mW over `busyNanoseconds` for the total, load mW for
    /// the part above idle. mW · ns = 1 pJ; split into seconds and the rest so that hours of busy
    /// time at 100 W stay inside Int64.
    public static func estimatedNanojoules(milliwatts: Int64, busyNanoseconds: UInt64) -> Int64 {
        let seconds = Int64(bitPattern: busyNanoseconds / 1_000_000_000)
        let rest = Int64(bitPattern: busyNanoseconds % 1_000_000_000)
        // mW · s = 10^6 nJ; mW · ns / 1000 = nJ.
        return milliwatts &* seconds &* 1_000_000 &+ milliwatts &* rest / 1000
    }

    /// Average power in µW of `nanojoules` over `nanoseconds` (0 for an empty window).
    /// nJ / ns = W, so µW = nJ · 10^6 / ns; done in two steps to stay inside Int64.
    public static func averageMicrowatts(nanojoules: Int64, nanoseconds: UInt64) -> Int64 {
        guard nanoseconds > 0 else { return 0 }
        let ns = Int64(bitPattern: min(nanoseconds, UInt64(Int64.max)))
        let whole = nanojoules / ns
        let remainder = nanojoules % ns
        // remainder < ns; remainder · 10^6 overflows only for windows longer than ~2.5 hours, so
        // scale the divisor instead there.
        if remainder < Int64.max / 1_000_000 {
            return whole &* 1_000_000 &+ remainder &* 1_000_000 / ns
        }
        return whole &* 1_000_000 &+ remainder / (ns / 1_000_000)
    }
}
