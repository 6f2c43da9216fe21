// One energy window of a bench (the idle window, the timed pass, each sweep point) turned into a
// BenchEnergy the same way on the host and on the device: each program only provides its sampling
// thread (`PowerSampling`: pthread on the device, a Foundation Thread on the host); what a
// window's energy is, is decided here.

/// A program's sensor sampling on a second thread.
public protocol PowerSampling {
    associatedtype Reader: SysfsFileReader
    /// Resets the meter's window, takes its first sample and starts the sampling thread.
    mutating func start()
    /// Stops the thread and takes the window's closing sample.
    mutating func stop()
    /// The meter; read only between `stop` and the next `start`.
    var meter: SysfsPowerMeter<Reader> { get }
}

/// Sampling around one window when a sensor was found (`sensor` ≠ none); otherwise the
/// board-figure estimate, or nothing under `--power none`.
public struct EnergyWindow<Sampler: PowerSampling> {
    public var sampler: Sampler
    public let sensor: EnergySource
    public let request: PowerRequest
    public let power: BoardPower?
    /// Notes from probing (which sources were skipped and why).
    public let notes: UInt32
    /// Measured idle power, when an idle window was sampled.
    public private(set) var idleMicrowatts: Int64?

    public init(sampler: Sampler, sensor: EnergySource, request: PowerRequest, power: BoardPower?, notes: UInt32,
                idleMicrowatts: Int64?) {
        self.sampler = sampler
        self.sensor = sensor
        self.request = request
        self.power = power
        self.notes = notes
        self.idleMicrowatts = idleMicrowatts
    }

    /// Samples an idle window while `wait` sleeps (no inference runs) and keeps its average
    /// power as the idle figure of every later window.
    public mutating func measureIdle(_ wait: () -> Void) {
        sampler.start()
        wait()
        sampler.stop()
        let covered = sampler.meter.coveredNanoseconds
        if covered > 0 { idleMicrowatts = EnergyMath.averageMicrowatts(nanojoules: sampler.meter.nanojoules, nanoseconds: covered) }
    }

    public mutating func begin() {
        if sensor != .none { sampler.start() }
    }

    /// The window's energy; `windowNanoseconds` and `busyNanoseconds` are the pass's own clock
    /// readings (used by the estimate; a sensor's window is its first to last sample).
    public mutating func end(windowNanoseconds: UInt64, busyNanoseconds: UInt64, iterations: Int) -> BenchEnergy {
        guard sensor != .none else {
            return .unmeasured(request: request, power: power, windowNanoseconds: windowNanoseconds,
                               busyNanoseconds: busyNanoseconds, iterations: iterations, notes: notes)
        }
        sampler.stop()
        return .measured(by: sampler.meter, notes: notes, iterations: iterations, power: power, idleMicrowatts: idleMicrowatts)
    }
}

extension BenchEnergy {
    /// The window `meter` covered; call after the sampler stopped. Idle power is the measured idle
    /// window's when there was one, else the board figures' (and a note says so).
    public static func measured<Reader: SysfsFileReader>(
        by meter: SysfsPowerMeter<Reader>, notes: UInt32, iterations: Int, power: BoardPower?, idleMicrowatts: Int64?
    ) -> BenchEnergy {
        var e = BenchEnergy()
        e.source = meter.source
        e.notes = notes | meter.notes | (meter.failedReads > 0 ? EnergyNote.readFailuresDuringRun.bit : 0)
        e.nanojoules = meter.nanojoules
        // The sensor's window: first to last sample, which brackets the pass.
        e.windowNanoseconds = max(meter.coveredNanoseconds, 1)
        e.iterations = iterations
        e.samples = meter.samples
        e.failedReads = meter.failedReads
        e.hwmonIndex = meter.hwmonIndex
        e.zoneMask = meter.zoneMask
        e.power = power
        if let idleMicrowatts {
            e.idleMicrowatts = idleMicrowatts
            e.idleMeasured = true
        } else if let power {
            e.idleMicrowatts = power.idleMilliwatts &* 1000  // mW → µW; profile figures are < 10^6 mW
            e.notes |= EnergyNote.idleFromProfile.bit
        }
        return e
    }

    /// A window without a sensor: empty energy when `--power none` was asked for, else the
    /// board-figure estimate (itself empty, with a note, when there are no figures).
    public static func unmeasured(request: PowerRequest, power: BoardPower?, windowNanoseconds: UInt64,
                                  busyNanoseconds: UInt64, iterations: Int, notes: UInt32) -> BenchEnergy {
        guard request != .none else {
            var e = BenchEnergy()
            e.notes = notes
            e.windowNanoseconds = windowNanoseconds
            e.iterations = iterations
            return e
        }
        return estimate(power: power, windowNanoseconds: windowNanoseconds, busyNanoseconds: busyNanoseconds,
                        iterations: iterations, notes: notes)
    }
}
