// Docs/operators.md is generated from the importer's registry (`sparrow operators --markdown`):
// these tests fail when the registry and the documentation table disagree, or when the committed
// page is not what the generator prints now (regenerate it, don't edit it).
import Foundation
import Testing
@testable import SparrowConverter

@Suite struct OperatorDocsTests {
    @Test func everyRegistryOpIsDocumentedAndNothingElse() {
        let registry = Set(ONNXImporter.registry.keys), documented = Set(ONNXImporter.operatorDocs.keys)
        #expect(registry.subtracting(documented).isEmpty,
                "ops without an entry in OperatorDocs.swift: \(registry.subtracting(documented).sorted())")
        #expect(documented.subtracting(registry).isEmpty,
                "entries for ops the registry lacks: \(documented.subtracting(registry).sorted())")
    }

    @Test func committedPageMatchesTheGenerator() throws {
        let page = IRFixtures.root.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Docs").appendingPathComponent("operators.md")
        let committed = try String(contentsOf: page, encoding: .utf8)
        let generated = ONNXImporter.operatorsMarkdown()
        let differing = zip(committed.split(separator: "\n", omittingEmptySubsequences: false),
                            generated.split(separator: "\n", omittingEmptySubsequences: false))
            .first { $0 != $1 }
        let hint = "regenerate with `sparrow operators --markdown > Docs/operators.md`"
        #expect(committed == generated, "Docs/operators.md is stale (first differing line: \(String(describing: differing))); \(hint)")
        // Every registry op has a row.
        for op in ONNXImporter.supportedOpTypes { #expect(committed.contains("\n| \(op) |"), "\(op) has no row") }
    }
}
