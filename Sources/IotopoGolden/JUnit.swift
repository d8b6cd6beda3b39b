import Foundation
import IotopoSource
#if canImport(FoundationXML)
import FoundationXML
#endif

/// An XML element: enough to write JUnit reports and to read them back for merging.
public struct XMLTree: Sendable, Equatable {
    public var name: String
    /// Attributes in the order they are written.
    public var attributes: [(String, String)]
    public var children: [XMLTree] = []
    /// Character data (only leaf elements carry it in JUnit).
    public var text = ""

    public init(_ name: String, _ attributes: [(String, String)] = [], children: [XMLTree] = [], text: String = "") {
        self.name = name
        self.attributes = attributes
        self.children = children
        self.text = text
    }

    public static func == (a: XMLTree, b: XMLTree) -> Bool {
        a.name == b.name && a.text == b.text && a.children == b.children
            && a.attributes.count == b.attributes.count && zip(a.attributes, b.attributes).allSatisfy { $0 == $1 }
    }

    public func attribute(_ key: String) -> String? { attributes.first { $0.0 == key }?.1 }

    /// Serialises with two-space indentation.
    public func render(indent: Int = 0, into out: inout String) {
        let pad = String(repeating: "  ", count: indent)
        out += pad + "<" + name
        for (k, v) in attributes { out += " \(k)=\"\(XMLText.escape(v, attribute: true))\"" }
        if children.isEmpty && text.isEmpty {
            out += "/>\n"
        } else if children.isEmpty {
            out += ">" + XMLText.escape(text, attribute: false) + "</\(name)>\n"
        } else {
            out += ">\n"
            for c in children { c.render(indent: indent + 1, into: &out) }
            out += pad + "</\(name)>\n"
        }
    }
}

/// XML 1.0 text rules.
enum XMLText {
    /// Escapes markup characters; in attributes also newlines and tabs (as character
    /// references, so they survive attribute normalisation). Every other character
    /// `TerminalText` escapes (C0 controls, which XML 1.0 cannot hold at all, CR, DEL, C1
    /// and bidi controls) is shown in its visible form, `^[` or `<U+202E>`: a JUnit report
    /// is read in CI pages and terminals, and must not reorder or colour what they show.
    /// U+FFFE and U+FFFF, which XML cannot hold either, are shown as `?`.
    static func escape(_ s: String, attribute: Bool) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"" where attribute: out += "&quot;"
            case "\n" where attribute: out += "&#10;"
            case "\t" where attribute: out += "&#9;"
            default:
                if let e = TerminalText.escaped(u), u != "\n" {
                    out += e.replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
                } else if u.value == 0xFFFE || u.value == 0xFFFF {
                    out += "?"
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out
    }
}

/// JUnit XML as GitLab, Jenkins and GitHub's test reporters read it (the schema the tests
/// validate against is Tests/IotopoEndToEndTests/Resources/junit.xsd).
///
/// One `testsuite` per platform (or `invalid/<check>` for fixtures), one `testcase` per
/// case with `classname` the suite and `name` the case; a failing case carries `failure`
/// whose message is its one-line cause and the first hunk of its diff, and `system-out`
/// with the whole diff. Obsolete goldens form a suite of their own. No times or host
/// names are written, so the same run gives the same bytes.
public enum JUnit {
    /// The report of a golden run.
    public static func render(_ r: GoldenReport) -> String {
        var suites: [String: [XMLTree]] = [:]
        var order: [String] = []
        for o in r.outcomes {
            let suite = o.case.suite
            if suites[suite] == nil { order.append(suite) }
            suites[suite, default: []].append(testcase(o))
        }
        if !r.obsolete.isEmpty {
            order.append("obsolete goldens")
            suites["obsolete goldens"] = r.obsolete.map { g in
                // Paths and messages are one line each: a newline in a file name is shown
                // as `^J` (XMLText.escape shows the other controls).
                let path = TerminalText.visible(g.path), why = TerminalText.visible(g.why)
                var tc = XMLTree("testcase", [("name", path), ("classname", "obsolete goldens"), ("file", path)])
                if let e = g.error {
                    tc.children.append(XMLTree("error", [("message", TerminalText.visible(e)), ("type", "obsolete")]))
                } else if g.deleted {
                    tc.children.append(XMLTree("system-out", text: "\(path): \(why); deleted\n"))
                } else if r.obsoleteMode == .fail {
                    tc.children.append(XMLTree("failure", [("message", "\(path): \(why)"), ("type", "obsolete")],
                                                  text: "\(path): \(why). Delete it, or run iotopo test --obsolete=delete.\n"))
                } else {
                    tc.children.append(XMLTree("system-out", text: "\(path): \(why)\n"))
                }
                return tc
            }
        }
        let root = document(order.map { name in suite(TerminalText.visible(name), suites[name] ?? []) })
        return serialize(root)
    }

    static func testcase(_ o: CaseOutcome) -> XMLTree {
        // The names, the path and the message are one line each, so a newline in a file
        // name is shown (`^J`); the diffs are lines iotopo laid out, each already visible.
        var tc = XMLTree("testcase", [("name", TerminalText.visible(o.case.title)), ("classname", TerminalText.visible(o.case.suite)),
                                      ("file", TerminalText.visible(o.case.input))])
        let whole = o.renderDiff()
        let firstHunk = o.renderDiff(maxHunks: 1)
        let message = TerminalText.visible(o.message)
        switch o.status {
        case .passed:
            break
        case .created, .updated:
            tc.children.append(XMLTree("system-out", text: message + "\n" + whole))
        case .failed, .missing, .nondeterministic:
            tc.children.append(XMLTree("failure", [("message", message + (firstHunk.isEmpty ? "" : "\n" + firstHunk)), ("type", o.status.rawValue)],
                                          text: firstHunk.isEmpty ? message : firstHunk))
            if !whole.isEmpty { tc.children.append(XMLTree("system-out", text: whole)) }
        case .error:
            tc.children.append(XMLTree("error", [("message", message), ("type", "error")], text: message))
        }
        return tc
    }

    static func suite(_ name: String, _ cases: [XMLTree]) -> XMLTree {
        let c = counts(cases)
        return XMLTree("testsuite", [("name", name), ("tests", String(cases.count)), ("failures", String(c.failures)),
                                        ("errors", String(c.errors)), ("skipped", String(c.skipped))], children: cases)
    }

    static func document(_ suites: [XMLTree]) -> XMLTree {
        var tests = 0, failures = 0, errors = 0, skipped = 0
        for s in suites {
            let c = counts(s.children.filter { $0.name == "testcase" })
            tests += s.children.filter { $0.name == "testcase" }.count
            failures += c.failures
            errors += c.errors
            skipped += c.skipped
        }
        return XMLTree("testsuites", [("name", "iotopo test"), ("tests", String(tests)), ("failures", String(failures)),
                                         ("errors", String(errors)), ("skipped", String(skipped))], children: suites)
    }

    static func counts(_ cases: [XMLTree]) -> (failures: Int, errors: Int, skipped: Int) {
        var f = 0, e = 0, s = 0
        for tc in cases {
            if tc.children.contains(where: { $0.name == "failure" }) { f += 1 }
            if tc.children.contains(where: { $0.name == "error" }) { e += 1 }
            if tc.children.contains(where: { $0.name == "skipped" }) { s += 1 }
        }
        return (f, e, s)
    }

    static func serialize(_ root: XMLTree) -> String {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        root.render(into: &out)
        return out
    }

    // MARK: Merging

    /// Why a report could not be merged.
    public struct MergeError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The outcome of merging reports.
    public struct Merged {
        public var xml: String
        /// Test cases that appeared more than once, identical (kept once).
        public var duplicates: Int
        /// Cases that appeared more than once with different results (the failing one kept).
        public var conflicts: [String]
    }

    /// Merges JUnit documents (per-shard reports, say) into one: every test case once,
    /// suites and cases in name order, counts recomputed.
    public static func merge(_ inputs: [(path: String, data: Data)]) throws(MergeError) -> Merged {
        var cases: [String: (suite: String, element: XMLTree)] = [:]
        var duplicates = 0
        var conflicts: [String] = []
        for (path, data) in inputs {
            let root: XMLTree
            do { root = try XMLReader.parse(data) } catch { throw MergeError(description: "\(path): \(error.description)") }
            let suites: [XMLTree]
            switch root.name {
            case "testsuites": suites = root.children.filter { $0.name == "testsuite" }
            case "testsuite": suites = [root]
            default: throw MergeError(description: "\(path): not a JUnit report (the root element is <\(root.name)>, not <testsuites> or <testsuite>)")
            }
            for s in suites {
                let suiteName = s.attribute("name") ?? ""
                for tc in s.children where tc.name == "testcase" {
                    let key = (tc.attribute("classname") ?? suiteName) + "\u{0}" + (tc.attribute("name") ?? "")
                    if let seen = cases[key] {
                        if seen.element == tc {
                            duplicates += 1
                        } else {
                            conflicts.append("\(tc.attribute("classname") ?? suiteName) \(tc.attribute("name") ?? "")")
                            if !failing(seen.element) && failing(tc) { cases[key] = (suiteName, tc) }
                        }
                    } else {
                        cases[key] = (suiteName, tc)
                    }
                }
            }
        }
        var bySuite: [String: [(String, XMLTree)]] = [:]
        for (key, v) in cases { bySuite[v.suite, default: []].append((key, v.element)) }
        let byteOrder: (String, String) -> Bool = { Array($0.utf8).lexicographicallyPrecedes($1.utf8) }
        let suites = bySuite.keys.sorted(by: byteOrder).map { name in
            suite(name, (bySuite[name] ?? []).sorted { byteOrder($0.0, $1.0) }.map(\.1))
        }
        return Merged(xml: serialize(document(suites)), duplicates: duplicates, conflicts: conflicts.sorted(by: byteOrder))
    }

    static func failing(_ tc: XMLTree) -> Bool { tc.children.contains { $0.name == "failure" || $0.name == "error" } }
}

/// Reads an XML document into `XMLTree`s with Foundation's parser (libxml2).
enum XMLReader {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func parse(_ data: Data) throws(Failure) -> XMLTree {
        let delegate = Builder()
        let parser = XMLParser(data: data)
        parser.delegate = delegate
        parser.shouldResolveExternalEntities = false
        guard parser.parse(), let root = delegate.root else {
            let e = parser.parserError.map { "\($0.localizedDescription)" } ?? "no root element"
            throw Failure(description: "not well-formed XML at line \(parser.lineNumber): \(e)")
        }
        return root
    }

    final class Builder: NSObject, XMLParserDelegate {
        var stack: [XMLTree] = []
        var root: XMLTree?

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            // Attribute order is lost by the parser: the usual JUnit ones first in the usual
            // order, any others after them by name, so a merged report is deterministic.
            let known = ["name", "classname", "file", "line", "tests", "failures", "errors", "skipped", "message", "type", "time"]
            var attrs: [(String, String)] = known.compactMap { k in attributes[k].map { (k, $0) } }
            attrs += attributes.filter { !known.contains($0.key) }.sorted { Array($0.key.utf8).lexicographicallyPrecedes($1.key.utf8) }.map { ($0.key, $0.value) }
            stack.append(XMLTree(name, attrs))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            guard !stack.isEmpty else { return }
            stack[stack.count - 1].text += string
        }

        func parser(_ parser: XMLParser, foundCDATA block: Data) {
            guard !stack.isEmpty else { return }
            stack[stack.count - 1].text += String(decoding: block, as: UTF8.self)
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            guard var e = stack.popLast() else { return }
            // Whitespace between child elements is layout, not content.
            if !e.children.isEmpty && e.text.allSatisfy(\.isWhitespace) { e.text = "" }
            if stack.isEmpty { root = e } else { stack[stack.count - 1].children.append(e) }
        }
    }
}
