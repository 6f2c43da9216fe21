// Resize taps for imported TFLite models, against values derived by hand from LiteRT's reference
// rules (Docs/tflite-import.md, "Resize taps"). The fixture `resize` checks the same code end to
// end against LiteRT's outputs.
import XCTest
@testable import SparrowConverter

final class TFLiteResizeTapsTests: XCTestCase {
    typealias Tap = (lower: Int, upper: Int, weight: Int)

    func assertTap(_ got: Tap, _ want: Tap, _ what: String, line: UInt = #line) {
        XCTAssertEqual([got.lower, got.upper, got.weight], [want.lower, want.upper, want.weight], what, line: line)
    }

    func testBilinearTaps() {
        // 6 → 9: scale10 = (6144 + 4) / 9 = 683.
        func plain(_ i: Int) -> Tap { TFLiteArithmetic.bilinearTap(i, input: 6, output: 9, alignCorners: false, halfPixelCenters: false) }
        assertTap(plain(0), (0, 0, 0), "first row")
        assertTap(plain(1), (0, 1, 683), "683 = 0·1024 + 683")
        assertTap(plain(7), (4, 5, 685), "4781 = 4·1024 + 685")
        assertTap(plain(8), (5, 5, 0), "5464: upper clamped to the last row, weight irrelevant → 0")
        // Half-pixel: v = i·683 + 341 − 512; v = −171 at i = 0 (LiteRT's weights 1195 and −171 on one value).
        func half(_ i: Int) -> Tap { TFLiteArithmetic.bilinearTap(i, input: 6, output: 9, alignCorners: false, halfPixelCenters: true) }
        assertTap(half(0), (0, 0, 0), "negative coordinate")
        assertTap(half(1), (0, 1, 512), "512")
        assertTap(half(8), (5, 5, 0), "5293: clamped")
        // Align corners 5 → 13: scale10 = (4096 + 6) / 12 = 341; the last row stays short of 4·1024.
        func corners(_ i: Int) -> Tap { TFLiteArithmetic.bilinearTap(i, input: 5, output: 13, alignCorners: true, halfPixelCenters: false) }
        assertTap(corners(3), (0, 1, 1023), "1023")
        assertTap(corners(12), (3, 4, 1020), "4092 = 3·1024 + 1020")
    }

    func testNearestTaps() {
        // 6 → 16: scale 0.375, floor.
        func plain(_ i: Int) -> Int { TFLiteArithmetic.nearestTap(i, input: 6, output: 16, alignCorners: false, halfPixelCenters: false).lower }
        XCTAssertEqual([0, 3, 15].map(plain), [0, 1, 5])
        // Half-pixel: floor((i + 0.5)·0.375).
        func half(_ i: Int) -> Int { TFLiteArithmetic.nearestTap(i, input: 6, output: 16, alignCorners: false, halfPixelCenters: true).lower }
        XCTAssertEqual([0, 2, 15].map(half), [0, 0, 5])
        // Align corners 5 → 12: round half away of i·4/11.
        func corners(_ i: Int) -> Int { TFLiteArithmetic.nearestTap(i, input: 5, output: 12, alignCorners: true, halfPixelCenters: false).lower }
        XCTAssertEqual([4, 7, 11].map(corners), [1, 3, 4])
        let t = TFLiteArithmetic.nearestTap(7, input: 5, output: 12, alignCorners: true, halfPixelCenters: false)
        XCTAssertEqual([t.upper, t.weight], [3, 0], "nearest copies the lower index")
    }
}

/// STRIDED_SLICE axis bounds against hand-derived values (numpy's `x[begin:end:stride]` on an
/// axis of 6 gives the same elements).
final class TFLiteStridedSliceAxisTests: XCTestCase {
    func axis(_ begin: Int, _ end: Int, _ stride: Int, beginMasked: Bool = false, endMasked: Bool = false,
              shrink: Bool = false, offset: Bool = false) -> [Int]? {
        TFLiteArithmetic.stridedSliceAxis(dim: 6, begin: begin, end: end, stride: stride, beginMasked: beginMasked,
                                          endMasked: endMasked, shrink: shrink, offset: offset).map { [$0.start, $0.count] }
    }

    func testBounds() {
        XCTAssertEqual(axis(1, 5, 2), [1, 2])                          // 1, 3
        XCTAssertEqual(axis(4, 1, -2), [4, 2])                         // 4, 2
        XCTAssertEqual(axis(-1, 0, -1, endMasked: true), [5, 6])       // x[::-1]
        XCTAssertEqual(axis(3, 2, 1, beginMasked: true), [0, 2])       // x[:2]
        XCTAssertEqual(axis(-2, 0, 1, shrink: true), [4, 1])           // x[-2]
        XCTAssertEqual(axis(-2, 0, 1, beginMasked: true, shrink: true), [4, 1]) // shrink ignores the begin mask
        XCTAssertEqual(axis(2, 3, 1, offset: true), [2, 3])            // end = begin + 3
        XCTAssertEqual(axis(-9, 100, 4), [0, 2])                       // clamped: 0, 4
        XCTAssertNil(axis(10, 12, 1))                                  // empty after clamping
        XCTAssertNil(axis(2, 2, 1))
        XCTAssertNil(axis(6, 0, 1, shrink: true))                      // shrink outside the axis
        XCTAssertNil(axis(0, 6, 0))
    }
}
