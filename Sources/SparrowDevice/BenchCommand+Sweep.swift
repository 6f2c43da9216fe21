// `sparrow-device bench`: the sampler behind its energy windows (the timed pass and each
// `--sweep-exits` point) and the sweep's progress lines. The sweep itself is SparrowRuntime's `HarnessBench.sweep`, the same
// code `sparrow bench --sweep-exits` runs, and its points go through the shared record writer.

import SparrowRuntime

/// The pthread sampler (Platform+Sensors.swift) as the harness's `PowerSampling`.
struct DeviceSampler: PowerSampling {
    let state: UnsafeMutablePointer<SamplerState>

    mutating func start() { _ = PowerSampler.start(state) }
    mutating func stop() { PowerSampler.stop(state) }
    var meter: SysfsPowerMeter<DeviceFileReader> { state.pointee.meter }
}

/// `sweep: level 0.90 accuracy 0.9896 average MACs 51234` on stderr, like the host.
func printSweepProgress(_ p: SweepPoint) {
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
