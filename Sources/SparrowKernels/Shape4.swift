/// A 4-D tensor shape in NHWC order. Tensors of lower rank are padded with leading 1s
/// (a vector of length C is `Shape4(1, 1, 1, C)`, a matrix `[B, D]` is `Shape4(1, 1, B, D)`).
public struct Shape4: Equatable, Sendable {
    public var n: Int
    public var h: Int
    public var w: Int
    public var c: Int

    public init(_ n: Int, _ h: Int, _ w: Int, _ c: Int) {
        self.n = n
        self.h = h
        self.w = w
        self.c = c
    }

    /// Number of elements.
    public var count: Int { n * h * w * c }

    /// Dimension by axis number: 0 = n, 1 = h, 2 = w, 3 = c. The verifier guarantees `axis` is in 0...3.
    public subscript(axis: Int) -> Int {
        get {
            switch axis {
            case 0: return n
            case 1: return h
            case 2: return w
            case 3: return c
            default: preconditionFailure("Shape4 axis out of range")
            }
        }
        set {
            switch axis {
            case 0: n = newValue
            case 1: h = newValue
            case 2: w = newValue
            case 3: c = newValue
            default: preconditionFailure("Shape4 axis out of range")
            }
        }
    }

    /// Element stride of `axis` in a dense NHWC buffer of this shape.
    public func stride(ofAxis axis: Int) -> Int {
        switch axis {
        case 0: return h * w * c
        case 1: return w * c
        case 2: return c
        case 3: return 1
        default: preconditionFailure("Shape4 axis out of range")
        }
    }
}
