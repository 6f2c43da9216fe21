import SparrowHarness
import Testing

/// The bench record's log-scale latency histogram, on hand-derived cases.
@Suite struct LogHistogramTests {
    /// log2 in Q16: exact at powers of two; log2(3) = 1.5849625... → 103872.3 in Q16, so the
    /// truncated fraction bits give 103872; log2(10^6) = 19.931568... → 1306235.6 → 1306235.
    @Test func log2InQ16() {
        #expect(HarnessStatistics.log2Q16(1) == 0)
        #expect(HarnessStatistics.log2Q16(2) == 65536)
        #expect(HarnessStatistics.log2Q16(1 << 40) == 40 << 16)
        #expect(HarnessStatistics.log2Q16(3) == 103_872)
        #expect(HarnessStatistics.log2Q16(1_000_000) == 1_306_235)
        #expect(HarnessStatistics.log2Q16(UInt64.max) == (64 << 16) - 1)  // just below 64
    }

    func bins(_ values: [UInt64], count: Int) -> [UInt32] {
        var bins = [UInt32](repeating: 7, count: count)  // must be cleared by the call
        values.withUnsafeBufferPointer { v in
            bins.withUnsafeMutableBufferPointer { HarnessStatistics.logHistogram(sorted: v, bins: $0) }
        }
        return bins
    }

    /// 99 inferences of 1 ms and one of 100 ms: on a log axis from 1 to 100 ms the fast ones are
    /// in the first bin and the outlier in the last; 1.5 ms lands where log(1.5)/log(100) puts it:
    /// 0.0880 · 40 = 3.52 → bin 3.
    @Test func oneOutlierStaysApart() {
        let fast = [UInt64](repeating: 1_000_000, count: 98) + [1_500_000]
        let h = bins(fast + [100_000_000], count: 40)
        #expect(h[0] == 98 && h[3] == 1 && h[39] == 1)
        #expect(h.reduce(0, +) == 100)
    }

    /// Powers of two over three bins: log2 0, 1, 2, 3 of 3 octaves → bins 0, 1, 2 and the
    /// maximum closes the last bin.
    @Test func binsAreEqualInLogSpace() {
        #expect(bins([1, 2, 4, 8], count: 3) == [1, 1, 2])
        #expect(bins([5, 5, 5], count: 4) == [3, 0, 0, 0])  // all equal: first bin
        #expect(bins([], count: 2) == [0, 0])
    }
}
