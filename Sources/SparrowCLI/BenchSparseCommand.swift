import Foundation
import SparrowConverter
import SparrowFormat
import SparrowRuntime

// `sparrow bench-sparse`: sparse against dense, same run, same inputs, through the real verifier
// and interpreter (one-operator models), for FullyConnected and 1×1 Conv at several sparsities and
// block shapes. Also checks every sparse output equals the dense one byte for byte.
enum BenchSparseCommand {
    static let usage = """
    usage: sparrow bench-sparse [--fc ROWSxCOLS] [--conv HxWxCINxCOUT] [--sparsity 0.5,0.7,...]
                                [--blocks 1x1,1x4,...] [--min-ms MS]

    Times block-sparse against dense FullyConnected (batch 1) and 1x1 Conv on the host, and prints
    time sparse / time dense, model bytes sparse / dense, and the sparse matrix bytes against
    nonzeros + index bytes. Defaults: --fc 1024x1024, --conv 14x14x256x256,
    --sparsity 0.5,0.7,0.8,0.9,0.95, --blocks 1x1,1x4,4x1,1x16, --min-ms 10. Build with
    -c release for meaningful times.
      --fc ROWSxCOLS       FullyConnected weight shape (default 1024x1024)
      --conv HxWxCINxCOUT  1x1 Conv input size and channels (default 14x14x256x256)
      --sparsity LIST      fractions of zero weights, comma-separated (default 0.5,0.7,0.8,0.9,0.95)
      --blocks LIST        block shapes RxC, comma-separated (default 1x1,1x4,4x1,1x16)
      --min-ms MS          time each case for at least MS milliseconds (default 10)
    """

    struct Row {
        var kind: String, block: String, sparsity: Double
        var denseNs: Double, sparseNs: Double, denseFile: Int, sparseFile: Int
        var matrixBytes: Int, nonzeroPlusIndex: Int, storedDensity: Double
    }

    static func main(_ args: [String]) throws -> Int32 {
        let a = try Arguments(args, valued: ["--fc", "--conv", "--sparsity", "--blocks", "--min-ms"], switches: [])
        if a.has("--help") { print(usage); return 0 }
        try a.expectPositional(0...0, usage: usage)
        func ints(_ text: String) -> [Int] { text.lowercased().split(separator: "x").compactMap { Int($0) } }
        let fc = ints(a.value("--fc") ?? "1024x1024")
        let conv = ints(a.value("--conv") ?? "14x14x256x256")
        guard fc.count == 2 else { throw CLIError.usage("--fc takes ROWSxCOLS, e.g. 1024x1024") }
        guard conv.count == 4 else { throw CLIError.usage("--conv takes HxWxCINxCOUT, e.g. 14x14x256x256") }
        let sparsities = (a.value("--sparsity") ?? "0.5,0.7,0.8,0.9,0.95").split(separator: ",").compactMap { Double($0) }
        let blocks = (a.value("--blocks") ?? "1x1,1x4,4x1,1x16").split(separator: ",").map { ints(String($0)) }
        guard blocks.allSatisfy({ $0.count == 2 }) else { throw CLIError("--blocks takes RxC shapes") }
        let minNs = (Double(a.value("--min-ms") ?? "10") ?? 10) * 1e6

        var rows: [Row] = []
        var rng = SystemRandomNumberGenerator()
        var seed: UInt64 = 0x5EED
        for (kind, r, c) in [("FC", fc[0], fc[1]), ("Conv1x1", conv[3], conv[2])] {
            for block in blocks {
                let (R, C) = (block[0], block[1])
                guard r % R == 0, c % C == 0 else { continue }
                for s in sparsities {
                    seed &+= 1
                    var m = SingleOpModel.random(kind: kind == "FC" ? .fullyConnected : .conv1x1, rows: r, cols: c,
                                                 block: (R, C), sparsity: s, seed: seed)
                    if kind != "FC" { m.height = conv[0]; m.width = conv[1] }
                    let input = (0..<m.inputCount).map { _ in Int8.random(in: -128...127, using: &rng) }
                    let dense = try Runner(m.bytes(sparse: nil)), sparse = try Runner(m.bytes(sparse: (R, C)))
                    let dOut = dense.run(input), sOut = sparse.run(input)
                    guard dOut == sOut else { throw CLIError("sparse output differs from dense (\(kind) \(R)x\(C) at \(s))") }
                    // Interleaved rounds, best of each: both see the same machine load.
                    var dNs = Double.infinity, sNs = Double.infinity
                    for _ in 0..<5 {
                        dNs = min(dNs, dense.time(input, minNs: minNs))
                        sNs = min(sNs, sparse.time(input, minNs: minNs))
                    }
                    let matrix = SparseMatrixCodec.encode(m.weights, rows: r, cols: c, blockRows: R, blockCols: C)
                    let h = matrix.withUnsafeBytes { SparseMatrixHeader(decodingFrom: $0.baseAddress!) }
                    let nonzeros = m.weights.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
                    let indexBytes = 2 * h.blockRowCount + Int(h.indexWidth) * Int(h.blockCount)
                    rows.append(Row(kind: kind, block: "\(R)x\(C)", sparsity: s, denseNs: dNs, sparseNs: sNs,
                                    denseFile: dense.fileSize, sparseFile: sparse.fileSize, matrixBytes: matrix.count,
                                    nonzeroPlusIndex: nonzeros + indexBytes,
                                    storedDensity: Double(Int(h.blockCount) * R * C) / Double(r * c)))
                }
            }
        }
        print("FC \(fc[0])x\(fc[1]) batch 1; Conv1x1 \(conv[0])x\(conv[1])x\(conv[2]) -> \(conv[3]); times are the best of repeated runs")
        print("op       block sparsity  dense us  sparse us  sparse/dense  speedup  file sparse/dense  matrix B / (nnz+index B)")
        for r in rows {
            print(String(format: "%-8@ %-5@  %5.0f%%  %9.1f  %9.1f  %12.3f  %6.2fx  %17.3f  %8d / %8d = %.3f",
                         r.kind as NSString, r.block as NSString, r.sparsity * 100, r.denseNs / 1e3, r.sparseNs / 1e3,
                         r.sparseNs / r.denseNs, r.denseNs / r.sparseNs, Double(r.sparseFile) / Double(r.denseFile),
                         r.matrixBytes, r.nonzeroPlusIndex, Double(r.matrixBytes) / Double(r.nonzeroPlusIndex)))
        }
        // Cost factor per stored weight (sparse time / dense time / stored density), for the cost model.
        print("cost factor (sparse time per stored weight / dense time per weight), mean over sparsities:")
        for kind in ["FC", "Conv1x1"] {
            for block in Set(rows.map(\.block)).sorted() {
                let sel = rows.filter { $0.kind == kind && $0.block == block }
                guard !sel.isEmpty else { continue }
                let f = sel.map { $0.sparseNs / $0.denseNs / $0.storedDensity }.reduce(0, +) / Double(sel.count)
                print(String(format: "  %-8@ %-5@ %.2f  (density threshold %.2f)", kind as NSString, block as NSString, f, 1 / f))
            }
        }
        return 0
    }

    /// A verified one-op model with its arena (SparrowRuntime's HostModel).
    final class Runner {
        let model: HostModel
        let fileSize: Int

        init(_ bytes: [UInt8]) throws {
            model = try loadModel(bytes: bytes, name: "one-operator model")
            fileSize = bytes.count
        }

        func run(_ input: [Int8]) -> [Int8] {
            model.setInput(0, input)
            _ = model.invoke()
            return model.output(0, as: Int8.self)
        }

        /// Nanoseconds per invoke over one round of at least `minNs`.
        func time(_ input: [Int8], minNs: Double) -> Double {
            model.setInput(0, input)
            var n = 0
            let start = DispatchTime.now().uptimeNanoseconds
            var elapsed = 0.0
            repeat {
                _ = model.invoke()
                n += 1
                elapsed = Double(DispatchTime.now().uptimeNanoseconds - start)
            } while elapsed < minNs
            return elapsed / Double(n)
        }
    }
}
