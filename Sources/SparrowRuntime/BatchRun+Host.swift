// Host convenience over the shared batch core: the exact bytes `sparrow run` writes, which the
// device program writes too (same header writer, same runSample). Tests compare the two.
#if !hasFeature(Embedded)
import SparrowNPY

/// `runBatch` was given a different number of input files than the model has inputs.
public struct InputCountError: Error, CustomStringConvertible {
    public var expected: Int, found: Int
    public var description: String { "the model has \(expected) inputs; \(found) input files were given" }
}

public struct HostBatchResult {
    /// The output .npy file's bytes (the taken exit's output, or output 0).
    public var outputFile: [UInt8]
    /// The exit-index .npy file's bytes (int64 [N]).
    public var exitIndexFile: [UInt8]
    public var exitIndices: [Int]
    public var outputs: [Float]
    public var macs: UInt64
    /// Every graph output's .npy file (in output order) and floats, when asked for.
    public var allOutputFiles: [[UInt8]] = []
    public var allOutputs: [[Float]] = []
}

extension Interpreter {
    /// Runs every sample of an input .npy file (its bytes) and returns the output files' bytes.
    public func runBatch(inputFile: [UInt8], fullDepth: Bool = false) throws -> HostBatchResult {
        try runBatch(inputFiles: [inputFile], fullDepth: fullDepth)
    }

    /// Runs every sample of one .npy file per graph input (`inputFiles[k]` for input k). With
    /// `allOutputs`, also returns every graph output's file.
    public func runBatch(inputFiles: [[UInt8]], fullDepth: Bool = false, allOutputs: Bool = false) throws -> HostBatchResult {
        guard inputFiles.count == model.inputCount else { throw InputCountError(expected: model.inputCount, found: inputFiles.count) }
        var headers: [NPYHeader] = []
        for file in inputFiles { headers.append(try file.withUnsafeBytes { raw in try parseNPYHeader(raw) }) }
        let plan = try headers.withUnsafeBufferPointer { h throws(BatchError) in try BatchPlan(model: model, inputs: h) }
        guard let headerLength = plan.outputHeaderLength else { throw BatchError(.outputBufferTooSmall, expected: 0, found: 0) }
        var outputs = [Float](repeating: 0, count: plan.sampleCount * plan.outputElements)
        var exits = [Int64](repeating: 0, count: plan.sampleCount)
        var macs: UInt64 = 0
        let layouts = (0..<(allOutputs ? model.outputCount : 0)).map { OutputLayout(model: model, output: $0, sampleCount: plan.sampleCount) }
        let outputTable = layouts.map { UnsafeMutablePointer<Float>.allocate(capacity: max(plan.sampleCount * $0.elements, 1)) }
        defer { outputTable.forEach { $0.deallocate() } }
        // Copy the samples out so the floats are aligned whatever the header length; a file of an
        // int8/uint8 input's own codes (BatchPlan checked its dtype) becomes the floats that
        // quantize back to them, as on the device.
        var floats: [[Float]] = []
        for (k, (file, header)) in zip(inputFiles, headers).enumerated() {
            guard header.dtype != .float32 else {
                floats.append(file.withUnsafeBytes { raw in
                    Array(UnsafeRawBufferPointer(rebasing: raw[header.dataOffset..<(header.dataOffset + header.dataByteCount)])
                        .bindMemory(to: Float.self))
                })
                continue
            }
            var values = [Float](repeating: 0, count: header.elementCount)
            let inexact = values.withUnsafeMutableBufferPointer { out in
                file.withUnsafeBytes { raw in
                    codesAsFloats(model: model, input: k, codes: raw.baseAddress! + header.dataOffset, count: header.elementCount,
                                  into: out.baseAddress!)
                }
            }
            if let element = inexact { throw InputCodesError(input: k, element: element) }
            floats.append(values)
        }
        let inputTable = floats.map { f -> UnsafeMutablePointer<Float> in
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(f.count, 1))
            f.withUnsafeBufferPointer { p.initialize(from: $0.baseAddress!, count: f.count) }
            return p
        }
        defer { inputTable.forEach { $0.deallocate() } }
        let inputs = inputTable.map { UnsafePointer($0) }
        inputs.withUnsafeBufferPointer { x in
            outputTable.withUnsafeBufferPointer { all in
                outputs.withUnsafeMutableBufferPointer { y in
                    for i in 0..<plan.sampleCount {
                        let r = runSample(plan, index: i, inputs: x.baseAddress!, output: y.baseAddress!,
                                          allOutputs: allOutputs ? all.baseAddress! : nil, fullDepth: fullDepth)
                        macs &+= r.macs
                        exits[i] = Int64(max(r.exitIndex, 0))
                    }
                }
            }
        }
        var result = HostBatchResult(outputFile: Self.npyFile(header: headerLength, data: outputs) {
                                         _ = plan.writeOutputHeader(into: $0) },
                                     exitIndexFile: [], exitIndices: exits.map { Int($0) }, outputs: outputs, macs: macs)
        let exitHeaderLength = plan.exitIndexHeaderLength
        var exitFile = [UInt8](repeating: 0, count: exitHeaderLength + exits.count * 8)
        exitFile.withUnsafeMutableBytes { raw in
            _ = plan.writeExitIndexHeader(into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<exitHeaderLength]))
            exits.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: raw[exitHeaderLength...]).copyMemory(from: $0) }
        }
        result.exitIndexFile = exitFile
        for (k, layout) in layouts.enumerated() {
            guard let h = layout.headerLength else { throw BatchError(.outputBufferTooSmall, expected: 0, found: 0) }
            let data = Array(UnsafeBufferPointer(start: outputTable[k], count: plan.sampleCount * layout.elements))
            result.allOutputs.append(data)
            result.allOutputFiles.append(Self.npyFile(header: h, data: data) { _ = layout.writeHeader(into: $0) })
        }
        return result
    }

    /// A .npy file: a header of `header` bytes written by `writeHeader`, then `data`.
    static func npyFile(header: Int, data: [Float], writeHeader: (UnsafeMutableRawBufferPointer) -> Void) -> [UInt8] {
        var file = [UInt8](repeating: 0, count: header + data.count * 4)
        file.withUnsafeMutableBytes { raw in
            writeHeader(UnsafeMutableRawBufferPointer(rebasing: raw[0..<header]))
            data.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: raw[header...]).copyMemory(from: $0) }
        }
        return file
    }
}

/// Input `input`'s file of codes holds a code (at `element`) that no float carries exactly at the
/// input's scale (`codesAsFloats`).
public struct InputCodesError: Error, CustomStringConvertible {
    public var input: Int
    public var element: Int
    public var description: String {
        "input \(input): code at element \(element) cannot be carried exactly at the model input's scale; give float32 samples instead"
    }
}
#endif
