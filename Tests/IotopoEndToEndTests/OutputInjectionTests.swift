import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

/// A repository chooses file names and values that reach terminals, CI logs and annotations
/// through iotopo's output (issue 17, point 6; docs/security.md, "Output a repository cannot
/// forge"). Each test builds a small project in a temporary folder and runs the real
/// binary: no control, C1 or bidi character comes out raw, each is shown visibly (`^[`,
/// `<U+202E>`), and no line a repository names can start a GitHub workflow command.
final class OutputInjectionTests: XCTestCase {
    var dir = ""
    let fm = FileManager.default
    /// A file name that would end a log line and stop GitHub's command processing, colour
    /// the terminal, and reverse what follows it.
    let hostileName = "bad\n::stop-commands::x\u{1B}[31m\u{202E}\u{9B}.yaml"
    /// How iotopo shows it.
    let shownName = "bad^J::stop-commands::x^[[31m<U+202E><U+009B>.yaml"

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "iotopo-injection-" + UUID().uuidString
        for d in ["/.git", "/topologies/invalid/bad-number", "/golden/invalid/bad-number"] {
            try fm.createDirectory(atPath: dir + d, withIntermediateDirectories: true)
        }
    }

    override func tearDownWithError() throws { try? fm.removeItem(atPath: dir) }

    func write(_ text: String, _ relative: String) throws {
        XCTAssertTrue(fm.createFile(atPath: dir + "/" + relative, contents: Data(text.utf8)), relative)
    }

    func run(_ args: [String], env: [String: String] = [:]) throws -> CLI.Result {
        try CLI.run(args, env: env, cwd: dir)
    }

    /// The scalars that must never come out raw: C0 controls but tab and newline, DEL, C1,
    /// the bidi controls and the line and paragraph separators. Written out here, not taken
    /// from the code under test.
    static func isForbidden(_ u: Unicode.Scalar) -> Bool {
        let v = u.value
        return v < 0x20 && v != 0x09 && v != 0x0A || (0x7F ... 0x9F).contains(v) || (0x202A ... 0x202E).contains(v)
            || (0x2066 ... 0x2069).contains(v) || [0x200E, 0x200F, 0x061C, 0x2028, 0x2029].contains(v)
    }

    func assertNothingRaw(_ text: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let bad = text.unicodeScalars.filter(Self.isForbidden).map { "U+" + String($0.value, radix: 16) }
        XCTAssertEqual(bad, [], "\(what) holds raw controls: \(text.debugDescription)", file: file, line: line)
    }

    /// No line begins (after the whitespace GitHub's runner trims) with `::` unless it is
    /// one of iotopo's own annotations, and no line holds the legacy `##[` prefix, which
    /// the runner reads anywhere in a line.
    func assertNoForgedCommand(_ text: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        for l in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            XCTAssertFalse(l.contains("##["), "\(what): a line holds a legacy workflow command: \(l.debugDescription)", file: file, line: line)
            let t = l.drop { $0.isWhitespace }
            if t.hasPrefix("::") {
                XCTAssertTrue(t.hasPrefix("::error file=") || t.hasPrefix("::warning "), "\(what): a line starts a workflow command: \(l.debugDescription)", file: file, line: line)
            }
        }
    }

    // MARK: Values in diagnostics and reports

    /// A description and a kind holding SGR (ESC [31m), OSC (ESC ]0;title BEL), C1 CSI and
    /// RLO, and a malformed number holding ESC and CSI, on a line that also holds a raw RLO
    /// before the error's column.
    func testControlCharactersInValuesAreShownNotSent() throws {
        let bad = """
        platform:
          name: lab-box
          description: "desc \\e[31mred \\e]0;title\\a osc \\u009B2J c1 \\u202Eevil"
        memory:
          - {name: dram, base: 0x0, size: 2GiB, kind: ram}
        buses:
          - {name: system, kind: system}
        devices:
          - {name: d0, kind: "\u{202E}nvme", bus: system, dma-bits: "3\\e[2J\\u009B2"}

        """
        try write(bad, "bad.yaml")
        let r = try run(["check", "--color", "never", "bad.yaml"])
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        let out = r.stdout + r.stderr
        assertNothingRaw(out, "iotopo check")
        // The column is the file's (libyaml counts the RLO as one); the snippet shows it wider.
        XCTAssertTrue(out.contains("bad.yaml:9:54: error: dma-bits: unexpected '^[[2J<U+009B>2' after the value [bad-number]"), out)
        // The snippet shows the raw RLO visibly, and the caret stays under the value.
        let lines = out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let at = try XCTUnwrap(lines.firstIndex { $0.hasPrefix(" 9 | ") }, out)
        let source = lines[at], caret = lines[at + 1]
        XCTAssertTrue(source.contains("kind: \"<U+202E>nvme\""), source)
        let value = try XCTUnwrap(source.range(of: "\"3\\e[2J"), source)
        let valueColumn = source.distance(from: source.startIndex, to: value.lowerBound)
        let caretColumn = try XCTUnwrap(caret.firstIndex(of: "^").map { caret.distance(from: caret.startIndex, to: $0) }, caret)
        XCTAssertEqual(caretColumn, valueColumn, "the caret is under the value:\n\(source)\n\(caret)")

        // The same values where they are reports, not errors.
        try write(bad.replacingOccurrences(of: ", dma-bits: \"3\\e[2J\\u009B2\"", with: ""), "ok.yaml")
        for args in [["check"], ["compile", "--format", "text"], ["groups"], ["compile", "--format", "text", "--color", "always"]] {
            let c = try run(args + ["ok.yaml"])
            XCTAssertEqual(c.status, 0, args.joined(separator: " ") + ": " + c.stdout + c.stderr)
            let text = c.stdout + c.stderr
            if args.contains("always") {
                // Colour on: iotopo's own SGR sequences are the only ESCs.
                XCTAssertFalse(text.contains("\u{1B}[31mred"), text)
                XCTAssertFalse(text.contains("\u{1B}]"), text)
            } else {
                assertNothingRaw(text, args.joined(separator: " "))
            }
            if args.first == "compile" {
                XCTAssertTrue(text.contains("desc ^[[31mred ^[]0;title^G osc <U+009B>2J c1 <U+202E>evil"), text)
            }
            if args != ["check"] { XCTAssertTrue(text.contains("<U+202E>nvme"), args.joined(separator: " ") + ": " + text) }
        }
        // JSON keeps the value exactly, with the same characters as \u escapes.
        let j = try run(["compile", "ok.yaml"])
        XCTAssertEqual(j.status, 0, j.stderr)
        assertNothingRaw(j.stdout, "compile JSON")
        XCTAssertTrue(j.stdout.contains(#""desc \u001b[31mred \u001b]0;title\u0007 osc \u009b2J c1 \u202eevil""#), j.stdout)
        let model = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])
        let platform = try XCTUnwrap(model["platform"] as? [String: Any])
        XCTAssertEqual(platform["description"] as? String, "desc \u{1B}[31mred \u{1B}]0;title\u{7} osc \u{9B}2J c1 \u{202E}evil")
    }

    // MARK: File names

    /// `iotopo check` on files named to forge a log line: the name stays on its line, shown.
    func testAFileNameCannotStartALineOrReachTheTerminal() throws {
        try write("platform: {name: ok}\nbuses:\n  - {name: system, kind: system}\n", hostileName)
        try write("platform: {name: 1bad}\n", "::stop-commands::y.yaml")
        try write("platform: {name: 2bad, description: \"##[stop-commands]tok\"}\n", "z##[add-mask]v.yaml")
        for env in [[:], ["GITHUB_ACTIONS": "true"]] {
            let r = try run(["check", "--color", "never", hostileName, "::stop-commands::y.yaml", "z##[add-mask]v.yaml"], env: env)
            XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
            let out = r.stdout + r.stderr
            assertNothingRaw(out, "iotopo check")
            assertNoForgedCommand(out, "iotopo check")
            XCTAssertTrue(r.stdout.contains(shownName + ": ok ("), out)
            XCTAssertTrue(r.stdout.contains("./::stop-commands::y.yaml:1:18: error:"), out)
            XCTAssertTrue(r.stdout.contains("z#<U+0023>[add-mask]v.yaml:1:18: error:"), out)
        }
        // A file that cannot be read says so with its name shown, too.
        let missing = "gone\n::error::forged\u{1B}.yaml"
        let m = try run(["check", "--color", "never", missing])
        assertNothingRaw(m.stdout + m.stderr, "iotopo check on a missing file")
        assertNoForgedCommand(m.stdout + m.stderr, "iotopo check on a missing file")
        XCTAssertTrue((m.stdout + m.stderr).contains("gone^J::error::forged^[.yaml"), m.stdout + m.stderr)
    }

    /// Golden cases named to forge a log line (one without a golden, one whose golden
    /// differs), run as CI on GitHub Actions does: the text report, the annotations, the
    /// step summary, the JUnit report and the JSON report.
    func testACaseNamedToForgeALogLineStaysOnItsLine() throws {
        let fixture = "# expect an error\nplatform:\n  name: lab-box\nmemory:\n  - {name: dram, base: 0x0, size: \"2\\e[31mGiB\"}\n"
        let missing = "topologies/invalid/bad-number/fires-\(hostileName)"
        let differs = "topologies/invalid/bad-number/fires-2\(hostileName)"
        try write(fixture, missing)
        try write(fixture, differs)
        try write("old\n", "golden/invalid/bad-number/fires-2\(hostileName.dropLast(5)).txt")
        let summary = dir + "/summary.md"
        try write("", "summary.md")
        let env = ["CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary]
        let r = try run(["test", "--color", "never", "--junit", "report.xml"], env: env)
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        let out = r.stdout + r.stderr
        assertNothingRaw(out, "iotopo test")
        assertNoForgedCommand(out, "iotopo test")
        XCTAssertTrue(out.contains("MISSING invalid/bad-number/fires-\(shownName.dropLast(5)): no golden golden/invalid/bad-number/fires-\(shownName.dropLast(5)).txt"), out)
        XCTAssertTrue(out.contains("--- golden/invalid/bad-number/fires-2\(shownName.dropLast(5)).txt"), out)
        XCTAssertTrue(out.contains("::error file=golden/invalid/bad-number/fires-2bad^J%3A%3Astop-commands%3A%3Ax^[[31m<U+202E><U+009B>.txt,line=1,"), out)
        // The fixture's own malformed number, in the diff of the case's output.
        XCTAssertTrue(out.contains("'^[[31mGiB'"), out)

        let md = try String(contentsOfFile: summary, encoding: .utf8)
        assertNothingRaw(md, "the step summary")
        assertNoForgedCommand(md, "the step summary")

        // The JUnit report is well-formed XML, and the names in it are shown.
        let xml = try Data(contentsOf: URL(fileURLWithPath: dir + "/report.xml"))
        assertNothingRaw(String(decoding: xml, as: UTF8.self), "the JUnit report")
        let names = try junitAttributes(xml, "name")
        XCTAssertTrue(names.contains("fires-\(shownName.dropLast(5))"), "\(names)")
        for n in names { assertNothingRaw(n, "a JUnit name after parsing") }

        // JSON keeps the names exactly (a program reads them), with the characters escaped.
        let j = try run(["test", "--format", "json"], env: ["CI": "true"])
        assertNothingRaw(j.stdout, "iotopo test --format json")
        let top = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any], j.stdout)
        let cases = try XCTUnwrap(top["cases"] as? [[String: Any]])
        XCTAssertTrue(cases.contains { $0["name"] as? String == "invalid/bad-number/fires-\(hostileName.dropLast(5))" }, "\(cases)")
    }

    /// The values of `attribute` on every element of a well-formed XML document.
    func junitAttributes(_ data: Data, _ attribute: String) throws -> [String] {
        final class Collector: NSObject, XMLParserDelegate {
            let attribute: String
            var values: [String] = []
            init(_ attribute: String) { self.attribute = attribute }
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
                if let v = attributes[attribute] { values.append(v) }
            }
        }
        let c = Collector(attribute)
        let p = XMLParser(data: data)
        p.delegate = c
        XCTAssertTrue(p.parse(), "well-formed XML: \(p.parserError.map { "\($0)" } ?? "")")
        return c.values
    }
}
