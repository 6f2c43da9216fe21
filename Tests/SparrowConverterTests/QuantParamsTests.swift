import Foundation
import Testing
@testable import SparrowConverter

// Expected values are derived by hand from the scheme's definitions (comments show the work).

@Suite struct ActivationQuantTests {
    @Test func rangeAroundZero() {
        // [-1, 3]: scale = 4/255; zero point = -128 - (-1)/(4/255) = -128 + 63.75 -> -64.
        let q = ActivationQuant(min: -1, max: 3)
        #expect(q.scale == Float(4.0 / 255.0))
        #expect(q.zeroPoint == -64)
        #expect(q.dequantize(-64) == 0)
        // The ends land on the ends of int8: -63.75 -> -64, 191.25 -> 191 (+ zp).
        #expect(q.quantize(-1) == -128)
        #expect(q.quantize(3) == 127)
    }

    @Test func rangesAreWidenedToContainZero() {
        // [0.5, 2] -> [0, 2]: scale 2/255, zero point -128 (real 0 is the lowest code).
        let positive = ActivationQuant(min: 0.5, max: 2)
        #expect(positive.scale == Float(2.0 / 255.0))
        #expect(positive.zeroPoint == -128)
        // [-4, -1] -> [-4, 0]: scale 4/255, zero point -128 + 255 = 127.
        let negative = ActivationQuant(min: -4, max: -1)
        #expect(negative.scale == Float(4.0 / 255.0))
        #expect(negative.zeroPoint == 127)
    }

    @Test func degenerateRangeStillRepresentsZero() {
        // All zeros: any scale works; 1/255 is used and 0 is code -128.
        let q = ActivationQuant(min: 0, max: 0)
        #expect(q.scale == Float(1.0 / 255.0))
        #expect(q.zeroPoint == -128)
        #expect(q.dequantize(q.quantize(0)) == 0)
        // A tiny but nonzero range keeps a usable positive scale.
        let tiny = ActivationQuant(min: 0, max: 1e-38)
        #expect(tiny.scale > 0 && tiny.scale.isFinite)
    }

    @Test func fusedActivationClamps() {
        // ReLU: lower bound is real 0, i.e. the zero point.
        let q = ActivationQuant(min: -1, max: 3)
        #expect(q.clamp(.relu) == (min: -64, max: 127))
        #expect(q.clamp(.none) == (min: -128, max: 127))
        // [-1, 8]: scale 9/255, zp = round(-128 + 28.33) = -100; ReLU6 upper = -100 + 6/(9/255) = -100 + 170.
        let wide = ActivationQuant(min: -1, max: 8)
        #expect(wide.zeroPoint == -100)
        #expect(wide.clamp(.relu6) == (min: -100, max: 70))
        // clip(-0.5, 1): -100 + round(-14.17) = -114, -100 + round(28.33) = -72.
        #expect(wide.clamp(.clip(-0.5, 1)) == (min: -114, max: -72))
    }

    @Test func softmaxOutputIsFixed() {
        #expect(ActivationQuant.softmaxOutput == ActivationQuant(scale: 1.0 / 256.0, zeroPoint: -128))
    }
}

@Suite struct WeightQuantTests {
    @Test func perOutputChannel() {
        // OHWI [2,1,1,3]. Channel 0: maxabs 1.27 -> scale 0.01 -> codes 50, -127, 30.
        // Channel 1 is all zero: scale 1, codes 0 (no division by zero).
        let w: [Float] = [0.5, -1.27, 0.3, 0, 0, 0]
        let q = QuantMath.quantizeWeightsOutputMajor(w, outChannels: 2)
        #expect(q.scales == [Float(1.27) / 127, 1])
        #expect(q.values == [50, -127, 30, 0, 0, 0])
    }

    @Test func depthwiseChannelIsInnermost() {
        // [1,1,2,2]: channel 0 holds {1, -0.25}: scale 1/127 -> 127, -31.75 -> -32.
        // channel 1 holds {-1, 4}: scale 4/127 -> -31.75 -> -32, 127.
        let w: [Float] = [1, -1, -0.25, 4]
        let q = QuantMath.quantizeWeightsChannelLast(w, channels: 2)
        #expect(q.scales == [Float(1) / 127, Float(4) / 127])
        #expect(q.values == [127, -32, -32, 127])
    }

    @Test func codesNeverReachMinus128() {
        let w: [Float] = [-3, 2.999, 1e-9, -1e-9]
        let q = QuantMath.quantizeWeightsOutputMajor(w, outChannels: 1)
        #expect(q.values.allSatisfy { $0 >= -127 })
        #expect(q.values[0] == -127)
    }

    @Test func biasRoundsHalfAwayFromZeroAndSaturates() {
        // Scale 0.5 * 0.25 = 0.125 (exact in binary): 0.3125 -> 2.5 -> 3, -0.3125 -> -3, 0.1875 -> 1.5 -> 2.
        let b = QuantMath.quantizeBias([0.3125, -0.3125, 0.1875], inputScale: 0.5, weightScales: [0.25, 0.25, 0.25])
        #expect(b.values == [3, -3, 2])
        #expect(b.saturated == 0)
        // 1e9 / 1e-6 = 1e15 is beyond the verifier's 2^30 bias bound: saturated.
        let big = QuantMath.quantizeBias([1e9, -1e9], inputScale: 1e-3, weightScales: [1e-3, 1e-3])
        #expect(big.values == [1 << 30, -(1 << 30)])
        #expect(big.saturated == 2)
    }

    @Test func channelMultipliersFollowFrexp() {
        // 0.5 * 0.25 / 0.0625 = 2 = 0.5 * 2^2: multiplier 0.5 * 2^31 = 2^30, shift 2.
        // 0.5 * w / 0.0625 with w = Float(0.001): frexp gives the mantissa m in [0.5, 1) and the
        // exponent e; multiplier = round(m * 2^31), shift = e.
        let m = QuantMath.channelMultipliers(inputScale: 0.5, weightScales: [0.25, 0.001], outputScale: 0.0625)
        #expect(m.multipliers[0] == 1 << 30)
        #expect(m.shifts[0] == 2)
        let real = 0.5 * Double(Float(0.001)) / 0.0625
        let (mantissa, exponent) = frexp(real)
        #expect(m.multipliers[1] == Int32((mantissa * 2147483648.0).rounded()))
        #expect(m.shifts[1] == Int32(exponent))
        #expect(exponent == -6)
    }
}

@Suite struct RangeHistogramTests {
    @Test func minMaxIsExact() {
        var h = RangeHistogram()
        h.add([0.25, -3.5, 7, 0, .nan, .infinity])
        #expect(h.range(.minMax) == ValueRange(min: -3.5, max: 7))
        #expect(h.count == 4)
        #expect(h.nonFinite == 2)
        #expect(RangeHistogram().range(.minMax) == nil)
    }

    /// The array form (the calibrator's) against samples added one at a time: identical statistics
    /// and bins, through zeros before the first nonzero sample, growth mid-array, non-finite
    /// values, tiny and bin-edge values.
    @Test func arrayAddEqualsOneByOne() {
        var state: UInt64 = 12345
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state) >> 40) / Float(1 << 23)
        }
        let chunks: [[Float]] = [
            [0, 0, -0.0, 1e-30, 0.5, -0.25],
            (0..<5000).map { _ in next() },
            [3, .nan, -7.5, 0x1p-20, .infinity, -.infinity, 0.375, -0.125] + (0..<3000).map { _ in next() * 100 },
            (0..<2048).map { Float($0) / 16 - 64 },   // bin edges of R = 64
            [],
        ]
        var batched = RangeHistogram(), single = RangeHistogram()
        for chunk in chunks {
            batched.add(chunk)
            for x in chunk { single.add(x) }
            #expect(batched.bins == single.bins)
            #expect(batched.halfRange == single.halfRange && batched.count == single.count)
            #expect(batched.nonFinite == single.nonFinite)
            #expect(batched.minimum.bitPattern == single.minimum.bitPattern && batched.maximum.bitPattern == single.maximum.bitPattern)
        }
        #expect(batched.halfRange == 128 && batched.nonFinite == 3)
    }

    @Test func histogramGrowthKeepsEveryCount() {
        var h = RangeHistogram()
        for i in 0..<1000 { h.add(Float(i) / 1000) }
        h.add(500)   // forces ten doublings
        #expect(h.bins.reduce(0, +) == 1001)
        #expect(h.halfRange == 512)
    }

    @Test func percentileCutsAnOutlier() {
        // 10000 samples in [0, 1) and one at 1000. R = 1024, bins are 1 wide. Keeping 99.9 %
        // cuts 0.05 % = 5 samples per tail: the top bin's single sample goes; the bin [0, 1)
        // holds the rest, so the range becomes [0, 1].
        var h = RangeHistogram()
        for i in 0..<10000 { h.add(Float(i) / 10000) }
        h.add(1000)
        #expect(h.range(.minMax) == ValueRange(min: 0, max: 1000))
        #expect(h.range(.percentile(99.9)) == ValueRange(min: 0, max: 1))
        #expect(h.range(.percentile(100)) == ValueRange(min: 0, max: 1000))
    }

    @Test func mseClipsARareOutlierWhenTheBulkIsLarge() {
        // 10^6 samples uniform in [-1, 1) and one at 10. Keeping [-1, 10] costs the bulk
        // 10^6·(11/255)²/12 ≈ 155 in squared error; clipping at M costs 10^6·((M+1)/255)²/12
        // + (10 − M)², least at 1.28(M+1) = 10 − M, i.e. M ≈ 3.8. The lower bound stays ≈ −1.
        var h = RangeHistogram()
        for i in 0..<1_000_000 { h.add(Float(i) / 500_000 - 1) }
        h.add(10)
        let r = h.range(.mse)!
        #expect(r.max > 2.5 && r.max < 5.5, "upper bound \(r.max)")
        #expect(r.min <= -0.9 && r.min >= -1, "lower bound \(r.min)")
        // With only 10^4 bulk samples the outlier's own error dominates: nothing is clipped.
        var small = RangeHistogram()
        for i in 0..<10_000 { small.add(Float(i) / 5000 - 1) }
        small.add(10)
        #expect(small.range(.mse)!.max == 10)
    }
}
