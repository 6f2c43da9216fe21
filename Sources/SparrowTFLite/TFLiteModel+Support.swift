// Which operators Sparrow imports, and the one error that lists everything a model uses beyond
// them, so a user learns the whole gap at once rather than one operator per attempt.

extension TFLiteModel {
    /// The builtin operators the TFLite importer accepts (issue 13).
    public static let supportedOperators: Set<TFLiteBuiltinOperator> = [
        .conv2D, .depthwiseConv2D, .fullyConnected, .transposeConv, .add, .sub, .mul, .maximum, .minimum,
        .maxPool2D, .averagePool2D, .mean, .softmax, .logistic, .tanh, .hardSwish, .relu, .relu6, .leakyRelu,
        .prelu, .reshape, .squeeze, .concatenation, .pad, .padV2, .stridedSlice, .resizeNearestNeighbor,
        .resizeBilinear, .quantize, .dequantize, .argMax,
    ]

    /// Operators of the main graph whose opcode Sparrow does not import, with their indices,
    /// grouped by opcode (display name) in order of first use.
    public func unsupportedOperators() -> [(name: String, operators: [Int])] {
        var groups: [(name: String, operators: [Int])] = []
        for (index, op) in graph.operators.enumerated() {
            let code = opcode(of: op)
            guard !Self.supportedOperators.contains(code.builtin) else { continue }
            if let g = groups.firstIndex(where: { $0.name == code.displayName }) {
                groups[g].operators.append(index)
            } else {
                groups.append((code.displayName, [index]))
            }
        }
        return groups
    }

    /// Throws one `.unsupported` error listing every unsupported operator of the main graph.
    public func checkSupported() throws(TFLiteError) {
        let groups = unsupportedOperators()
        guard !groups.isEmpty else { return }
        let count = groups.reduce(0) { $0 + $1.operators.count }
        let list = groups.map { g in
            "\(g.name) (operator\(g.operators.count == 1 ? "" : "s") \(g.operators.map(String.init).joined(separator: ", ")))"
        }.joined(separator: "; ")
        let supported = Self.supportedOperators.map(\.name).sorted().joined(separator: ", ")
        throw TFLiteError(.unsupported, path: "subgraphs[0].operators", offset: nil,
                          "\(count) of \(graph.operators.count) operators are not supported by Sparrow: \(list). Sparrow imports: \(supported)")
    }
}
