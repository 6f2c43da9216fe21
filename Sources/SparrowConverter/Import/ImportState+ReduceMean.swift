// ReduceMean over arbitrary axes, expressed with the one mean the IR has (`.mean`: IR [A, H, W, B]
// → [A, B], averaging over H and W). Exporters reduce other axes than NCHW's H and W: tf2onnx
// pools an NHWC tensor over [1, 2], sequence models average [N, L, C] over axis 1.

extension ImportState {
    /// The mean of `x` over the ONNX axes `axes` (normalized, non-empty), in ONNX semantics.
    ///
    /// The IR value is transposed to [k0, reduced…, other kept…] (k0 = the first kept axis, so a
    /// batch dimension stays in front and the usual NHWC pool needs no data movement), viewed as
    /// [k0, reducedCount, 1, restCount], averaged with `.mean`, then reshaped to the ONNX result.
    mutating func meanOverAxes(_ x: ActivationRef, axes: Set<Int>, keepDims: Bool,
                               _ r: NodeReader) throws(ImportError) -> ActivationRef {
        let rank = x.rank
        guard rank >= 1, !axes.isEmpty else {
            throw r.attributeError("axes", "reducing \(axes.sorted()) of a rank-\(rank) tensor is not supported")
        }
        let kept = (0..<rank).filter { !axes.contains($0) }
        let reduced = axes.sorted()
        // ONNX axis → IR axis (4-D activations are NHWC in the IR).
        let irAxisOf: [Int] = rank == 4 ? TensorLayout.inverse(TensorLayout.nchwToNHWC) : Array(0..<rank)
        let order = (kept.isEmpty ? [] : [kept[0]]) + reduced + kept.dropFirst()
        let irShape = TensorLayout.irShape(ofONNX: x.onnxShape)
        let perm = order.map { irAxisOf[$0] }
        let moved = layoutChange(x.id, from: irShape, perm: perm, name: r.name + "/reduced_axes_inner")
        let movedShape = TensorLayout.permute(irShape, perm)
        let lead = kept.isEmpty ? 1 : x.onnxShape[kept[0]]
        let reducedCount = reduced.map { x.onnxShape[$0] }.reduce(1, *)
        let restCount = kept.dropFirst().map { x.onnxShape[$0] }.reduce(1, *)
        let view4 = [lead, reducedCount, 1, restCount]
        var input = moved
        let alreadyFourD = movedShape.count == 4 && movedShape[0] == lead && movedShape[3] == restCount
        if !alreadyFourD {
            input = emit(.reshape(shape: view4), inputs: [moved], irShape: view4, name: r.name + "/view")
        }
        let pooled = emit(.mean(keepDims: false), inputs: [input], irShape: [lead, restCount], name: r.name)
        let onnxOut = keepDims ? x.onnxShape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
                               : kept.map { x.onnxShape[$0] }
        let result = reshape(ActivationRef(id: pooled, onnxShape: [lead, restCount]), to: onnxOut, name: r.name + "/result")
        graph.values[result.id].name = r.output   // a fresh value: name it as the ONNX output
        return result
    }
}
