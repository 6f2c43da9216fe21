// Host convenience over the shared batch core: the exact bytes `sparrow run` writes, which the
// device program writes too (same header writer, same runSample). Tests compare the two.
#if !hasFeature(Embedded)
import SparrowNPY

public struct HostBatchResult {
    /// The output .npy file's bytes.
    public var outputFile: [UInt8]
    /// The exit-index .npy file's bytes (int64 [N]).
    public var exitIndexFile: [UInt8]
    public var exitIndices: [Int]
    public var outputs: [Float]
    public var macs: UInt64
}

extension Interpreter {
    /// Runs every sample of an input .npy file (its bytes) and returns the output files' bytes.
    public func runBatch(inputFile: [UInt8], fullDepth: Bool = false) throws -> HostBatchResult {
        let header = try inputFile.withUnsafeBytes { raw in try parseNPYHeader(raw) }
        let plan = try BatchPlan(model: model, input: header)
        guard let headerLength = plan.outputHeaderLength else { throw BatchError(.outputBufferTooSmall, expected: 0, found: 0) }
        var outputs = [Float](repeating: 0, count: plan.sampleCount * plan.outputElements)
        var exits = [Int64](repeating: 0, count: plan.sampleCount)
        var macs: UInt64 = 0
        inputFile.withUnsafeBytes { raw in
            // Copy the samples out so the floats are aligned whatever the header length.
            let floats = Array(UnsafeRawBufferPointer(rebasing: raw[header.dataOffset..<(header.dataOffset + header.dataByteCount)])
                .bindMemory(to: Float.self))
            floats.withUnsafeBufferPointer { x in
                outputs.withUnsafeMutableBufferPointer { y in
                    for i in 0..<plan.sampleCount {
                        let r = runSample(plan, index: i, input: x.baseAddress!, output: y.baseAddress!, fullDepth: fullDepth)
                        macs &+= r.macs
                        exits[i] = Int64(max(r.exitIndex, 0))
                    }
                }
            }
        }
        var outputFile = [UInt8](repeating: 0, count: headerLength + outputs.count * 4)
        outputFile.withUnsafeMutableBytes { raw in
            _ = plan.writeOutputHeader(into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<headerLength]))
            outputs.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: raw[headerLength...]).copyMemory(from: $0) }
        }
        let exitHeaderLength = plan.exitIndexHeaderLength
        var exitFile = [UInt8](repeating: 0, count: exitHeaderLength + exits.count * 8)
        exitFile.withUnsafeMutableBytes { raw in
            _ = plan.writeExitIndexHeader(into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<exitHeaderLength]))
            exits.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: raw[exitHeaderLength...]).copyMemory(from: $0) }
        }
        return HostBatchResult(outputFile: outputFile, exitIndexFile: exitFile, exitIndices: exits.map { Int($0) },
                               outputs: outputs, macs: macs)
    }
}
#endif
