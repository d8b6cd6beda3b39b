import IotopoSource
@testable import IotopoYAML
import XCTest

final class YAMLLoaderTests: XCTestCase {
    func parse(_ text: String, limits: YAMLLimits = .default) -> (YAMLDocument?, [Diagnostic]) {
        var sink = DiagnosticSink()
        let doc = YAMLLoader.parse(Array(text.utf8), file: FileID(0), limits: limits, sink: &sink)
        return (doc, sink.diagnostics)
    }

    func parseBytes(_ bytes: [UInt8]) -> (YAMLDocument?, [Diagnostic]) {
        var sink = DiagnosticSink()
        let doc = YAMLLoader.parse(bytes, file: FileID(0), sink: &sink)
        return (doc, sink.diagnostics)
    }

    func testKeysAndValuesKeepOneBasedRanges() throws {
        let (doc, diags) = parse("a: 1\nlist:\n  - name: x\n")
        XCTAssertEqual(diags, [])
        let d = try XCTUnwrap(doc)
        let root = try XCTUnwrap(d.root)
        XCTAssertEqual(d.kind(root), .mapping)
        XCTAssertEqual(d.count(root), 2)
        let k0 = d.key(root, 0)
        XCTAssertEqual(d.range(k0).start, SourcePosition(line: 1, column: 1))
        XCTAssertEqual(d.range(k0).end, SourcePosition(line: 1, column: 2))
        XCTAssertEqual(d.range(d.value(root, 0)).start, SourcePosition(line: 1, column: 4))
        let item = d.element(d.value(root, 1), 0)
        let nameKey = d.key(item, 0)
        XCTAssertEqual(d.string(nameKey), "name")
        XCTAssertEqual(d.range(nameKey).start, SourcePosition(line: 3, column: 5))
        XCTAssertEqual(d.range(d.value(item, 0)).start, SourcePosition(line: 3, column: 11))
    }

    func testColumnsCountCharactersNotBytes() throws {
        let (doc, _) = parse("é: x\n")
        let d = try XCTUnwrap(doc)
        XCTAssertEqual(d.range(d.value(try XCTUnwrap(d.root), 0)).start.column, 4)
    }

    func testDuplicateKeyHasNoteAtFirst() {
        let (_, diags) = parse("a: 1\nb: 2\na: 3\n")
        XCTAssertEqual(diags.map(\.id), [YAMLCheck.duplicateKey])
        XCTAssertEqual(diags.first?.range?.start.line, 3)
        XCTAssertEqual(diags.first?.notes.first?.range?.start.line, 1)
    }

    /// A UTF-8 byte-order mark before a key on line 1 is accepted (YAML 1.2), where libyaml
    /// with a forced encoding gave "did not find expected <document start>" (issue 17,
    /// point 15); positions are those of the line as shown.
    func testAUTF8ByteOrderMarkIsAccepted() throws {
        let (doc, diags) = parseBytes([0xEF, 0xBB, 0xBF] + Array("a: 1\nb:\n  c: 2\n".utf8))
        XCTAssertEqual(diags, [])
        let d = try XCTUnwrap(doc)
        let root = try XCTUnwrap(d.root)
        XCTAssertEqual(d.count(root), 2)
        XCTAssertEqual(d.string(d.key(root, 0)), "a")
        XCTAssertEqual(d.range(d.value(root, 0)).start, SourcePosition(line: 1, column: 4))
        let (_, dup) = parseBytes([0xEF, 0xBB, 0xBF] + Array("a: 1\na: 2\n".utf8))
        XCTAssertEqual(dup.map(\.id), [YAMLCheck.duplicateKey])
        XCTAssertEqual(dup.first?.notes.first?.range?.start, SourcePosition(line: 1, column: 1))
    }

    /// Two `<<` keys in one mapping are a duplicate key like any other (issue 17, point 16);
    /// the first is kept, and one `<<` with a list merges several.
    func testTwoMergeKeysAreADuplicateKey() throws {
        let (doc, diags) = parse("a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: *a\n  <<: *b\n")
        XCTAssertEqual(diags.map(\.id), [YAMLCheck.duplicateKey])
        XCTAssertEqual(diags.first?.range?.start.line, 5)
        XCTAssertEqual(diags.first?.notes.first?.range?.start.line, 4)
        let d = try XCTUnwrap(doc)
        let c = d.value(try XCTUnwrap(d.root), 2)
        XCTAssertEqual(d.count(c), 1, "only the first merge applies")
        let (_, ok) = parse("a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: [*a, *b]\n")
        XCTAssertEqual(ok, [])
    }

    func testDuplicateKeyInLargeMappingIsFound() {
        var text = ""
        for i in 0 ..< 100 { text += "k\(i): \(i)\n" }
        text += "k57: again\n"
        let (_, diags) = parse(text)
        XCTAssertEqual(diags.map(\.id), [YAMLCheck.duplicateKey])
        XCTAssertEqual(diags.first?.range?.start.line, 101)
        XCTAssertEqual(diags.first?.notes.first?.range?.start.line, 58)
    }

    func testAliasSharesTheAnchoredNode() throws {
        let (doc, diags) = parse("a: &x {k: v}\nb: *x\n")
        XCTAssertEqual(diags, [])
        let d = try XCTUnwrap(doc), root = try XCTUnwrap(d.root)
        XCTAssertEqual(d.value(root, 0), d.value(root, 1))
    }

    func testMergeKeysExplicitKeysWinThenEarlierMerges() throws {
        let (doc, diags) = parse("""
        base: &b {x: 1, y: 2}
        other: &o {y: 3, z: 4}
        m:
          <<: [*b, *o]
          x: 9
        """)
        XCTAssertEqual(diags, [])
        let d = try XCTUnwrap(doc), root = try XCTUnwrap(d.root)
        let m = d.value(root, 2)
        var values: [String: String] = [:]
        for i in 0 ..< d.count(m) { values[d.string(d.key(m, i))] = d.string(d.value(m, i)) }
        XCTAssertEqual(values, ["x": "9", "y": "2", "z": "4"])
    }

    func testBadMergeValueIsRefused() {
        let (doc, diags) = parse("m:\n  <<: 3\n")
        XCTAssertNil(doc)
        XCTAssertEqual(diags.map(\.id), [YAMLCheck.badMerge])
    }

    func testUnknownAndRecursiveAliases() {
        XCTAssertEqual(parse("a: *nope\n").1.map(\.id), [YAMLCheck.unknownAnchor])
        let (_, d) = parse("a: &x [1, *x]\n")
        XCTAssertEqual(d.map(\.id), [YAMLCheck.unknownAnchor])
        XCTAssertTrue(d.first?.message.contains("recursive") == true)
    }

    func testAliasBombIsRefusedQuickly() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1 ... 9 {
            text += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let (doc, diags) = parse(text)
        let ms = (DispatchTime.now().uptimeNanoseconds - start) / 1_000_000
        XCTAssertNil(doc)
        XCTAssertEqual(diags.map(\.id), [YAMLCheck.limit])
        XCTAssertGreaterThanOrEqual(diags.first?.range?.start.line ?? 0, 5)
        XCTAssertLessThan(ms, 2000, "refusing an alias bomb should take milliseconds")
    }

    func testAliasBudgetAtAndPastTheLimit() {
        let limits = YAMLLimits(maxFileSize: 1 << 20, maxDepth: 64, maxAliasNodes: 11, maxNodes: 1000)
        let atLimit = "a: &a [1, 2, 3, 4, 5]\nb: *a\nc: *a\n" // each alias stands for 6 nodes: 12 > 11
        XCTAssertEqual(parse("a: &a [1, 2, 3, 4, 5]\nb: *a\n", limits: limits).1, [])
        XCTAssertEqual(parse(atLimit, limits: limits).1.map(\.id), [YAMLCheck.limit])
    }

    func testNestingAtAndPastTheLimit() {
        let limits = YAMLLimits(maxFileSize: 1 << 20, maxDepth: 8, maxAliasNodes: 100, maxNodes: 1000)
        XCTAssertEqual(parse(String(repeating: "[", count: 8) + String(repeating: "]", count: 8), limits: limits).1, [])
        let (_, diags) = parse(String(repeating: "[", count: 9) + String(repeating: "]", count: 9), limits: limits)
        XCTAssertEqual(diags.map(\.id), [YAMLCheck.limit])
        XCTAssertEqual(diags.first?.range?.start, SourcePosition(line: 1, column: 9), "refused at the start event that crosses the limit")
    }

    func testHundredThousandDeepFlowNestingIsRefusedFast() {
        let text = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let start = DispatchTime.now().uptimeNanoseconds
        let (_, diags) = parse(text)
        let ms = (DispatchTime.now().uptimeNanoseconds - start) / 1_000_000
        XCTAssertEqual(diags.map(\.id), [YAMLCheck.limit])
        XCTAssertLessThan(ms, 2000)
    }

    func testNodeLimitAtAndPast() {
        let limits = YAMLLimits(maxFileSize: 1 << 20, maxDepth: 64, maxAliasNodes: 100, maxNodes: 4)
        XCTAssertEqual(parse("[1, 2, 3]", limits: limits).1, [])
        XCTAssertEqual(parse("[1, 2, 3, 4]", limits: limits).1.map(\.id), [YAMLCheck.limit])
    }

    func testFileSizeAtAndPastTheLimit() {
        let limits = YAMLLimits(maxFileSize: 10, maxDepth: 64, maxAliasNodes: 100, maxNodes: 100)
        XCTAssertEqual(parse("a: 1234567", limits: limits).1, [])
        XCTAssertEqual(parse("a: 12345678", limits: limits).1.map(\.id), [YAMLCheck.limit])
    }

    func testOneDocumentPerFile() {
        let (_, diags) = parse("a: 1\n---\nb: 2\n")
        XCTAssertEqual(diags.map(\.id), [YAMLCheck.multipleDocuments])
        XCTAssertEqual(diags.first?.range?.start.line, 2)
    }

    func testOnlyCoreTags() {
        XCTAssertEqual(parse("a: !!str 1\nb: !!int 2\n").1, [])
        XCTAssertEqual(parse("a: !custom 1\n").1.map(\.id), [YAMLCheck.tag])
        XCTAssertEqual(parse("a: !!binary aGk=\n").1.map(\.id), [YAMLCheck.tag])
    }

    func testUTF16AndUTF32AreRefusedWithAHint() {
        let utf16: [UInt8] = [0xFF, 0xFE] + Array("a: 1\n".utf8).flatMap { b -> [UInt8] in [b, 0] }
        let (doc, diags) = parseBytes(utf16)
        XCTAssertNil(doc)
        XCTAssertEqual(diags.map(\.id), [YAMLCheck.encoding])
        XCTAssertTrue(diags.first?.message.contains("UTF-16") == true)
        let noBOM: [UInt8] = Array("a: 1\n".utf8).flatMap { b -> [UInt8] in [b, 0] }
        XCTAssertEqual(parseBytes(noBOM).1.map(\.id), [YAMLCheck.encoding])
    }

    func testInvalidUTF8IsLocated() {
        let bytes = Array("a: 1\nb: x".utf8) + [0xC3, 0x28] + Array("\n".utf8)
        let (_, diags) = parseBytes(bytes)
        XCTAssertEqual(diags.map(\.id), [YAMLCheck.encoding])
        XCTAssertEqual(diags.first?.range?.start.line, 2)
    }

    func testScalarsKeepNULByLength() throws {
        let (doc, diags) = parse("a: \"x\\0y\"\n")
        XCTAssertEqual(diags, [])
        let d = try XCTUnwrap(doc), root = try XCTUnwrap(d.root)
        XCTAssertEqual(d.scalarBytes(d.value(root, 0)), [0x78, 0, 0x79])
    }

    func testSyntaxErrorIsLocatedWithContext() {
        let (doc, diags) = parse("a: [1, 2\nb: 3\n")
        XCTAssertNil(doc)
        XCTAssertEqual(diags.map(\.id), [YAMLCheck.syntax])
        XCTAssertNotNil(diags.first?.range)
    }

    func testEmptyFileHasNoRoot() throws {
        let (doc, diags) = parse("")
        XCTAssertEqual(diags, [])
        XCTAssertNil(try XCTUnwrap(doc).root)
    }

    func testNullsAndQuotedNullsDiffer() throws {
        let (doc, _) = parse("a: ~\nb: null\nc:\nd: 'null'\n")
        let d = try XCTUnwrap(doc), root = try XCTUnwrap(d.root)
        XCTAssertEqual((0 ..< 4).map { d.isNull(d.value(root, $0)) }, [true, true, true, false])
    }
}
