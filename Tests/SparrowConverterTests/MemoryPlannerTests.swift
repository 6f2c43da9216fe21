import Testing
@testable import SparrowConverter
import SparrowTestSupport

// Offsets below are worked out by hand from the algorithm in MemoryPlanner.swift: place in
// order of decreasing size; each buffer takes the lowest 16-aligned gap among the already
// placed buffers whose [firstUse, lastUse] intervals intersect its own.

@Suite struct MemoryPlannerTests {
    @Test func chainReusesTheFirstBuffer() {
        // op0: x -> a, op1: a -> b, op2: b -> c.   a 100 B [0,1], b 200 B [1,2], c 50 B [2,3]
        // Order b(200), a(100), c(50).
        //   b -> 0.
        //   a conflicts with b [0,200): 0+100 > 0, so above it at align16(200) = 208.
        //   c conflicts with b only (a ends at step 1): also 208.
        // Arena align16(208+100) = 320. Lower bound: step 1 holds a+b = 112+208 = 320.
        let buffers = [PlannerBuffer(size: 100, firstUse: 0, lastUse: 1, name: "a"),
                       PlannerBuffer(size: 200, firstUse: 1, lastUse: 2, name: "b"),
                       PlannerBuffer(size: 50, firstUse: 2, lastUse: 3, name: "c")]
        let plan = MemoryPlanner.plan(buffers)
        #expect(plan.offsets == [208, 0, 208])
        #expect(plan.arenaSize == 320)
        #expect(plan.lowerBound == 320)
        #expect(MemoryPlanner.overlaps(buffers, offsets: plan.offsets).isEmpty)
    }

    @Test func diamondPacksTheJoinIntoTheFreedBottom() {
        // op0: x -> a, op1: a -> b, op2: a -> c, op3: (b, c) -> d; x is the graph input (-1),
        // d the graph output (alive to opCount = 4).
        // x 64 [-1,0], a 128 [0,2], b 64 [1,3], c 64 [2,3], d 32 [3,4]
        // Order a(128), then the 64s by firstUse: x, b, c, then d.
        //   a -> 0.  x meets a: 128.  b meets a (not x): 128.
        //   c meets a [0,128) and b [128,192): 192.
        //   d meets b and c only; a is dead by step 3, so the gap [0,128) takes it: 0.
        // Arena 256 = lower bound (step 2: a+b+c = 128+64+64).
        let buffers = [PlannerBuffer(size: 64, firstUse: -1, lastUse: 0, name: "x"),
                       PlannerBuffer(size: 128, firstUse: 0, lastUse: 2, name: "a"),
                       PlannerBuffer(size: 64, firstUse: 1, lastUse: 3, name: "b"),
                       PlannerBuffer(size: 64, firstUse: 2, lastUse: 3, name: "c"),
                       PlannerBuffer(size: 32, firstUse: 3, lastUse: 4, name: "d")]
        let plan = MemoryPlanner.plan(buffers)
        #expect(plan.offsets == [128, 0, 128, 192, 0])
        #expect(plan.arenaSize == 256)
        #expect(plan.lowerBound == 256)
        #expect(MemoryPlanner.overlaps(buffers, offsets: plan.offsets).isEmpty)
    }

    @Test func residualKeepsTheSkipBufferAlive() {
        // op0: x -> y0, op1: y0 -> y1, op2: add(y0, y1) -> y2 (graph output, alive to 3).
        // All 64 B, so firstUse order: x [-1,0], y0 [0,2], y1 [1,2], y2 [2,3].
        //   x -> 0.  y0 meets x: 64.  y1 meets y0 only (x died at 0): gap [0,64) -> 0.
        //   y2 meets y1 [0,64) and y0 [64,128): 128.
        // Arena 192 = lower bound (step 2: y0 + y1 + y2).
        let buffers = [PlannerBuffer(size: 64, firstUse: -1, lastUse: 0),
                       PlannerBuffer(size: 64, firstUse: 0, lastUse: 2),
                       PlannerBuffer(size: 64, firstUse: 1, lastUse: 2),
                       PlannerBuffer(size: 64, firstUse: 2, lastUse: 3)]
        let plan = MemoryPlanner.plan(buffers)
        #expect(plan.offsets == [0, 64, 0, 128])
        #expect(plan.arenaSize == 192)
        #expect(plan.lowerBound == 192)
    }

    @Test func largestFirstBeatsProgramOrder() {
        // a 32 [0,1], b 64 [1,2], c 96 [2,3].
        // In program order (first fit): a -> 0, b meets a -> 32, c meets b [32,96) -> 96:
        //   arena 192.
        // Largest first: c -> 0, b meets c -> 96, a meets b only -> 0: arena 160, which is
        //   the lower bound (step 2: b + c = 160).
        let buffers = [PlannerBuffer(size: 32, firstUse: 0, lastUse: 1),
                       PlannerBuffer(size: 64, firstUse: 1, lastUse: 2),
                       PlannerBuffer(size: 96, firstUse: 2, lastUse: 3)]
        let plan = MemoryPlanner.plan(buffers)
        #expect(plan.offsets == [0, 96, 0])
        #expect(plan.arenaSize == 160)
        #expect(plan.lowerBound == 160)
        #expect(programOrderFirstFitArena(buffers) == 192)
    }

    @Test func offsetsAreRoundedUpToSixteen() {
        // Two 10-byte buffers alive together: 0 and align16(10) = 16; arena 32 = lower bound
        // (each counts as 16 once rounded).
        let buffers = [PlannerBuffer(size: 10, firstUse: 0, lastUse: 1), PlannerBuffer(size: 10, firstUse: 0, lastUse: 1)]
        let plan = MemoryPlanner.plan(buffers)
        #expect(plan.offsets == [0, 16])
        #expect(plan.arenaSize == 32)
        #expect(plan.lowerBound == 32)
    }

    @Test func emptyAndZeroSizedBuffers() {
        #expect(MemoryPlanner.plan([]) == MemoryPlan(offsets: [], arenaSize: 0, lowerBound: 0))
        let plan = MemoryPlanner.plan([PlannerBuffer(size: 0, firstUse: 0, lastUse: 0), PlannerBuffer(size: 16, firstUse: 0, lastUse: 0)])
        #expect(plan.offsets == [0, 0])
        #expect(plan.arenaSize == 16)
    }

    @Test func checkerFindsAPlantedOverlap() {
        let buffers = [PlannerBuffer(size: 32, firstUse: 0, lastUse: 2), PlannerBuffer(size: 32, firstUse: 2, lastUse: 3),
                       PlannerBuffer(size: 32, firstUse: 4, lastUse: 5)]
        // 0 and 1 meet at step 2 and share [16, 32); 2 shares bytes with both but lives alone.
        let found = MemoryPlanner.overlaps(buffers, offsets: [0, 16, 0])
        #expect(found == [PlanOverlap(first: 0, second: 1)])
    }

    @Test func timelineDrawsEachStep() {
        let buffers = [PlannerBuffer(size: 32, firstUse: 0, lastUse: 1, name: "a"),
                       PlannerBuffer(size: 64, firstUse: 1, lastUse: 2, name: "b"),
                       PlannerBuffer(size: 96, firstUse: 2, lastUse: 3, name: "c")]
        let plan = MemoryPlanner.plan(buffers)   // offsets [0, 96, 0], arena 160
        let text = MemoryPlanner.timeline(buffers, plan: plan, width: 10)   // 16 bytes per column
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[0] == "arena 160 bytes, lower bound 160, 16 bytes/column")
        #expect(lines[1] == "0 |00........| 32")
        #expect(lines[2] == "1 |00....1111| 96")
        #expect(lines[3] == "2 |2222221111| 160")
        #expect(lines[4] == "3 |222222....| 96")
        #expect(lines.contains("  2 c: 96 B at 0, steps 2...3"))
        // A real conflict shows as '!'.
        let bad = MemoryPlan(offsets: [0, 0, 64], arenaSize: 160, lowerBound: 160)
        #expect(MemoryPlanner.timeline(buffers, plan: bad, width: 10).contains("1 |!!11......| 96"))
    }

    @Test func randomLifetimesNeverOverlap() {
        var rng = SplitMix64(seed: 0x5EED_2024)
        for trial in 0..<300 {
            let opCount = Int(rng.next() % 20) + 1
            let count = Int(rng.next() % 40)
            var buffers: [PlannerBuffer] = []
            for _ in 0..<count {
                let a = Int(rng.next() % UInt64(opCount + 2)) - 1
                let b = Int(rng.next() % UInt64(opCount + 2)) - 1
                buffers.append(PlannerBuffer(size: Int(rng.next() % 2000), firstUse: min(a, b), lastUse: max(a, b)))
            }
            let plan = MemoryPlanner.plan(buffers)
            let overlaps = MemoryPlanner.overlaps(buffers, offsets: plan.offsets)
            #expect(overlaps.isEmpty, "trial \(trial): \(overlaps)")
            #expect(plan.arenaSize >= plan.lowerBound, "trial \(trial)")
            #expect(plan.offsets.allSatisfy { $0 % 16 == 0 }, "trial \(trial)")
            for (i, b) in buffers.enumerated() { #expect(plan.offsets[i] + b.size <= plan.arenaSize) }
        }
    }
}

/// First fit in program order (no sorting): the baseline largest-first improves on.
private func programOrderFirstFitArena(_ buffers: [PlannerBuffer]) -> Int {
    var offsets: [Int] = []
    for (i, b) in buffers.enumerated() {
        let conflicts = (0..<i).filter { buffers[$0].isAliveTogether(with: b) }.sorted { offsets[$0] < offsets[$1] }
        var candidate = 0
        for c in conflicts {
            if candidate + b.size <= offsets[c] { break }
            candidate = max(candidate, (offsets[c] + buffers[c].size + 15) / 16 * 16)
        }
        offsets.append(candidate)
    }
    return (buffers.indices.map { offsets[$0] + buffers[$0].size }.max()! + 15) / 16 * 16
}

