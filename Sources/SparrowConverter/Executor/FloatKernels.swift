// Float implementations of each IR op (NHWC), as free functions over arrays and shapes.
import Foundation

enum FloatKernels {
    static func compute(_ op: IROp, inputs: [[Float]], shapes: [[Int]], outShape: [Int]) -> [Float] {
        switch op {
        case .conv(let a):
            return conv(inputs[0], shapes[0], filter: inputs[1], filterShape: shapes[1],
                        bias: inputs[2].isEmpty ? nil : inputs[2], attrs: a, outShape: outShape)
        case .fullyConnected(let act):
            return fullyConnected(inputs[0], weights: inputs[1], weightShape: shapes[1],
                                  bias: inputs[2].isEmpty ? nil : inputs[2], activation: act)
        case .add(let act): return binary(inputs, shapes, act) { $0 + $1 }
        case .sub(let act): return binary(inputs, shapes, act) { $0 - $1 }
        case .mul(let act): return binary(inputs, shapes, act) { $0 * $1 }
        case .div(let act): return binary(inputs, shapes, act) { $0 / $1 }
        case .maximum: return binary(inputs, shapes, .none) { Swift.max($0, $1) }
        case .minimum: return binary(inputs, shapes, .none) { Swift.min($0, $1) }
        case .maxPool(let p): return pool(inputs[0], shapes[0], p, outShape: outShape, isMax: true)
        case .averagePool(let p): return pool(inputs[0], shapes[0], p, outShape: outShape, isMax: false)
        case .maxPoolArgmax(let p): return maxPoolArgmax(inputs[0], shapes[0], p, outShape: outShape)
        case .maxUnpool(let a): return maxUnpool(inputs[0], positions: inputs[1], shapes[0], a, outShape: outShape)
        case .mean: return mean(inputs[0], shapes[0])
        case .softmax: return softmax(inputs[0], axisSize: shapes[0].last ?? 1)
        case .logSoftmax: return logSoftmax(inputs[0], axisSize: shapes[0].last ?? 1)
        case .argMax(let axis, let selectLast): return argMax(inputs[0], shapes[0], axis: axis, selectLast: selectLast)
        case .concat(let axis): return concat(inputs, shapes, axis: axis)
        case .pad(let before, _, let value): return pad(inputs[0], shapes[0], before: before, value: value, outShape: outShape)
        case .reshape: return inputs[0]
        case .transpose(let perm): return TensorLayout.transpose(inputs[0], shape: shapes[0], perm: perm)
        case .unary(let f): return inputs[0].map { f.apply($0) }
        case .identity: return inputs[0]
        case .prelu: return binary(inputs, shapes, .none) { x, slope in x >= 0 ? x : slope * x }
        case .resize(let a): return resize(inputs[0], shapes[0], a, outShape: outShape)
        case .slice(let begin, let step): return slice(inputs[0], shapes[0], begin: begin, step: step, outShape: outShape)
        case .gather(let axis, let indices): return gather(inputs[0], shapes[0], axis: axis, indices: indices)
        case .layerNorm(let epsilon):
            return layerNorm(inputs[0], depth: shapes[0].last ?? 1, gamma: inputs[1], beta: inputs[2], epsilon: epsilon)
        case .matMul(let axes): return matMul(inputs[0], shapes[0], inputs[1], shapes[1], outShape: outShape, axes: axes)
        case .convTranspose(let a):
            return convTranspose(inputs[0], shapes[0], filter: inputs[1], filterShape: shapes[1],
                                 bias: inputs[2].isEmpty ? nil : inputs[2], attrs: a, outShape: outShape)
        }
    }

    /// The convolution of the calibration pass. Vectorized across output channels (8 per SIMD8,
    /// remainder channels scalar), each lane doing `convReference`'s float operations in its order —
    /// per tap Σ over input channels from 0, then added to the output — so the result is bit-identical
    /// (FloatKernelsTests checks it at tolerance 0); multiplier-1 depthwise the same way. Other
    /// depthwise multipliers take `convReference`.
    static func conv(_ x: [Float], _ xShape: [Int], filter: [Float], filterShape: [Int], bias: [Float]?,
                     attrs: ConvAttributes, outShape: [Int]) -> [Float] {
        if attrs.isDepthwise && attrs.depthMultiplier != 1 || x.isEmpty || filter.isEmpty || outShape.contains(0) {
            return convReference(x, xShape, filter: filter, filterShape: filterShape, bias: bias, attrs: attrs, outShape: outShape)
        }
        let (n, h, w, inC) = (xShape[0], xShape[1], xShape[2], xShape[3])
        let (oh, ow, outC) = (outShape[1], outShape[2], outShape[3])
        let (kh, kw) = (filterShape[1], filterShape[2])
        let (sh, sw) = (attrs.strides[0], attrs.strides[1])
        let (dh, dw) = (attrs.dilations[0], attrs.dilations[1])
        let (pt, pl) = (attrs.pads[0], attrs.pads[1])
        let depthwise = attrs.isDepthwise
        let blocks = outC / 8, vectorC = blocks * 8
        // Dense filters [outC][kh][kw][inC] → [kh][kw][inC][outC]: a tap's weights of 8 output
        // channels are contiguous. Depthwise filters are [kh][kw][outC] already.
        var packed = [Float]()
        if !depthwise {
            packed = [Float](repeating: 0, count: filter.count)
            for oc in 0..<outC {
                for t in 0..<(kh * kw) {
                    for ic in 0..<inC { packed[(t * inC + ic) * outC + oc] = filter[(oc * kh * kw + t) * inC + ic] }
                }
            }
        }
        var out = [Float](repeating: 0, count: n * oh * ow * outC)
        x.withUnsafeBufferPointer { xp in
            (depthwise ? filter : packed).withUnsafeBufferPointer { fp in
                filter.withUnsafeBufferPointer { original in
                    out.withUnsafeMutableBufferPointer { op in
                        let xr = UnsafeRawPointer(xp.baseAddress!), fr = UnsafeRawPointer(fp.baseAddress!)
                        let orr = UnsafeMutableRawPointer(op.baseAddress!)
                        for b in 0..<n {
                            for oy in 0..<oh {
                                for ox in 0..<ow {
                                    let outBase = ((b * oh + oy) * ow + ox) * outC
                                    for oc in 0..<outC { op[outBase + oc] = bias?[oc] ?? 0 }
                                    for ky in 0..<kh {
                                        let iy = oy * sh - pt + ky * dh
                                        if iy < 0 || iy >= h { continue }
                                        for kx in 0..<kw {
                                            let ix = ox * sw - pl + kx * dw
                                            if ix < 0 || ix >= w { continue }
                                            let inBase = ((b * h + iy) * w + ix) * inC
                                            let tap = ky * kw + kx
                                            if depthwise {
                                                let fBase = tap * outC
                                                for block in 0..<blocks {
                                                    let c = block * 8
                                                    let o = orr.loadUnaligned(fromByteOffset: (outBase + c) * 4, as: SIMD8<Float>.self)
                                                    let xv = xr.loadUnaligned(fromByteOffset: (inBase + c) * 4, as: SIMD8<Float>.self)
                                                    let fv = fr.loadUnaligned(fromByteOffset: (fBase + c) * 4, as: SIMD8<Float>.self)
                                                    orr.storeBytes(of: o + xv * fv, toByteOffset: (outBase + c) * 4, as: SIMD8<Float>.self)
                                                }
                                                for oc in vectorC..<outC { op[outBase + oc] += xp[inBase + oc] * fp[fBase + oc] }
                                                continue
                                            }
                                            let fTap = tap * inC * outC
                                            for block in 0..<blocks {
                                                let c = block * 8
                                                var acc = SIMD8<Float>(repeating: 0)
                                                var f = fTap + c
                                                for ic in 0..<inC {
                                                    let wv = fr.loadUnaligned(fromByteOffset: f * 4, as: SIMD8<Float>.self)
                                                    acc += SIMD8<Float>(repeating: xp[inBase + ic]) * wv
                                                    f += outC
                                                }
                                                let o = orr.loadUnaligned(fromByteOffset: (outBase + c) * 4, as: SIMD8<Float>.self)
                                                orr.storeBytes(of: o + acc, toByteOffset: (outBase + c) * 4, as: SIMD8<Float>.self)
                                            }
                                            for oc in vectorC..<outC {
                                                let fBase = ((oc * kh + ky) * kw + kx) * inC
                                                var acc: Float = 0
                                                for ic in 0..<inC { acc += xp[inBase + ic] * original[fBase + ic] }
                                                op[outBase + oc] += acc
                                            }
                                        }
                                    }
                                    for oc in 0..<outC { op[outBase + oc] = attrs.activation.apply(op[outBase + oc]) }
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// The scalar convolution `conv` reproduces bit for bit (its oracle), and the path of depthwise
    /// multipliers other than 1.
    static func convReference(_ x: [Float], _ xShape: [Int], filter: [Float], filterShape: [Int], bias: [Float]?,
                              attrs: ConvAttributes, outShape: [Int]) -> [Float] {
        let (n, h, w, inC) = (xShape[0], xShape[1], xShape[2], xShape[3])
        let (oh, ow, outC) = (outShape[1], outShape[2], outShape[3])
        let (kh, kw) = (filterShape[1], filterShape[2])
        let (sh, sw) = (attrs.strides[0], attrs.strides[1])
        let (dh, dw) = (attrs.dilations[0], attrs.dilations[1])
        let (pt, pl) = (attrs.pads[0], attrs.pads[1])
        let mult = attrs.depthMultiplier
        var out = [Float](repeating: 0, count: n * oh * ow * outC)
        x.withUnsafeBufferPointer { xp in
            filter.withUnsafeBufferPointer { fp in
                out.withUnsafeMutableBufferPointer { op in
                    for b in 0..<n {
                        for oy in 0..<oh {
                            for ox in 0..<ow {
                                let outBase = ((b * oh + oy) * ow + ox) * outC
                                for oc in 0..<outC { op[outBase + oc] = bias?[oc] ?? 0 }
                                for ky in 0..<kh {
                                    let iy = oy * sh - pt + ky * dh
                                    if iy < 0 || iy >= h { continue }
                                    for kx in 0..<kw {
                                        let ix = ox * sw - pl + kx * dw
                                        if ix < 0 || ix >= w { continue }
                                        let inBase = ((b * h + iy) * w + ix) * inC
                                        if attrs.isDepthwise {
                                            let fBase = (ky * kw + kx) * outC
                                            for oc in 0..<outC {
                                                op[outBase + oc] += xp[inBase + oc / mult] * fp[fBase + oc]
                                            }
                                        } else {
                                            for oc in 0..<outC {
                                                let fBase = ((oc * kh + ky) * kw + kx) * inC
                                                var acc: Float = 0
                                                for ic in 0..<inC { acc += xp[inBase + ic] * fp[fBase + ic] }
                                                op[outBase + oc] += acc
                                            }
                                        }
                                    }
                                }
                                for oc in 0..<outC { op[outBase + oc] = attrs.activation.apply(op[outBase + oc]) }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    static func fullyConnected(_ x: [Float], weights: [Float], weightShape: [Int], bias: [Float]?,
                               activation: Activation) -> [Float] {
        let (outF, inF) = (weightShape[0], weightShape[1])
        let rows = inF == 0 ? 0 : x.count / inF
        var out = [Float](repeating: 0, count: rows * outF)
        x.withUnsafeBufferPointer { xp in
            weights.withUnsafeBufferPointer { wp in
                for r in 0..<rows {
                    for o in 0..<outF {
                        var acc: Float = 0
                        for i in 0..<inF { acc += xp[r * inF + i] * wp[o * inF + i] }
                        out[r * outF + o] = activation.apply(acc + (bias?[o] ?? 0))
                    }
                }
            }
        }
        return out
    }

    static func binary(_ inputs: [[Float]], _ shapes: [[Int]], _ act: Activation, _ f: (Float, Float) -> Float) -> [Float] {
        // Shapes were checked at import; a mismatch here is a bug in a pass.
        guard let r = TensorLayout.broadcast(inputs[0], shapes[0], inputs[1], shapes[1], f) else {
            preconditionFailure("binary op: shapes \(shapes[0]) and \(shapes[1]) do not broadcast")
        }
        return act == .none ? r.data : r.data.map { act.apply($0) }
    }

    static func pool(_ x: [Float], _ xShape: [Int], _ p: PoolAttributes, outShape: [Int], isMax: Bool) -> [Float] {
        let (n, h, w, c) = (xShape[0], xShape[1], xShape[2], xShape[3])
        let (oh, ow) = (outShape[1], outShape[2])
        var out = [Float](repeating: 0, count: n * oh * ow * c)
        var acc = [Float](repeating: 0, count: c)
        for b in 0..<n {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    let y0 = oy * p.strides[0] - p.pads[0], x0 = ox * p.strides[1] - p.pads[1]
                    for ch in 0..<c { acc[ch] = isMax ? -.infinity : 0 }
                    var valid = 0
                    for ky in 0..<p.kernel[0] {
                        let iy = y0 + ky
                        if iy < 0 || iy >= h { continue }
                        for kx in 0..<p.kernel[1] {
                            let ix = x0 + kx
                            if ix < 0 || ix >= w { continue }
                            valid += 1
                            let base = ((b * h + iy) * w + ix) * c
                            for ch in 0..<c {
                                acc[ch] = isMax ? max(acc[ch], x[base + ch]) : acc[ch] + x[base + ch]
                            }
                        }
                    }
                    let divisor = Float(p.countIncludePad ? p.kernel[0] * p.kernel[1] : max(valid, 1))
                    let outBase = ((b * oh + oy) * ow + ox) * c
                    for ch in 0..<c { out[outBase + ch] = p.activation.apply(isMax ? acc[ch] : acc[ch] / divisor) }
                }
            }
        }
        return out
    }

    static func mean(_ x: [Float], _ shape: [Int]) -> [Float] {
        let (n, h, w, c) = (shape[0], shape[1], shape[2], shape[3])
        var out = [Float](repeating: 0, count: n * c)
        for b in 0..<n {
            for i in 0..<(h * w) {
                let base = (b * h * w + i) * c
                for ch in 0..<c { out[b * c + ch] += x[base + ch] }
            }
        }
        let count = Float(h * w)
        return out.map { $0 / count }
    }

    static func softmax(_ x: [Float], axisSize: Int) -> [Float] {
        guard axisSize > 0 else { return x }
        var out = x
        for start in stride(from: 0, to: x.count, by: axisSize) {
            let row = start..<(start + axisSize)
            let m = x[row].max() ?? 0
            var sum: Float = 0
            for i in row { out[i] = Foundation.exp(x[i] - m); sum += out[i] }
            for i in row { out[i] /= sum }
        }
        return out
    }

    /// x − max − log Σ e^(x − max) per row (stable for any x).
    static func logSoftmax(_ x: [Float], axisSize: Int) -> [Float] {
        guard axisSize > 0 else { return x }
        var out = x
        for start in stride(from: 0, to: x.count, by: axisSize) {
            let row = start..<(start + axisSize)
            let m = x[row].max() ?? 0
            var sum: Float = 0
            for i in row { sum += Foundation.exp(x[i] - m) }
            let logSum = Foundation.log(sum)
            for i in row { out[i] = x[i] - m - logSum }
        }
        return out
    }

    /// Indices (as floats) of the largest element along `axis`, in the order of the other axes.
    static func argMax(_ x: [Float], _ shape: [Int], axis: Int, selectLast: Bool) -> [Float] {
        let depth = shape[axis]
        let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
        var out = [Float](repeating: 0, count: outer * inner)
        for o in 0..<outer {
            for i in 0..<inner {
                var best = x[o * depth * inner + i], bestIndex = 0
                for k in 1..<max(depth, 1) {
                    let v = x[(o * depth + k) * inner + i]
                    if v > best || (selectLast && v == best) { best = v; bestIndex = k }
                }
                out[o * inner + i] = Float(bestIndex)
            }
        }
        return out
    }

    static func concat(_ inputs: [[Float]], _ shapes: [[Int]], axis: Int) -> [Float] {
        let outer = shapes[0][..<axis].reduce(1, *)
        var out: [Float] = []
        out.reserveCapacity(inputs.reduce(0) { $0 + $1.count })
        for o in 0..<outer {
            for (data, shape) in zip(inputs, shapes) {
                let block = shape[axis...].reduce(1, *)
                out.append(contentsOf: data[(o * block)..<((o + 1) * block)])
            }
        }
        return out
    }

    static func pad(_ x: [Float], _ shape: [Int], before: [Int], value: Float, outShape: [Int]) -> [Float] {
        var out = [Float](repeating: value, count: outShape.reduce(1, *))
        let rank = shape.count
        let outStrides = TensorLayout.strides(outShape)
        var index = [Int](repeating: 0, count: rank)
        for i in 0..<x.count {
            var offset = 0
            for a in 0..<rank { offset += (index[a] + before[a]) * outStrides[a] }
            out[offset] = x[i]
            var a = rank - 1
            while a >= 0 {
                index[a] += 1
                if index[a] < shape[a] { break }
                index[a] = 0
                a -= 1
            }
        }
        return out
    }

    /// Resize of H and W (NHWC): each output pixel interpolates its source taps in Double.
    static func resize(_ x: [Float], _ xShape: [Int], _ a: ResizeAttributes, outShape: [Int]) -> [Float] {
        let (n, h, w, c) = (xShape[0], xShape[1], xShape[2], xShape[3])
        let (oh, ow) = (outShape[1], outShape[2])
        let rows = (0..<oh).map { a.taps($0, axis: 0, inputSize: h, outputSize: oh) }
        let cols = (0..<ow).map { a.taps($0, axis: 1, inputSize: w, outputSize: ow) }
        var out = [Float](repeating: 0, count: n * oh * ow * c)
        for b in 0..<n {
            for (oy, r) in rows.enumerated() {
                for (ox, t) in cols.enumerated() {
                    for ch in 0..<c {
                        func v(_ y: Int, _ xx: Int) -> Double { Double(x[((b * h + y) * w + xx) * c + ch]) }
                        let top = v(r.lower, t.lower) * (1 - t.weight) + v(r.lower, t.upper) * t.weight
                        let bottom = v(r.upper, t.lower) * (1 - t.weight) + v(r.upper, t.upper) * t.weight
                        out[((b * oh + oy) * ow + ox) * c + ch] = Float(top * (1 - r.weight) + bottom * r.weight)
                    }
                }
            }
        }
        return out
    }

    /// Transposed convolution in scatter form (each input pixel adds its products to the outputs it
    /// reaches), then bias and the fused activation.
    static func convTranspose(_ x: [Float], _ xShape: [Int], filter: [Float], filterShape: [Int], bias: [Float]?,
                              attrs: ConvAttributes, outShape: [Int]) -> [Float] {
        let (n, h, w, inC) = (xShape[0], xShape[1], xShape[2], xShape[3])
        let (oh, ow, outC) = (outShape[1], outShape[2], outShape[3])
        let (kh, kw) = (filterShape[1], filterShape[2])
        let (sh, sw) = (attrs.strides[0], attrs.strides[1]), (dh, dw) = (attrs.dilations[0], attrs.dilations[1])
        let (pt, pl) = (attrs.pads[0], attrs.pads[1])
        var acc = [Double](repeating: 0, count: n * oh * ow * outC)
        for b in 0..<n {
            for iy in 0..<h {
                for ix in 0..<w {
                    let xBase = ((b * h + iy) * w + ix) * inC
                    for ky in 0..<kh {
                        let oy = iy * sh - pt + ky * dh
                        if oy < 0 || oy >= oh { continue }
                        for kx in 0..<kw {
                            let ox = ix * sw - pl + kx * dw
                            if ox < 0 || ox >= ow { continue }
                            let oBase = ((b * oh + oy) * ow + ox) * outC
                            for oc in 0..<outC {
                                if attrs.isDepthwise {
                                    acc[oBase + oc] += Double(x[xBase + oc / attrs.depthMultiplier])
                                        * Double(filter[(ky * kw + kx) * outC + oc])
                                } else {
                                    let fBase = ((oc * kh + ky) * kw + kx) * inC
                                    for ic in 0..<inC { acc[oBase + oc] += Double(x[xBase + ic]) * Double(filter[fBase + ic]) }
                                }
                            }
                        }
                    }
                }
            }
        }
        return acc.enumerated().map { i, v in attrs.activation.apply(Float(v) + (bias?[i % outC] ?? 0)) }
    }

    /// Strided slice over any rank: output[i] = x[begin + i·step] per axis.
    static func slice(_ x: [Float], _ xShape: [Int], begin: [Int], step: [Int], outShape: [Int]) -> [Float] {
        let strides = TensorLayout.strides(xShape), count = outShape.reduce(1, *)
        var out: [Float] = [], index = [Int](repeating: 0, count: outShape.count)
        out.reserveCapacity(count)
        for _ in 0..<count {
            var offset = 0
            for a in 0..<outShape.count { offset += (begin[a] + index[a] * step[a]) * strides[a] }
            out.append(x[offset])
            var a = outShape.count - 1
            while a >= 0 {
                index[a] += 1
                if index[a] < outShape[a] { break }
                index[a] = 0
                a -= 1
            }
        }
        return out
    }

    /// Gather along `axis` with in-range indices.
    static func gather(_ x: [Float], _ xShape: [Int], axis: Int, indices: [Int]) -> [Float] {
        let outer = xShape[..<axis].reduce(1, *), inner = xShape[(axis + 1)...].reduce(1, *), n = xShape[axis]
        var out: [Float] = []
        for o in 0..<outer {
            for i in indices { out += x[((o * n + i) * inner)..<((o * n + i + 1) * inner)] }
        }
        return out
    }

    /// Layer normalization of each row of `depth` values, statistics in Double.
    static func layerNorm(_ x: [Float], depth: Int, gamma: [Float], beta: [Float], epsilon: Float) -> [Float] {
        var out = [Float](repeating: 0, count: x.count)
        for start in stride(from: 0, to: x.count, by: depth) {
            let row = x[start..<(start + depth)].map(Double.init)
            let mean = row.reduce(0, +) / Double(depth)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(depth)
            let inverse = 1 / (variance + Double(epsilon)).squareRoot()
            for i in 0..<depth {
                out[start + i] = Float((row[i] - mean) * inverse * Double(gamma[i]) + Double(beta[i]))
            }
        }
        return out
    }

    /// ONNX MatMul over the logical axes of `MatMulLayout`, sums in Double.
    static func matMul(_ a: [Float], _ aShape: [Int], _ b: [Float], _ bShape: [Int], outShape: [Int],
                       axes: MatMulAxesIR) -> [Float] {
        func strides(_ shape: [Int], _ axes: [Int]) -> [Int] {
            let full = TensorLayout.strides(MatMulLayout.padded(shape))
            let logical = MatMulLayout.logicalShape(shape, axes: axes)
            return axes.enumerated().map { k, axis in k < 2 && logical[k] == 1 ? 0 : full[axis] }
        }
        let (sa, sb, sy) = (strides(aShape, axes.left), strides(bShape, axes.right), strides(outShape, axes.output))
        let y = MatMulLayout.logicalShape(outShape, axes: axes.output)
        let depth = MatMulLayout.logicalShape(aShape, axes: axes.left)[3]
        var out = [Float](repeating: 0, count: outShape.reduce(1, *))
        for b0 in 0..<y[0] {
            for b1 in 0..<y[1] {
                for m in 0..<y[2] {
                    for n in 0..<y[3] {
                        var sum = 0.0
                        for k in 0..<depth {
                            sum += Double(a[b0 * sa[0] + b1 * sa[1] + m * sa[2] + k * sa[3]])
                                * Double(b[b0 * sb[0] + b1 * sb[1] + k * sb[2] + n * sb[3]])
                        }
                        out[b0 * sy[0] + b1 * sy[1] + m * sy[2] + n * sy[3]] = Float(sum)
                    }
                }
            }
        }
        return out
    }

    /// MediaPipe's MaxPoolingWithArgmax2D positions: ky·kw + kx of the first `v > max` in
    /// row-major order over the window's real cells (0 for a window without any).
    static func maxPoolArgmax(_ x: [Float], _ xShape: [Int], _ p: PoolAttributes, outShape: [Int]) -> [Float] {
        let (n, h, w, c) = (xShape[0], xShape[1], xShape[2], xShape[3])
        let (oh, ow) = (outShape[1], outShape[2])
        var out = [Float](repeating: 0, count: n * oh * ow * c)
        for b in 0..<n {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    let y0 = oy * p.strides[0] - p.pads[0], x0 = ox * p.strides[1] - p.pads[1]
                    for ch in 0..<c {
                        var best = -Float.greatestFiniteMagnitude, position = 0
                        for ky in 0..<p.kernel[0] where y0 + ky >= 0 && y0 + ky < h {
                            for kx in 0..<p.kernel[1] where x0 + kx >= 0 && x0 + kx < w {
                                let v = x[((b * h + y0 + ky) * w + x0 + kx) * c + ch]
                                if v > best { best = v; position = ky * p.kernel[1] + kx }
                            }
                        }
                        out[((b * oh + oy) * ow + ox) * c + ch] = Float(position)
                    }
                }
            }
        }
        return out
    }

    /// MediaPipe's MaxUnpooling2D: zeros, then each input value written where its position points.
    static func maxUnpool(_ x: [Float], positions: [Float], _ xShape: [Int], _ a: UnpoolAttributes, outShape: [Int]) -> [Float] {
        let (n, h, w, c) = (xShape[0], xShape[1], xShape[2], xShape[3])
        let (oh, ow) = (outShape[1], outShape[2])
        var out = [Float](repeating: 0, count: n * oh * ow * c)
        for b in 0..<n {
            for iy in 0..<h {
                for ix in 0..<w {
                    for ch in 0..<c {
                        let i = ((b * h + iy) * w + ix) * c + ch
                        guard positions[i].isFinite, Swift.abs(positions[i]) < 16_777_216 else { continue }
                        let position = Int(positions[i])   // truncation, as MediaPipe's int conversion
                        let oy = iy * a.strides[0] - a.padTop + position / a.kernelW
                        let ox = ix * a.strides[1] - a.padLeft + position % a.kernelW
                        guard oy >= 0, oy < oh, ox >= 0, ox < ow else { continue }
                        out[((b * oh + oy) * ow + ox) * c + ch] = x[i]
                    }
                }
            }
        }
        return out
    }
}
