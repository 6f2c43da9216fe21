// Static arena planning: a pure function from buffer lifetimes to byte offsets.
//
// Algorithm (greedy, "largest first, first gap that fits"):
//  - A buffer is alive on every step in [firstUse, lastUse] (inclusive; -1 = before the first
//    op, i.e. a graph input; opCount = after the last op, i.e. a graph output). Two buffers
//    conflict iff their intervals intersect — the same rule the runtime verifier applies.
//  - Buffers are placed in order of decreasing size (ties: earlier firstUse, then lower index),
//    so the big ones claim the bottom of the arena and small ones fill the holes between them.
//  - For each buffer, the already placed buffers that conflict with it are taken in offset
//    order; the first gap between them (starting at 0) that holds the buffer wins, otherwise it
//    goes just above the highest conflicting one. Every offset is rounded up to 16 bytes.
//  - The arena size is the highest end, rounded up to 16. The lower bound is the largest sum of
//    16-byte-rounded sizes alive at any one step: no plan with aligned offsets can do better.
//  - Alias groups (reshape outputs sharing their base's bytes) are merged by the caller into one
//    buffer whose lifetime spans the whole group.

/// One buffer to place: its size in bytes and the op steps during which it must stay intact.
public struct PlannerBuffer: Equatable, Sendable {
    public var size: Int
    public var firstUse: Int
    public var lastUse: Int
    /// For diagnostics and the timeline legend.
    public var name: String

    public init(size: Int, firstUse: Int, lastUse: Int, name: String = "") {
        self.size = size
        self.firstUse = firstUse
        self.lastUse = lastUse
        self.name = name
    }

    /// Whether both buffers are alive at some common step.
    public func isAliveTogether(with other: PlannerBuffer) -> Bool {
        firstUse <= other.lastUse && other.firstUse <= lastUse
    }
}

/// The planner's answer: one offset per buffer (same order as the input).
public struct MemoryPlan: Equatable, Sendable {
    public var offsets: [Int]
    /// Bytes the arena needs (highest end, rounded up to the alignment).
    public var arenaSize: Int
    /// Most (alignment-rounded) bytes alive at any single step; arenaSize ≥ lowerBound always.
    public var lowerBound: Int
}

/// A pair of buffers that share bytes while both are alive (a planner bug if ever non-empty).
public struct PlanOverlap: Equatable, Sendable {
    public var first: Int
    public var second: Int
}

public enum MemoryPlanner {
    /// Offset alignment, equal to the format's arena alignment.
    public static let alignment = 16

    static func alignUp(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }

    /// Greedy largest-first, first-fit placement (see the file header).
    public static func plan(_ buffers: [PlannerBuffer]) -> MemoryPlan {
        let order = buffers.indices.sorted { a, b in
            let x = buffers[a], y = buffers[b]
            if x.size != y.size { return x.size > y.size }
            if x.firstUse != y.firstUse { return x.firstUse < y.firstUse }
            return a < b
        }
        var offsets = [Int](repeating: 0, count: buffers.count)
        var placed: [Int] = []
        for index in order {
            let buffer = buffers[index]
            guard buffer.size > 0 else { placed.append(index); continue }
            let conflicts = placed
                .filter { buffers[$0].size > 0 && buffers[$0].isAliveTogether(with: buffer) }
                .sorted { offsets[$0] != offsets[$1] ? offsets[$0] < offsets[$1] : $0 < $1 }
            var candidate = 0
            for other in conflicts {
                if candidate + buffer.size <= offsets[other] { break }
                candidate = max(candidate, alignUp(offsets[other] + buffers[other].size))
            }
            offsets[index] = candidate
            placed.append(index)
        }
        let highestEnd = buffers.indices.map { offsets[$0] + buffers[$0].size }.max() ?? 0
        return MemoryPlan(offsets: offsets, arenaSize: alignUp(highestEnd), lowerBound: lowerBound(buffers))
    }

    /// Largest sum of alignment-rounded sizes alive at one step.
    public static func lowerBound(_ buffers: [PlannerBuffer]) -> Int {
        guard let first = buffers.map(\.firstUse).min(), let last = buffers.map(\.lastUse).max(), first <= last else {
            return 0
        }
        var best = 0
        for step in first...last {
            let live = buffers.filter { $0.firstUse <= step && step <= $0.lastUse }.reduce(0) { $0 + alignUp($1.size) }
            best = max(best, live)
        }
        return best
    }

    /// Every pair of buffers alive together whose byte ranges intersect (empty for a valid plan).
    public static func overlaps(_ buffers: [PlannerBuffer], offsets: [Int]) -> [PlanOverlap] {
        var found: [PlanOverlap] = []
        for a in buffers.indices where buffers[a].size > 0 {
            for b in (a + 1)..<max(buffers.count, a + 1) where buffers[b].size > 0 {
                let bytesMeet = offsets[a] < offsets[b] + buffers[b].size && offsets[b] < offsets[a] + buffers[a].size
                if bytesMeet && buffers[a].isAliveTogether(with: buffers[b]) {
                    found.append(PlanOverlap(first: a, second: b))
                }
            }
        }
        return found
    }

    /// An ASCII picture of the plan: one line per step, the arena scaled to `width` columns;
    /// each buffer drawn with its symbol (0-9, a-z, A-Z, then '*'), '.' free, '!' a conflict.
    public static func timeline(_ buffers: [PlannerBuffer], plan: MemoryPlan, width: Int = 64) -> String {
        let symbols = Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        func symbol(_ i: Int) -> Character { i < symbols.count ? symbols[i] : "*" }
        let columns = max(width, 1)
        let bytesPerColumn = max(1, (plan.arenaSize + columns - 1) / columns)
        var lines = ["arena \(plan.arenaSize) bytes, lower bound \(plan.lowerBound), \(bytesPerColumn) bytes/column"]
        guard let first = buffers.map(\.firstUse).min(), let last = buffers.map(\.lastUse).max(), first <= last else {
            return lines.joined(separator: "\n") + "\n"
        }
        let stepWidth = max(String(first).count, String(last).count)
        for step in first...last {
            var row = [Character](repeating: ".", count: columns)
            var owner = [Int](repeating: -1, count: columns)
            var live = 0
            for (i, b) in buffers.enumerated() where b.size > 0 && b.firstUse <= step && step <= b.lastUse {
                live += b.size
                let start = plan.offsets[i] / bytesPerColumn
                let end = min(columns - 1, (plan.offsets[i] + b.size - 1) / bytesPerColumn)
                for c in start...max(end, start) where c < columns {
                    if owner[c] < 0 {
                        row[c] = symbol(i); owner[c] = i
                    } else {
                        // A shared column is only a conflict if the bytes really meet.
                        let o = owner[c]
                        let meet = plan.offsets[i] < plan.offsets[o] + buffers[o].size
                            && plan.offsets[o] < plan.offsets[i] + b.size
                        if meet { row[c] = "!" }
                    }
                }
            }
            let label = String(repeating: " ", count: stepWidth - String(step).count) + String(step)
            lines.append("\(label) |\(String(row))| \(live)")
        }
        for (i, b) in buffers.enumerated() {
            lines.append("  \(symbol(i)) \(b.name.isEmpty ? "#\(i)" : b.name): \(b.size) B at \(plan.offsets[i]), "
                + "steps \(b.firstUse)...\(b.lastUse)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
