// What the importer accepts from a file it does not trust: the bounds every shape, attribute and
// constant is checked against where it enters the IR, so that nothing downstream (folding,
// passes, quantizer, planner) can overflow, allocate without bound, or quantize a NaN.
//
// Every size a Sparrow model can hold is 32-bit. Bounding each dimension and each integer
// attribute by Int32.max at entry keeps every sum, and every product of two, of those quantities
// inside Int64, which is all the shape arithmetic of the importer does; larger products (element
// counts of computed shapes) go through `ImportLimits.elementCount`, which also bounds how much
// the float executor (calibration) and constant folding may allocate.
import SparrowONNX

enum ImportLimits {
    /// The largest dimension and integer attribute accepted.
    static let maxValue = Int(Int32.max)
    /// The most elements one tensor may have: 256 M (256 MB as int8, 1 GB as float during
    /// calibration), far beyond any model a Pi-class board runs, and a bound on what a crafted
    /// shape can make the converter allocate.
    static let maxElements = 1 << 28
    /// The most elements a constant folded from a shape (ConstantOfShape, Expand, Range) may have:
    /// shape subgraphs are tiny, and a bigger constant would be a weight the file should store.
    static let maxFoldedElements = 1 << 24

    /// Kernel sizes, strides, dilations and pads a Sparrow model holds (the verifier's bound).
    static let maxWindow = 1 << 16

    /// The element count of `shape`, or nil when a dimension is negative or above `maxValue`, or
    /// the product is above `limit` (checked without overflowing).
    static func elementCount(_ shape: [Int], limit: Int = maxElements) -> Int? {
        var count = 1
        for d in shape {
            guard d >= 0, d <= maxValue else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, product <= limit else { return nil }
            count = product
        }
        return count
    }

    /// Why `shape` cannot enter the IR, or nil when it can.
    static func shapeProblem(_ shape: [Int], limit: Int = maxElements) -> String? {
        if let d = shape.first(where: { $0 < 0 }) { return "shape \(shape) has a negative dimension \(d)" }
        guard elementCount(shape, limit: limit) != nil else {
            return "shape \(shape) has more than \(limit) elements (or a dimension above \(maxValue)), "
                + "more than Sparrow accepts for one tensor"
        }
        return nil
    }

    /// The first non-finite element of `values`, as (index, description), or nil.
    static func firstNonFinite<C: Collection>(_ values: C) -> (index: Int, value: String)? where C.Element: BinaryFloatingPoint {
        for (i, v) in values.enumerated() where !v.isFinite { return (i, v.isNaN ? "NaN" : (v < 0 ? "-infinity" : "infinity")) }
        return nil
    }
}

extension ConstTensor {
    /// Integer view of the elements for shapes, axes and indices, each saturated to ±Int32.max
    /// (NaN reads as Int32.min): a value beyond that is either "to the end" (Slice's INT64_MAX)
    /// or absurd, and either way the shape checks treat the saturated value the same way, without
    /// the trap of converting 2^63 or NaN to Int.
    var ints: [Int] {
        values.map { v in
            guard !v.isNaN else { return Int(Int32.min) }
            return Int(Swift.min(Swift.max(v, Double(Int32.min)), Double(Int32.max)))
        }
    }
}
