// Early-exit scheduling: the operator order of a multi-exit graph.
//
// Exits are graph outputs in order, the last the final one. Segment k holds exactly the nodes
// exit k needs (its ancestors) that no earlier segment ran, in the graph's topological order.
// So each exit head runs as soon as its inputs exist, its test follows immediately, and no node
// that only later exits need runs before an earlier exit's test. Nodes no exit needs (feeding
// non-exit outputs) join the final segment. Lifetimes, and hence the memory plan, follow from
// this order: a trunk value a later segment reads stays alive across the earlier exit's test.

public struct ExitSchedule: Equatable, Sendable {
    /// Per exit, the indices into `IRGraph.nodes` to run before that exit's test.
    public var segments: [[Int]]
    /// All nodes in run order.
    public var order: [Int] { segments.flatMap { $0 } }
}

public enum ExitScheduling {
    /// Segments for `exitValues` (IR value ids of the exits' outputs, in exit order).
    public static func schedule(_ graph: IRGraph, exitValues: [Int]) -> ExitSchedule {
        var producer: [Int: Int] = [:]
        for (n, node) in graph.nodes.enumerated() { for v in node.outputs { producer[v] = n } }
        var scheduled = [Bool](repeating: false, count: graph.nodes.count)
        var segments: [[Int]] = []
        for (k, value) in exitValues.enumerated() {
            var needed = Set<Int>()
            var stack = [value]
            while let v = stack.popLast() {
                guard v >= 0, let n = producer[v], !scheduled[n], needed.insert(n).inserted else { continue }
                stack.append(contentsOf: graph.nodes[n].inputs)
            }
            if k == exitValues.count - 1 {
                for n in graph.nodes.indices where !scheduled[n] { needed.insert(n) }
            }
            // The graph's own order is topological, so any subset of it in that order is too.
            let segment = needed.sorted()
            for n in segment { scheduled[n] = true }
            segments.append(segment)
        }
        return ExitSchedule(segments: segments)
    }
}
