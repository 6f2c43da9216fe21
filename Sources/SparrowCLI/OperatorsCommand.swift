import SparrowConverter

/// `sparrow operators`: the ONNX ops the converter accepts, from its registry
/// (ONNXImporter.operatorDocs); with --markdown, the page committed as Docs/operators.md.
enum OperatorsCommand {
    static let usage = """
    usage: sparrow operators [--markdown]

    Lists every ONNX op type the converter imports: the attributes and limits it accepts and the
    Sparrow operators it becomes. --markdown prints Docs/operators.md (regenerate it with
    `sparrow operators --markdown > Docs/operators.md`).
    """

    static func main(_ arguments: [String]) throws -> Int32 {
        let a = try Arguments(arguments, valued: [], switches: ["--markdown"])
        if a.has("--help") { print(usage); return 0 }
        try a.expectPositional(0...0, usage: usage)
        if a.has("--markdown") {
            print(ONNXImporter.operatorsMarkdown(), terminator: "")
            return 0
        }
        for op in ONNXImporter.supportedOpTypes {
            let doc = ONNXImporter.operatorDocs[op]
            print("\(op): \(doc?.accepts ?? "(undocumented)") -> \(doc?.lowersTo ?? "(undocumented)")")
        }
        return 0
    }
}
