// Streaming statistics of one value's float samples during calibration: exact min/max plus a
// fixed-size histogram for the percentile and MSE range choices.
//
// The histogram covers [−R, R] with `binCount` equal bins, R a power of two. When a sample
// falls outside, R doubles and adjacent bin pairs merge — exact, because every old bin edge is
// a new bin edge — so memory stays constant however many samples arrive.
import Foundation

/// How a value's float range is turned into int8 parameters.
public enum ActivationRangeMethod: Equatable, Sendable, CustomStringConvertible {
    /// The observed minimum and maximum.
    case minMax
    /// Keep `p` percent of the samples: (100 − p)/2 percent is cut from each tail.
    case percentile(Double)
    /// The clipping range with the least expected squared quantization error.
    case mse

    public var description: String {
        switch self {
        case .minMax: return "min/max"
        case .percentile(let p): return "percentile \(p)"
        case .mse: return "mse"
        }
    }
}

/// A float interval [min, max].
public struct ValueRange: Equatable, Sendable {
    public var min: Float
    public var max: Float
    public init(min: Float, max: Float) { self.min = min; self.max = max }
}

public struct RangeHistogram: Sendable {
    public static let binCount = 2048
    public private(set) var count: Int = 0
    public private(set) var minimum: Float = .infinity
    public private(set) var maximum: Float = -.infinity
    /// Samples that were NaN or infinite (ignored by the statistics).
    public private(set) var nonFinite: Int = 0
    /// Half-width of the histogram (power of two), 0 until the first nonzero sample.
    public private(set) var halfRange: Double = 0
    public private(set) var bins = [Double](repeating: 0, count: RangeHistogram.binCount)

    public init() {}

    public mutating func add<S: Sequence>(_ samples: S) where S.Element == Float {
        for x in samples { add(x) }
    }

    /// The same as adding the samples one by one (`add(_: Float)`), bit for bit: runs of finite
    /// samples inside the current range go straight to the bins (the bin index computed as there:
    /// dividing by 2R, a power of two, is the multiplication by its exact reciprocal), and every
    /// other sample through `add(_: Float)`, which grows the range.
    public mutating func add(_ samples: [Float]) {
        samples.withUnsafeBufferPointer { buffer in
            var i = 0
            while i < buffer.count {
                if halfRange > 0 {
                    let r = halfRange, reciprocal = 1 / (2 * r), n = Double(RangeHistogram.binCount)
                    var low = minimum, high = maximum, added = 0
                    bins.withUnsafeMutableBufferPointer { bins in
                        while i < buffer.count {
                            let x = buffer[i]
                            let v = Double(x)
                            guard x.isFinite, abs(v) < r else { break }
                            low = Swift.min(low, x)
                            high = Swift.max(high, x)
                            // |v| < r: the position is ≥ 0, where truncation is the floor (no libm call).
                            let bin = Int((v + r) * reciprocal * n)
                            bins[Swift.min(Swift.max(bin, 0), RangeHistogram.binCount - 1)] += 1
                            added += 1
                            i += 1
                        }
                    }
                    count += added
                    minimum = low
                    maximum = high
                    if i == buffer.count { break }
                }
                add(buffer[i])
                i += 1
            }
        }
    }

    public mutating func add(_ x: Float) {
        guard x.isFinite else { nonFinite += 1; return }
        count += 1
        minimum = Swift.min(minimum, x)
        maximum = Swift.max(maximum, x)
        let v = Double(x)
        if abs(v) >= halfRange { grow(toCover: abs(v)) }
        bins[binIndex(v)] += 1
    }

    private func binIndex(_ v: Double) -> Int {
        guard halfRange > 0 else { return RangeHistogram.binCount / 2 }
        let i = Int(((v + halfRange) / (2 * halfRange) * Double(RangeHistogram.binCount)).rounded(.down))
        return Swift.min(Swift.max(i, 0), RangeHistogram.binCount - 1)
    }

    /// Doubles R until |v| < R, merging bin pairs into the middle half each time.
    private mutating func grow(toCover magnitude: Double) {
        if halfRange == 0 {
            guard magnitude > 0 else { return }   // zeros wait in the bin starting at 0
            // Before any nonzero sample all mass sits in the bin holding 0; start R just above |v|.
            var r = 1.0
            while r <= magnitude { r *= 2 }
            while r / 2 > magnitude && r > 0x1p-40 { r /= 2 }
            halfRange = r
            return
        }
        let n = RangeHistogram.binCount
        while magnitude >= halfRange {
            var merged = [Double](repeating: 0, count: n)
            for j in 0..<(n / 2) { merged[n / 4 + j] = bins[2 * j] + bins[2 * j + 1] }
            bins = merged
            halfRange *= 2
        }
    }

    /// Centre of bin i.
    func binCenter(_ i: Int) -> Double {
        -halfRange + (Double(i) + 0.5) * (2 * halfRange / Double(RangeHistogram.binCount))
    }

    /// The range the method picks, always within the observed [min, max]; nil before any sample.
    public func range(_ method: ActivationRangeMethod) -> ValueRange? {
        guard count > 0 else { return nil }
        switch method {
        case .minMax:
            return ValueRange(min: minimum, max: maximum)
        case .percentile(let p):
            let keep = Swift.min(Swift.max(p, 0), 100) / 100
            let tail = (1 - keep) / 2 * Double(count)
            return ValueRange(min: Swift.max(minimum, Float(quantileEdge(fromBelow: tail))),
                              max: Swift.min(maximum, Float(quantileEdge(fromAbove: tail))))
        case .mse:
            return mseRange()
        }
    }

    /// Lower edge of the first bin where the cumulative count from below exceeds `mass`.
    private func quantileEdge(fromBelow mass: Double) -> Double {
        let width = 2 * halfRange / Double(RangeHistogram.binCount)
        var cumulative = 0.0
        for i in 0..<RangeHistogram.binCount {
            cumulative += bins[i]
            if cumulative > mass { return -halfRange + Double(i) * width }
        }
        return halfRange
    }

    /// Upper edge of the first bin (from the top) where the cumulative count exceeds `mass`.
    private func quantileEdge(fromAbove mass: Double) -> Double {
        let width = 2 * halfRange / Double(RangeHistogram.binCount)
        var cumulative = 0.0
        for i in stride(from: RangeHistogram.binCount - 1, through: 0, by: -1) {
            cumulative += bins[i]
            if cumulative > mass { return -halfRange + Double(i + 1) * width }
        }
        return -halfRange
    }

    /// Shrinks the upper and lower bound by factors 0.97^k (down to about 1/100), one bound at
    /// a time (coordinate descent, two rounds), keeping the pair whose int8 grid gives the least
    /// squared error over the histogram (bin centres stand for their samples).
    private func mseRange() -> ValueRange {
        var best = ValueRange(min: minimum, max: maximum)
        guard halfRange > 0 else { return best }
        let occupied = (0..<RangeHistogram.binCount).filter { bins[$0] > 0 }
        let centers = occupied.map { binCenter($0) }
        func error(_ r: ValueRange) -> Double {
            let q = ActivationQuant(min: r.min, max: r.max)
            var total = 0.0
            for (k, i) in occupied.enumerated() {
                let x = centers[k]
                let back = Double(q.dequantize(q.quantize(Float(x))))
                total += bins[i] * (x - back) * (x - back)
            }
            return total
        }
        var bestError = error(best)
        for _ in 0..<2 {
            for shrinkUpper in [true, false] {
                var factor: Float = 1
                for _ in 0..<150 {
                    var candidate = best
                    if shrinkUpper { candidate.max = maximum * factor } else { candidate.min = minimum * factor }
                    let e = error(candidate)
                    if e < bestError { bestError = e; best = candidate }
                    factor *= 0.97
                }
            }
        }
        return best
    }
}
