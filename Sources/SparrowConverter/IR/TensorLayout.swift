// Shape arithmetic shared by the importer's constant folding and the float executor: row-major
// strides, numpy broadcasting, transposes, and the NCHW ↔ NHWC permutations.

public enum TensorLayout {
    /// IR axis i takes ONNX axis `nchwToNHWC[i]`.
    public static let nchwToNHWC = [0, 2, 3, 1]
    /// ONNX axis i takes IR axis `nhwcToNCHW[i]`.
    public static let nhwcToNCHW = [0, 3, 1, 2]

    /// Row-major strides of `shape`.
    public static func strides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            s[i] = acc
            acc *= shape[i]
        }
        return s
    }

    /// `shape` permuted: result[i] = shape[perm[i]].
    public static func permute(_ shape: [Int], _ perm: [Int]) -> [Int] {
        perm.map { shape[$0] }
    }

    /// The inverse permutation.
    public static func inverse(_ perm: [Int]) -> [Int] {
        var inv = [Int](repeating: 0, count: perm.count)
        for (i, p) in perm.enumerated() { inv[p] = i }
        return inv
    }

    /// True when transposing a tensor of `shape` by `perm` leaves the row-major element order
    /// unchanged (the axes that move all have size 1), so a reshape does the same job.
    public static func isOrderPreserving(shape: [Int], perm: [Int]) -> Bool {
        let moved = perm.filter { shape[$0] != 1 }
        return moved == moved.sorted()
    }

    /// Row-major transpose: output axis i takes input axis perm[i].
    public static func transpose<T>(_ data: [T], shape: [Int], perm: [Int]) -> [T] {
        precondition(perm.count == shape.count && data.count == shape.reduce(1, *), "transpose: shape mismatch")
        if isOrderPreserving(shape: shape, perm: perm) { return data }
        let inStrides = strides(shape)
        let outShape = permute(shape, perm)
        let rank = shape.count
        // Stride in the input for a step along each output axis.
        let stepStrides = perm.map { inStrides[$0] }
        var out: [T] = []
        out.reserveCapacity(data.count)
        var index = [Int](repeating: 0, count: rank)
        var offset = 0
        for _ in 0..<data.count {
            out.append(data[offset])
            // Odometer increment over the output index.
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                offset += stepStrides[axis]
                if index[axis] < outShape[axis] { break }
                offset -= stepStrides[axis] * outShape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return out
    }

    /// numpy broadcast of two shapes, or nil when they are incompatible.
    public static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else { return nil }
        }
        return out
    }

    /// For each element of `outShape`, the index of the element of a tensor of `shape` that
    /// numpy broadcasting reads.
    public static func broadcastIndices(from shape: [Int], to outShape: [Int]) -> [Int] {
        let rank = outShape.count
        let padded = [Int](repeating: 1, count: rank - shape.count) + shape
        let inStrides = strides(padded)
        let step = (0..<rank).map { padded[$0] == 1 ? 0 : inStrides[$0] }
        let count = outShape.reduce(1, *)
        var result = [Int](repeating: 0, count: count)
        if count == 0 { return result }
        var index = [Int](repeating: 0, count: rank)
        var offset = 0
        for i in 0..<count {
            result[i] = offset
            var axis = rank - 1
            while axis >= 0 {
                index[axis] += 1
                offset += step[axis]
                if index[axis] < outShape[axis] { break }
                offset -= step[axis] * outShape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return result
    }

    /// Elementwise `f(a, b)` with numpy broadcasting; nil when the shapes are incompatible.
    public static func broadcast<T>(_ a: [T], _ aShape: [Int], _ b: [T], _ bShape: [Int],
                                    _ f: (T, T) -> T) -> (data: [T], shape: [Int])? {
        guard let outShape = broadcastShape(aShape, bShape) else { return nil }
        if aShape == bShape { return (zip(a, b).map(f), outShape) }
        let count = outShape.reduce(1, *)
        if bShape.reduce(1, *) == 1 && aShape == outShape, let s = b.first { return (a.map { f($0, s) }, outShape) }
        if aShape.reduce(1, *) == 1 && bShape == outShape, let s = a.first { return (b.map { f(s, $0) }, outShape) }
        let ia = broadcastIndices(from: aShape, to: outShape)
        let ib = broadcastIndices(from: bShape, to: outShape)
        var out: [T] = []
        out.reserveCapacity(count)
        for i in 0..<count { out.append(f(a[ia[i]], b[ib[i]])) }
        return (out, outShape)
    }

    /// IR shape of a tensor with ONNX shape `onnxShape`: 4-D becomes NHWC, other ranks unchanged.
    public static func irShape(ofONNX onnxShape: [Int]) -> [Int] {
        onnxShape.count == 4 ? permute(onnxShape, nchwToNHWC) : onnxShape
    }
}
