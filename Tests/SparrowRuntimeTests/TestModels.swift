import SparrowFormat
import SparrowKernels
import SparrowRuntime
import SparrowTestSupport

/// The verifier's error for `bytes`, nil when they verify.
func verifyError(_ bytes: [UInt8]) -> ModelError? { HostModel.verificationError(bytes) }

func quantize(_ x: Float, scale: Float, zeroPoint: Int32) -> Int8 {
    Int8(clamping: Int32((x / scale).rounded(.toNearestOrEven)) + zeroPoint)
}

/// A small model built by hand, with float weights kept so tests can compute the float result:
///   x float [1,5,5,2] → Quantize → Conv 3x3 (2→3, pad 1, ReLU) → Mean(H,W) → FC (3→4) → Dequantize
/// Offsets and lifetimes are laid out by hand (the converter's planner is tested elsewhere).
struct TinyConvNet {
    static let inScale: Float = 1.0 / 64, inZP: Int32 = -10   // input range about [-1.84, 2.14]
    static let convScale: Float = 1.0 / 32, convZP: Int32 = -128   // ReLU output in [0, 7.97]
    static let meanScale: Float = 1.0 / 40, meanZP: Int32 = -128
    static let fcScale: Float = 1.0 / 16, fcZP: Int32 = 3

    var convW: [Float] = []   // OHWI [3,3,3,2]
    var convB: [Float] = []
    var fcW: [Float] = []     // [4,3]
    var fcB: [Float] = []
    var convWScale: [Float] = [], fcWScale: [Float] = []

    init(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        convW = (0..<54).map { _ in rng.uniform(-0.5, 0.5) }
        convB = (0..<3).map { _ in rng.uniform(-0.2, 0.5) }
        fcW = (0..<12).map { _ in rng.uniform(-1, 1) }
        fcB = (0..<4).map { _ in rng.uniform(-0.5, 0.5) }
        convWScale = (0..<3).map { oc in convW[(oc * 18)..<(oc * 18 + 18)].map { abs($0) }.max()! / 127 }
        fcWScale = (0..<4).map { oc in fcW[(oc * 3)..<(oc * 3 + 3)].map { abs($0) }.max()! / 127 }
    }

    /// Float reference computed directly from the float weights.
    func floatForward(_ x: [Float]) -> [Float] {
        var conv = [Float](repeating: 0, count: 5 * 5 * 3)
        for oy in 0..<5 { for ox in 0..<5 { for oc in 0..<3 {
            var acc = convB[oc]
            for ky in 0..<3 { for kx in 0..<3 {
                let iy = oy + ky - 1, ix = ox + kx - 1
                guard iy >= 0, iy < 5, ix >= 0, ix < 5 else { continue }
                for ic in 0..<2 { acc += x[(iy * 5 + ix) * 2 + ic] * convW[((oc * 3 + ky) * 3 + kx) * 2 + ic] }
            }}
            conv[(oy * 5 + ox) * 3 + oc] = max(acc, 0)
        }}}
        var mean = [Float](repeating: 0, count: 3)
        for c in 0..<3 { for p in 0..<25 { mean[c] += conv[p * 3 + c] }; mean[c] /= 25 }
        return (0..<4).map { o in fcB[o] + (0..<3).reduce(0) { $0 + mean[$1] * fcW[o * 3 + $1] } }
    }

    func bytes(mutate: (inout ModelWriter) -> Void = { _ in }) -> [UInt8] {
        var w = ModelWriter()
        func i32(_ v: [Int32]) -> [UInt8] { v.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) } }
        func s8(_ v: [Int8]) -> [UInt8] { v.map { UInt8(bitPattern: $0) } }
        func constant(_ dtype: DType, _ dims: [Int32], _ data: [UInt8]) -> Int32 {
            let off = w.addConstant(data)
            var d: (Int32, Int32, Int32, Int32) = (1, 1, 1, 1)
            for (i, v) in dims.enumerated() {
                switch i { case 0: d.0 = v; case 1: d.1 = v; case 2: d.2 = v; default: d.3 = v }
            }
            w.tensors.append(TensorRecord(dtype: dtype, dims: d, rank: dims.count, storage: .constant, location: off,
                                          byteSize: UInt32(data.count)))
            return Int32(w.tensors.count - 1)
        }
        func arena(_ dtype: DType, _ dims: (Int32, Int32, Int32, Int32), rank: Int, offset: UInt32, bytes: UInt32,
                   scale: Float, zp: Int32, from: Int32, to: Int32) -> Int32 {
            w.tensors.append(TensorRecord(dtype: dtype, dims: dims, rank: rank, storage: .arena, location: offset,
                                          byteSize: bytes, quant: scale > 0 ? .perTensor : .none, zeroPoint: zp,
                                          scale: scale, liveFrom: from, liveTo: to))
            return Int32(w.tensors.count - 1)
        }
        // Conv weights per channel.
        var cw = [Int8](), cb = [Int32](), cm = [Int32](), cs = [Int32]()
        for oc in 0..<3 {
            for i in 0..<18 { cw.append(Int8((convW[oc * 18 + i] / convWScale[oc]).rounded())) }
            cb.append(Int32((convB[oc] / (Self.inScale * convWScale[oc])).rounded()))
            let q = quantizeMultiplier(Double(Self.inScale) * Double(convWScale[oc]) / Double(Self.convScale))
            cm.append(q.multiplier); cs.append(q.shift)
        }
        var fw = [Int8](), fb = [Int32](), fm = [Int32](), fs = [Int32]()
        for o in 0..<4 {
            for i in 0..<3 { fw.append(Int8((fcW[o * 3 + i] / fcWScale[o]).rounded())) }
            fb.append(Int32((fcB[o] / (Self.meanScale * fcWScale[o])).rounded()))
            let q = quantizeMultiplier(Double(Self.meanScale) * Double(fcWScale[o]) / Double(Self.fcScale))
            fm.append(q.multiplier); fs.append(q.shift)
        }
        let mean = MeanHW.prepare(inputScale: Double(Self.convScale), outputScale: Double(Self.meanScale), count: 25)
        // Arena (hand plan): x f32 @0 (200 B, ops -1...0), xq @208 (50 B, 0...1), conv @0 (75 B, 1...2),
        // mean @96 (3 B, 2...3), fc @0 (4 B, 3...4), y f32 @16 (16 B, 4...5 = end).
        let x = arena(.float32, (1, 5, 5, 2), rank: 4, offset: 0, bytes: 200, scale: 0, zp: 0, from: -1, to: 0)
        let xq = arena(.int8, (1, 5, 5, 2), rank: 4, offset: 208, bytes: 50, scale: Self.inScale, zp: Self.inZP, from: 0, to: 1)
        let conv = arena(.int8, (1, 5, 5, 3), rank: 4, offset: 0, bytes: 75, scale: Self.convScale, zp: Self.convZP, from: 1, to: 2)
        let mn = arena(.int8, (1, 3, 1, 1), rank: 2, offset: 96, bytes: 3, scale: Self.meanScale, zp: Self.meanZP, from: 2, to: 3)
        let fc = arena(.int8, (1, 4, 1, 1), rank: 2, offset: 0, bytes: 4, scale: Self.fcScale, zp: Self.fcZP, from: 3, to: 4)
        let y = arena(.float32, (1, 4, 1, 1), rank: 2, offset: 16, bytes: 16, scale: 0, zp: 0, from: 4, to: 5)
        let wC = constant(.int8, [3, 3, 3, 2], s8(cw)), bC = constant(.int32, [3], i32(cb))
        let mC = constant(.int32, [3], i32(cm)), sC = constant(.int32, [3], i32(cs))
        let wF = constant(.int8, [4, 3], s8(fw)), bF = constant(.int32, [4], i32(fb))
        let mF = constant(.int32, [4], i32(fm)), sF = constant(.int32, [4], i32(fs))
        w.addOperator(.quantize, inputs: [x], outputs: [xq], params: [], name: "quantize")
        // 3×3 "same" conv with ReLU (clamp from the output zero point).
        let convParams = ConvParamRecord(strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padTop: 1, padLeft: 1,
                                         padBottom: 1, padRight: 1, activation: ActivationClamp(min: Self.convZP, max: 127))
        w.addOperator(.conv2D, inputs: [xq, wC, bC, mC, sC], outputs: [conv], params: convParams, macs: 25 * 3 * 18,
                      name: "conv")
        w.addOperator(.mean, inputs: [conv], outputs: [mn],
                      params: RescaleParamRecord(Rescale(multiplier: mean.multiplier, shift: mean.shift)), macs: 75, name: "mean")
        w.addOperator(.fullyConnected, inputs: [mn, wF, bF, mF, sF], outputs: [fc],
                      params: FullyConnectedParamRecord(activation: ActivationClamp(min: -128, max: 127)), macs: 12, name: "fc")
        w.addOperator(.dequantize, inputs: [fc], outputs: [y], params: [], name: "dequantize")
        w.inputs = [x]
        w.outputs = [y]
        w.arenaSize = 272
        w.totalMacs = 25 * 3 * 18 + 75 + 12
        mutate(&w)
        return w.serialize()
    }
}
