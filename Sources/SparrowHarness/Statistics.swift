// Benchmark statistics over caller-owned buffers: latency percentiles, a latency histogram and
// the integer helpers the harness shares. Device-clean: no allocation, integers only (the
// device prints and serialises fixed-point decimals, never Float/Double).

/// Latency summary of a timed pass, in nanoseconds.
public struct LatencySummary: Equatable {
    public var count: Int
    public var minimum: UInt64
    public var p50: UInt64
    public var p90: UInt64
    public var p99: UInt64
    public var maximum: UInt64
    /// Arithmetic mean, rounded down.
    public var mean: UInt64
    public var total: UInt64

    public init(count: Int, minimum: UInt64, p50: UInt64, p90: UInt64, p99: UInt64, maximum: UInt64,
                mean: UInt64, total: UInt64) {
        self.count = count
        self.minimum = minimum
        self.p50 = p50
        self.p90 = p90
        self.p99 = p99
        self.maximum = maximum
        self.mean = mean
        self.total = total
    }
}

public enum HarnessStatistics {
    /// Sorts ascending in place. Heapsort: O(n log n), no recursion and no scratch memory
    /// (the standard library's sort may allocate a merge buffer, which the device must not).
    public static func sortInPlace(_ values: UnsafeMutableBufferPointer<UInt64>) {
        let n = values.count
        guard n > 1, let v = values.baseAddress else { return }
        func siftDown(_ start: Int, _ end: Int) {
            var root = start
            while true {
                var child = 2 * root + 1
                if child >= end { return }
                if child + 1 < end && v[child] < v[child + 1] { child += 1 }
                if v[root] >= v[child] { return }
                let t = v[root]; v[root] = v[child]; v[child] = t
                root = child
            }
        }
        var start = n / 2
        while start > 0 { start -= 1; siftDown(start, n) }
        var end = n
        while end > 1 {
            end -= 1
            let t = v[0]; v[0] = v[end]; v[end] = t
            siftDown(0, end)
        }
    }

    /// Nearest-rank percentile of ascending `sorted` values: the smallest value such that at
    /// least `percent`% of the samples are ≤ it, i.e. element ceil(percent·n/100) − 1 (clamped to
    /// the first element). 0 for an empty buffer.
    public static func nearestRank(sorted: UnsafeBufferPointer<UInt64>, percent: Int) -> UInt64 {
        let n = sorted.count
        guard n > 0 else { return 0 }
        let p = min(max(percent, 0), 100)
        // ceil(p·n/100) without overflow for any n < Int.max/100 (n is an iteration count).
        let rank = (p * n + 99) / 100
        return sorted[max(rank, 1) - 1]
    }

    /// Sorts `samples` in place and summarises them.
    public static func summarize(_ samples: UnsafeMutableBufferPointer<UInt64>) -> LatencySummary {
        let n = samples.count
        guard n > 0 else { return LatencySummary(count: 0, minimum: 0, p50: 0, p90: 0, p99: 0, maximum: 0, mean: 0, total: 0) }
        var total: UInt64 = 0
        // A sum of n latencies in ns: 2^64 ns is 584 years of run time, so it cannot wrap.
        for i in 0..<n { total &+= samples[i] }
        sortInPlace(samples)
        let sorted = UnsafeBufferPointer(samples)
        return LatencySummary(count: n, minimum: sorted[0],
                              p50: nearestRank(sorted: sorted, percent: 50),
                              p90: nearestRank(sorted: sorted, percent: 90),
                              p99: nearestRank(sorted: sorted, percent: 99),
                              maximum: sorted[n - 1], mean: total / widenUnsigned(n), total: total)
    }

    /// Equal-width histogram of ascending `sorted` values from the minimum to the maximum into
    /// `bins` (zeroed here). Returns the lower edge and the bin width in ns (width ≥ 1); the last
    /// bin is closed on the right so the maximum is counted.
    public static func histogram(sorted: UnsafeBufferPointer<UInt64>, bins: UnsafeMutableBufferPointer<UInt32>)
        -> (lower: UInt64, width: UInt64)
    {
        for b in 0..<bins.count { bins[b] = 0 }
        guard let first = sorted.first, let last = sorted.last, bins.count > 0 else { return (0, 1) }
        let binCount = widenUnsigned(bins.count)
        let width = max((last - first + binCount) / binCount, 1)  // ceil, so max falls in the last bin
        for value in sorted {
            let index = min(Int(truncatingIfNeeded: (value - first) / width), bins.count - 1)
            bins[index] &+= 1  // at most n ≤ Int32.max samples
        }
        return (first, width)
    }

    /// Histogram of ascending `sorted` values on a log scale from the minimum to the maximum:
    /// bin i covers [min·r^i, min·r^(i+1)) with r = (max/min)^(1/bins), the last bin closed. One
    /// slow outlier then leaves the other inferences spread over many bins instead of one.
    /// Integer math (log2 in Q16), so the device computes it too.
    public static func logHistogram(sorted: UnsafeBufferPointer<UInt64>, bins: UnsafeMutableBufferPointer<UInt32>) {
        for b in 0..<bins.count { bins[b] = 0 }
        guard let first = sorted.first, let last = sorted.last, bins.count > 0 else { return }
        let low = log2Q16(max(first, 1))
        let span = log2Q16(max(last, 1)) - low
        for value in sorted {
            var index = 0
            if span > 0 {
                // (log2 v - log2 min) / span · bins, with log2 differences < 2^22 and bins small.
                index = min(Int(truncatingIfNeeded: (log2Q16(max(value, 1)) - low) * widenUnsigned(bins.count) / span), bins.count - 1)
            }
            bins[index] &+= 1
        }
    }

    /// log2(v) in Q16 (16 fraction bits) for v ≥ 1: the integer part from the leading bit, the
    /// fraction by repeated squaring of the mantissa (one bit per squaring).
    public static func log2Q16(_ v: UInt64) -> UInt64 {
        // UInt64 shift amounts and widenSigned: no generic integer paths (they allocate on armv7).
        let leading = UInt64(bitPattern: widenSigned(v.leadingZeroBitCount))
        let integer: UInt64 = 63 &- leading
        var x = (v &<< leading) &>> 32  // mantissa in [1, 2) as Q31: [2^31, 2^32)
        var fraction: UInt64 = 0
        var bit: UInt64 = 1 &<< 15
        while bit > 0 {
            x = (x &* x) &>> 31  // x < 2^32, so x² < 2^64
            if x >= 1 &<< 32 {
                x = x &>> 1
                fraction |= bit
            }
            bit = bit &>> 1
        }
        return integer &<< 16 | fraction
    }
}

// MARK: - Integer helpers (armv7-safe)

/// Int → Int64 without the generic BinaryInteger path that allocates on 32-bit Embedded.
@inline(__always) public func widenSigned(_ v: Int) -> Int64 {
    #if _pointerBitWidth(_64)
    return Int64(v)  // same width on 64-bit targets
    #else
    let narrow = Int32(v)
    return unsafeBitCast((UInt32(bitPattern: narrow), narrow &>> 31), to: Int64.self)
    #endif
}

/// UInt32 → UInt64 (little-endian targets, as all of ours are).
@inline(__always) public func widenUnsigned32(_ v: UInt32) -> UInt64 {
    unsafeBitCast((v, UInt32(0)), to: UInt64.self)
}

/// Non-negative Int → UInt64 (negative values give 0).
@inline(__always) public func widenUnsigned(_ v: Int) -> UInt64 {
    UInt64(bitPattern: widenSigned(max(v, 0)))
}

/// UInt64 → Int, saturating at Int.max (32-bit on armv7).
@inline(__always) public func narrowSaturating(_ v: UInt64) -> Int {
    let limit = widenUnsigned(Int.max)
    return v >= limit ? Int.max : Int(truncatingIfNeeded: v)
}

/// Parses an optional sign, digits and an optional fraction ("2.7", "-0.125", "15") as an
/// integer scaled by 10^fractionDigits (extra fraction digits are truncated). nil if empty,
/// malformed or out of Int64 range. Accepts a trailing newline (sysfs files end with one).
public func parseScaledDecimal(_ text: UnsafeRawBufferPointer, fractionDigits: Int) -> Int64? {
    var i = 0
    let n = text.count
    var end = n
    while end > 0 && (text[end - 1] == 10 || text[end - 1] == 13 || text[end - 1] == 32 || text[end - 1] == 0) { end -= 1 }
    guard end > 0 else { return nil }
    var negative = false
    if text[0] == 45 { negative = true; i = 1 } else if text[0] == 43 { i = 1 }  // '-' '+'
    var value: Int64 = 0
    var digits = 0
    var fraction = -1  // digits seen after the point; -1 before it
    while i < end {
        let c = text[i]
        if c == 46 {  // '.'
            guard fraction < 0 else { return nil }
            fraction = 0
        } else if c >= 48 && c <= 57 {
            if fraction < 0 || fraction < fractionDigits {
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(widenSigned(Int(c) - 48))
                guard !o1, !o2 else { return nil }
                value = s
                if fraction >= 0 { fraction += 1 }
            }
            digits += 1
        } else {
            return nil
        }
        i += 1
    }
    guard digits > 0 else { return nil }
    var scale = max(fraction, 0)
    while scale < fractionDigits {
        let (m, o) = value.multipliedReportingOverflow(by: 10)
        guard !o else { return nil }
        value = m
        scale += 1
    }
    return negative ? -value : value
}
