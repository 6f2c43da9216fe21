// Top-1 accuracy of a Sparrow model on labelled samples, run by the host interpreter (the same
// kernels as the device): used to print the accuracy change of pruning.
import Foundation
import SparrowFormat
import SparrowNPY
import SparrowRuntime

public enum ModelEvaluation {
    /// Fraction of samples whose largest output is the label. `inputFile` is a float32 .npy of
    /// samples in the model's input layout; labels are class indices, one per sample.
    public static func top1Accuracy(model bytes: [UInt8], inputFile: [UInt8], labels: [Int64]) throws -> Double {
        let result = try HostModel(bytes: bytes).runBatch(inputFile: inputFile)
        guard !labels.isEmpty, result.outputs.count % labels.count == 0 else {
            throw ConversionError(.unsupported, "\(labels.count) labels for \(result.outputs.count) outputs")
        }
        let classes = result.outputs.count / labels.count
        var correct = 0
        for (i, label) in labels.enumerated() {
            let row = result.outputs[(i * classes)..<((i + 1) * classes)]
            var best = row.startIndex
            for k in row.indices where row[k] > row[best] { best = k }
            if Int64(best - row.startIndex) == label { correct += 1 }
        }
        return Double(correct) / Double(labels.count)
    }
}
