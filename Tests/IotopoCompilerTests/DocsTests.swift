import IotopoCompiler
import XCTest

/// Keeps the documentation in step with the code.
final class DocsTests: XCTestCase {
    func testChecksPageHasExactlyOneSectionPerRegisteredCheck() throws {
        let text = try String(contentsOfFile: Package.path("docs/checks.md"), encoding: .utf8)
        let headings = text.split(separator: "\n").filter { $0.hasPrefix("## ") }.map { String($0.dropFirst(3)) }
        XCTAssertEqual(Set(headings).count, headings.count, "a check has two sections")
        let documented = Set(headings), registered = Set(CheckRegistry.all.map(\.id))
        XCTAssertEqual(registered.subtracting(documented).sorted(), [], "registered checks without a section in docs/checks.md")
        XCTAssertEqual(documented.subtracting(registered).sorted(), [], "sections in docs/checks.md for no registered check")
    }

    func testTopologyExampleCompilesClean() throws {
        let text = try String(contentsOfFile: Package.path("docs/topology.md"), encoding: .utf8)
        let start = try XCTUnwrap(text.range(of: "```yaml\n# yaml-language-server"))
        let rest = text[start.upperBound...]
        let end = try XCTUnwrap(rest.range(of: "```"))
        let s = Scratch()
        let path = s.write("example.yaml", "# yaml-language-server" + String(rest[..<end.lowerBound]))
        let r = Compiler.compile(path: path)
        XCTAssertEqual(r.diagnostics.map(\.id), [], "\(r.diagnostics)")
        XCTAssertNotNil(r.model)
    }

    func testLimitsPageNamesTheDefaults() throws {
        let text = try String(contentsOfFile: Package.path("docs/limits.md"), encoding: .utf8)
        let o = CompileOptions()
        XCTAssertEqual(o.limits.maxFileSize, 33_554_432)
        XCTAssertTrue(text.contains("33,554,432"))
        XCTAssertTrue(text.contains("| \(o.limits.maxDepth) "))
        XCTAssertTrue(text.contains("1,000,000 nodes"))
        XCTAssertEqual(o.limits.maxAliasNodes, 1_000_000)
        XCTAssertEqual(o.limits.maxNodes, 16_000_000)
        XCTAssertEqual(o.maxGenerated, 1_000_000)
    }
}
