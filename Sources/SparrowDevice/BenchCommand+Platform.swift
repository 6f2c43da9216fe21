// `sparrow-device bench`: the device's side of the harness's BenchSession — its clock, its sleep,
// the pthread sampler behind every energy window (idle, timed pass, each `--sweep-exits` point)
// and the progress lines on stderr, worded like the host's. No Foundation, no allocation.

import SparrowHarness
import SparrowRuntime

/// The pthread sampler (Platform+Sensors.swift) as the harness's `PowerSampling`.
struct DeviceSampler: PowerSampling {
    let state: UnsafeMutablePointer<SamplerState>

    mutating func start() { _ = PowerSampler.start(state) }
    mutating func stop() { PowerSampler.stop(state) }
    var meter: SysfsPowerMeter<DeviceFileReader> { state.pointee.meter }
}

struct DevicePlatform: BenchPlatform {
    let clock = DeviceClock()
    let sampler: DeviceSampler

    func sleep(nanoseconds: UInt64) { libcSleep(nanoseconds: nanoseconds) }

    mutating func measuringIdlePower() { err.writeLine("bench: measuring idle power") }

    /// `bench: 1200/5000 inferences, 3.2 s elapsed, ETA 9.1 s`.
    mutating func update(done: Int, target: Int, elapsedNanoseconds: UInt64, durationNanoseconds: UInt64) {
        err.write("bench: "); err.write(done)
        if target > 0 { err.write("/"); err.write(target) }
        err.write(" inferences, ")
        err.writeFixedPoint(Int64(bitPattern: elapsedNanoseconds / 100_000_000), fractionDigits: 1)
        err.write(" s elapsed, ETA ")
        var remaining: UInt64 = 0
        if durationNanoseconds > 0 {
            remaining = durationNanoseconds > elapsedNanoseconds ? durationNanoseconds - elapsedNanoseconds : 0
        } else if done > 0 && target > done {
            remaining = elapsedNanoseconds / UInt64(done) * UInt64(target - done)
        }
        err.writeFixedPoint(Int64(bitPattern: remaining / 100_000_000), fractionDigits: 1)
        err.writeLine(" s")
    }

    /// `budget: 89288 MACs accuracy 0.9075 answered 96/96 average MACs 89288`.
    mutating func finishedBudgetPoint(_ p: BudgetPoint) {
        let samples = max(p.samples, 1)
        err.write("budget: "); err.write(p.maxMacs); err.write(" MACs accuracy ")
        err.writeFixedPoint(widenSigned(p.correct &* 10_000 / samples), fractionDigits: 4)
        err.write(" answered "); err.write(p.answered); err.write("/"); err.write(p.samples)
        err.write(" average MACs "); err.write(p.macs / widenUnsigned(samples))
        err.writeLine()
    }

    /// `sweep: level 0.90 accuracy 0.9896 average MACs 51234`.
    mutating func finishedSweepPoint(_ p: SweepPoint) {
        let samples = max(p.samples, 1)
        err.write("sweep: level ")
        // Q16 → hundredths, rounded: level ≤ 2^16, so level · 100 < 2^23 fits Int32.
        err.writeFixedPoint(widenSigned(Int((p.levelQ16 &* 100 &+ 32768) >> 16)), fractionDigits: 2)
        err.write(" accuracy ")
        // Ten-thousandths: correct ≤ samples, and a bench set stays far below 2^31 / 10^4 samples.
        err.writeFixedPoint(widenSigned(p.correct &* 10_000 / samples), fractionDigits: 4)
        err.write(" average MACs ")
        err.write(p.macs / widenUnsigned(samples))
        err.writeLine()
    }
}
