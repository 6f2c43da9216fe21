// ONNX Resize/Upsample over the H and W axes of an NHWC tensor: the source coordinate of each
// output row/column, shared by the float executor (exact) and the lowering (10-bit taps).
import Foundation

public struct ResizeAttributes: Equatable, Sendable {
    public enum Mode: String, Sendable { case nearest, linear }
    /// ONNX coordinate_transformation_mode values Sparrow supports.
    public enum CoordinateMode: String, Sendable {
        case halfPixel = "half_pixel", asymmetric, alignCorners = "align_corners"
        case pytorchHalfPixel = "pytorch_half_pixel"
    }
    /// ONNX nearest_mode values.
    public enum NearestMode: String, Sendable {
        case roundPreferFloor = "round_prefer_floor", roundPreferCeil = "round_prefer_ceil", floor, ceil
    }

    public var mode: Mode
    public var coordinates: CoordinateMode
    public var nearest: NearestMode
    /// The scale of H and W as the model gives it (out/in when the model gives sizes): half_pixel,
    /// asymmetric and pytorch_half_pixel divide by it, as ONNX specifies.
    public var scales: [Double]

    public init(mode: Mode, coordinates: CoordinateMode, nearest: NearestMode, scales: [Double]) {
        self.mode = mode
        self.coordinates = coordinates
        self.nearest = nearest
        self.scales = scales
    }

    /// The input coordinate that output index `o` of an axis maps to (ONNX's
    /// coordinate_transformation_mode), before clamping.
    public func sourceCoordinate(_ o: Int, axis: Int, inputSize: Int, outputSize: Int) -> Double {
        let scale = scales[axis], x = Double(o)
        switch coordinates {
        case .halfPixel: return (x + 0.5) / scale - 0.5
        case .asymmetric: return x / scale
        case .alignCorners: return outputSize == 1 ? 0 : x * Double(inputSize - 1) / Double(outputSize - 1)
        case .pytorchHalfPixel: return outputSize > 1 ? (x + 0.5) / scale - 0.5 : 0
        }
    }

    /// One output index's source taps: `lower`, `upper` (input indices) and the weight of `upper`
    /// in [0, 1]. Nearest gives one index (weight 0); linear clamps the coordinate into the input
    /// first, as onnxruntime does.
    public func taps(_ o: Int, axis: Int, inputSize: Int, outputSize: Int) -> (lower: Int, upper: Int, weight: Double) {
        let c = sourceCoordinate(o, axis: axis, inputSize: inputSize, outputSize: outputSize)
        switch mode {
        case .nearest:
            let i: Double
            switch nearest {
            case .floor: i = c.rounded(.down)
            case .ceil: i = c.rounded(.up)
            case .roundPreferFloor: i = c == c.rounded(.down) + 0.5 ? c.rounded(.down) : c.rounded()
            case .roundPreferCeil: i = c == c.rounded(.down) + 0.5 ? c.rounded(.up) : c.rounded()
            }
            let k = Swift.min(Swift.max(Int(i), 0), inputSize - 1)
            return (k, k, 0)
        case .linear:
            let clamped = Swift.min(Swift.max(c, 0), Double(inputSize - 1))
            let lower = Int(clamped.rounded(.down))
            let upper = Swift.min(lower + 1, inputSize - 1)
            return (lower, upper, upper == lower ? 0 : clamped - Double(lower))
        }
    }
}
