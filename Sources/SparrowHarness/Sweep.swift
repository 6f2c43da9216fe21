import SparrowFormat
import SparrowRuntime

// Exit-threshold sweep for early-exit models: the labelled set is run once per "level" with
// every non-final exit's threshold derived from that level, so one knob orders the points from
// "exit as early as possible" (level 0) to "never exit early" (level 1) whatever the criteria:
//   max probability, margin: exit when the Q16 value ≥ level (level 1 → never: threshold 1 + 2^-16)
//   entropy:                 exit when H ≤ (1 − level) · ln C   (C logits; ln C is H's maximum;
//                            level 1 → threshold −1, never)

extension HarnessBench {
    /// The sweep's levels in Q16: 0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.
    public static let sweepLevelCount = 9
    public static func sweepLevel(_ i: Int) -> Int32 {
        switch i {
        case 0: return 0
        case 1: return 32768
        case 2: return 39322
        case 3: return 45875
        case 4: return 52429
        case 5: return 58982
        case 6: return 62259
        case 7: return 64881
        default: return ExitCriteria.one
        }
    }

    /// Fills one threshold per exit (`thresholds` has `model.exitCount` slots) for `levelQ16`.
    public static func sweepThresholds(model: VerifiedModel, levelQ16: Int32, into thresholds: UnsafeMutablePointer<Int32>) {
        let never = levelQ16 >= ExitCriteria.one
        for i in 0..<model.exitCount {
            let e = model.exit(i)
            switch e.criterion {
            case .maxProbability?, .margin?:
                thresholds[i] = never ? ExitCriteria.one &+ 1 : levelQ16
            case .entropy?:
                let classes = Int32(truncatingIfNeeded: model.tensor(Int(e.tensor)).byteSize)
                // ln C = log2 C · ln 2, Q16 · Q16 → Q16 (< 2^20 · 2^16, fits Int64).
                let lnC = ExitCriteria.log2Q16(max(classes, 2)).multipliedFullWidth(by: 45426)
                let lnCQ16 = Int32(truncatingIfNeeded: unsafeBitCast((lnC.low, lnC.high), to: Int64.self) &>> 16)
                // 64-bit products assembled from (low, high) words (little-endian; avoids 32-bit widening).
                // (1 − level) · ln C, both Q16 and ≤ 2^20: the product fits Int64.
                let product = (ExitCriteria.one &- levelQ16).multipliedFullWidth(by: lnCQ16)
                let scaled = Int32(truncatingIfNeeded: unsafeBitCast((product.low, product.high), to: Int64.self) &>> 16)
                thresholds[i] = never ? -1 : scaled
            case .final?, nil:
                thresholds[i] = e.threshold
            }
        }
    }

    /// One sweep point: every sample once with `thresholds`; latency summed per inference.
    public static func sweepPoint<Clock: MonotonicClock>(
        _ interpreter: Interpreter, samples: BenchSamples, thresholds: UnsafePointer<Int32>, clock: Clock, levelQ16: Int32
    ) -> SweepPoint {
        var point = SweepPoint()
        point.levelQ16 = levelQ16
        var none = NoObserver()
        let start = clock.nanoseconds()
        withUnsafeMutableBytes(of: &point.exits) { raw in
            let exits = raw.bindMemory(to: UInt32.self)
            for i in 0..<samples.plan.sampleCount {
                let before = clock.nanoseconds()
                interpreter.loadInput(0, from: samples.inputs + i * samples.plan.inputElements)
                let result = interpreter.invoke(fullDepth: false, exitThresholds: thresholds, observer: &none)
                point.busyNanoseconds &+= clock.nanoseconds() &- before  // ns sums cannot wrap (centuries)
                point.macs &+= result.macs
                exits[min(max(result.exitIndex, 0), 7)] &+= 1
                if let labels = samples.labels, widenSigned(interpreter.predictedClass(after: result)) == labels[i] {
                    point.correct += 1
                }
                point.samples += 1
            }
        }
        point.windowNanoseconds = clock.nanoseconds() &- start
        return point
    }

    /// The whole sweep, as `sparrow bench --sweep-exits` and `sparrow-device bench --sweep-exits`
    /// both run it: one point per level into `points` (at most `sweepLevelCount` slots are used),
    /// each its own energy window. `thresholds` needs `model.exitCount` slots. `afterEach` sees
    /// every finished point (progress lines). Returns the number of points written.
    public static func sweep<Clock: MonotonicClock, Sampler: PowerSampling>(
        _ interpreter: Interpreter, samples: BenchSamples, clock: Clock, thresholds: UnsafeMutablePointer<Int32>,
        points: UnsafeMutableBufferPointer<SweepPoint>, window: inout EnergyWindow<Sampler>, afterEach: (SweepPoint) -> Void
    ) -> Int {
        let count = min(sweepLevelCount, points.count)
        for i in 0..<count {
            let level = sweepLevel(i)
            sweepThresholds(model: interpreter.model, levelQ16: level, into: thresholds)
            window.begin()
            var p = sweepPoint(interpreter, samples: samples, thresholds: thresholds, clock: clock, levelQ16: level)
            p.energy = window.end(windowNanoseconds: p.windowNanoseconds, busyNanoseconds: p.busyNanoseconds, iterations: p.samples)
            points[i] = p
            afterEach(p)
        }
        return count
    }
}
