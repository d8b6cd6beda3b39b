import IotopoCompiler
import IotopoReport
@testable import IotopoSource
import XCTest

final class DiagnosticTextTests: XCTestCase {
    func files(_ text: String) -> SourceFiles {
        var f = SourceFiles()
        _ = f.add(path: "a.yaml", bytes: Array(text.utf8))
        return f
    }

    func range(_ line: UInt32, _ c1: UInt32, _ c2: UInt32) -> SourceRange {
        SourceRange(file: FileID(0), start: SourcePosition(line: line, column: c1), end: SourcePosition(line: line, column: c2))
    }

    func testCaretUnderTheRangeKeepsTabsAndCountsCharacters() {
        var r = DiagnosticTextRenderer(files: files("x: 1\n\tnamé: ab\n"), style: .plain)
        let out = r.render(Diagnostic(.error, "t", "msg", at: range(2, 8, 10)))
        XCTAssertEqual(out, "a.yaml:2:8: error: msg [t]\n 2 | \tnamé: ab\n   | \t      ^~\n")
    }

    func testNotesAndMissingLocations() {
        var r = DiagnosticTextRenderer(files: files("a\nb\n"), style: .plain)
        let d = Diagnostic(.warning, "w", "m", at: range(2, 1, 2), notes: [DiagnosticNote("here", at: range(1, 1, 2)), DiagnosticNote("bare", at: nil)])
        XCTAssertEqual(r.render(d), "a.yaml:2:1: warning: m [w]\n 2 | b\n   | ^\na.yaml:1:1: note: here\n 1 | a\n   | ^\nnote: bare\n")
        XCTAssertEqual(r.render(Diagnostic(.error, "io-error", "cannot read", at: nil)), "error: cannot read [io-error]\n")
    }

    func testVeryLongLinesAreCutAroundTheColumn() {
        let line = String(repeating: "a", count: 5000) + "XYZ" + String(repeating: "b", count: 5000)
        var r = DiagnosticTextRenderer(files: files(line + "\n"), style: .plain)
        let out = r.render(Diagnostic(.error, "t", "m", at: range(1, 5001, 5004)))
        let lines = out.split(separator: "\n")
        XCTAssertLessThan(lines[1].count, 200)
        let caretColumn = lines[2].firstIndex(of: "^").map { lines[2].distance(from: lines[2].startIndex, to: $0) }
        let xColumn = lines[1].firstIndex(of: "X").map { lines[1].distance(from: lines[1].startIndex, to: $0) }
        XCTAssertEqual(caretColumn, xColumn)
    }

    func testColourOnlyWhenEnabled() {
        var plain = DiagnosticTextRenderer(files: files("a\n"), style: .plain)
        XCTAssertFalse(plain.render(Diagnostic(.error, "t", "m", at: range(1, 1, 2))).contains("\u{1B}"))
        var colour = DiagnosticTextRenderer(files: files("a\n"), style: TextStyle(enabled: true))
        XCTAssertTrue(colour.render(Diagnostic(.error, "t", "m", at: range(1, 1, 2))).contains("\u{1B}[1;31merror:"))
    }
}

final class MachineFormatTests: XCTestCase {
    func testGitHubAnnotationsEscapeAndCap() {
        var f = SourceFiles()
        _ = f.add(path: "dir,x/a:b.yaml", bytes: nil)
        let p = SourcePosition(line: 3, column: 4)
        // A message is one line: a newline or an ESC in it (a quoted value) is shown, as in
        // the text, before GitHub's escaping (docs/security.md).
        let d = Diagnostic(.error, "t", "50% done\nnext\u{1B}[2J", at: SourceRange(file: FileID(0), start: p, end: p))
        let out = DiagnosticFormats.githubAnnotations(Array(repeating: d, count: 12), files: f)
        let lines = out.split(separator: "\n")
        XCTAssertEqual(lines.count, 10, "at most ten per kind")
        XCTAssertEqual(String(lines[0]), "::error file=dir%2Cx/a%3Ab.yaml,line=3,col=4,endLine=3,endColumn=4,title=iotopo t::50%25 done^Jnext^[[2J")
    }

    func testSARIFRulesCoverTheRegistryAndURIsAreEscaped() throws {
        var f = SourceFiles()
        _ = f.add(path: "my dir/a#1.yaml", bytes: nil)
        let p = SourcePosition(line: 1, column: 1)
        let text = DiagnosticFormats.sarif([Diagnostic(.warning, "dma-without-iommu", "m", at: SourceRange(file: FileID(0), start: p, end: p))], files: f, version: "t")
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let run = try XCTUnwrap((doc["runs"] as? [[String: Any]])?.first)
        let rules = try XCTUnwrap(((run["tool"] as? [String: Any])?["driver"] as? [String: Any])?["rules"] as? [[String: Any]])
        XCTAssertEqual(rules.count, CheckRegistry.all.count)
        XCTAssertTrue(text.contains("my%20dir/a%231.yaml"))
    }
}
