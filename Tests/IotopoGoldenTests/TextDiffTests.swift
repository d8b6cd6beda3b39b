@testable import IotopoGolden
import IotopoReport
import XCTest

final class TextDiffTests: XCTestCase {
    /// Rebuilds the new text from the old one and the edit script; also checks that the
    /// script walks both texts in order, every line once.
    static func apply(_ d: TextDiff) -> (text: [TextDiff.Line], changes: Int, ordered: Bool) {
        let edits = TextDiff.edits(d.oldLines, d.newLines, maxEdits: 1000)
        var out: [TextDiff.Line] = []
        var nextOld = 0, nextNew = 0, changes = 0, ordered = true
        for e in edits {
            switch e.op {
            case .equal:
                ordered = ordered && e.old == nextOld && e.new == nextNew && d.oldLines[e.old] == d.newLines[e.new]
                out.append(d.oldLines[e.old]); nextOld += 1; nextNew += 1
            case .delete:
                ordered = ordered && e.old == nextOld
                nextOld += 1; changes += 1
            case .insert:
                ordered = ordered && e.new == nextNew
                out.append(d.newLines[e.new]); nextNew += 1; changes += 1
            }
        }
        return (out, changes, ordered && nextOld == d.oldLines.count && nextNew == d.newLines.count)
    }

    /// The least number of inserted and deleted lines, by the textbook LCS table.
    static func minimalEdits(_ a: [String], _ b: [String]) -> Int {
        var t = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0 ..< a.count {
            for j in 0 ..< b.count {
                t[i + 1][j + 1] = a[i] == b[j] ? t[i][j] + 1 : max(t[i][j + 1], t[i + 1][j])
            }
        }
        return a.count + b.count - 2 * t[a.count][b.count]
    }

    func testRandomTextsRebuildAndTheScriptIsMinimal() {
        var rng = SplitMix(seed: 42)
        for _ in 0 ..< 400 {
            let a = (0 ..< Int(rng.next() % 25)).map { _ in ["a", "b", "c", "d"][Int(rng.next() % 4)] }
            let b = (0 ..< Int(rng.next() % 25)).map { _ in ["a", "b", "c", "d"][Int(rng.next() % 4)] }
            let old = a.map { $0 + "\n" }.joined(), new = b.map { $0 + "\n" }.joined()
            let d = TextDiff(old: old, new: new)
            let r = Self.apply(d)
            XCTAssertTrue(r.ordered, "\(a) -> \(b)")
            XCTAssertEqual(r.text, d.newLines, "\(a) -> \(b)")
            XCTAssertEqual(r.changes, Self.minimalEdits(a, b), "\(a) -> \(b): Myers finds a shortest script")
            XCTAssertEqual(d.isEmpty, a == b)
        }
    }

    func testLinesAreEqualOnlyWhenTheirBytesAre() {
        // Canonically equivalent (Swift's String == says equal), but other bytes.
        let d = TextDiff(old: "a\ncaf\u{E9}\nb\n", new: "a\ncafe\u{301}\nb\n")
        XCTAssertFalse(d.isEmpty)
        XCTAssertEqual(d.hunks.map { [$0.oldCount, $0.newCount] }, [[3, 3]])
        XCTAssertTrue(d.render(oldName: "g", newName: "o").contains("2   | - caf\u{E9}\n  2 | + cafe\u{301}\n"))
        XCTAssertTrue(TextDiff(old: "caf\u{E9}\n", new: "caf\u{E9}\n").isEmpty)
        XCTAssertNotEqual(ExactText("caf\u{E9}"), ExactText("cafe\u{301}"))
        XCTAssertEqual(Set([ExactText("caf\u{E9}"), ExactText("cafe\u{301}"), ExactText("caf\u{E9}")]).count, 2)
    }

    func testPastTheEditBudgetTheMiddleIsReplacedWhole() {
        let a = (0 ..< 50).map { "old \($0)\n" }.joined(), b = (0 ..< 50).map { "new \($0)\n" }.joined()
        let d = TextDiff(old: "same\n" + a + "end\n", new: "same\n" + b + "end\n", maxEdits: 10)
        XCTAssertEqual(d.hunks.count, 1)
        XCTAssertEqual(d.hunks[0].oldStart, 1)
        XCTAssertEqual(d.hunks[0].oldCount, 52)
        XCTAssertEqual(d.hunks[0].newCount, 52)
        let text = d.render(oldName: "g", newName: "o")
        XCTAssertTrue(text.contains(" 2    | - old 0\n"), text)
        XCTAssertTrue(text.contains("   51 | + new 49\n"), text)
    }

    func testHunkHeadersContextAndLineNumbers() {
        let old = (1 ... 20).map { "line \($0)\n" }.joined()
        var lines = (1 ... 20).map { "line \($0)" }
        lines[4] = "line five"          // line 5 changed
        lines.insert("extra", at: 18)   // inserted before old line 19
        let d = TextDiff(old: old, new: lines.map { $0 + "\n" }.joined())
        XCTAssertEqual(d.hunks.count, 2, "changes 14 lines apart are separate hunks with 3 lines of context")
        XCTAssertEqual(d.render(d.hunks[0]), """
        @@ -2,7 +2,7 @@
        2 2 |   line 2
        3 3 |   line 3
        4 4 |   line 4
        5   | - line 5
          5 | + line five
        6 6 |   line 6
        7 7 |   line 7
        8 8 |   line 8

        """)
        XCTAssertEqual(d.hunks[1].oldStart, 16)
        XCTAssertEqual(d.hunks[1].oldCount, 5)
        XCTAssertEqual(d.hunks[1].newStart, 16)
        XCTAssertEqual(d.hunks[1].newCount, 6)
        XCTAssertEqual(d.firstOldLine, 5)
        let close = TextDiff(old: "a\nb\nc\nd\ne\nf\ng\n", new: "A\nb\nc\nd\ne\nf\nG\n")
        XCTAssertEqual(close.hunks.count, 1, "changes within twice the context join one hunk")
    }

    func testCreatedFileAndMissingNewlineAndControlCharacters() {
        let created = TextDiff(old: "", new: "x\ny\n")
        XCTAssertTrue(created.render(oldName: "g", newName: "o").contains("@@ -0,0 +1,2 @@"))
        let noNewline = TextDiff(old: "a\nb", new: "a\nb\n")
        let text = noNewline.render(oldName: "g", newName: "o")
        XCTAssertTrue(text.contains("2   | - b\n    |   \\ no newline at end of file\n  2 | + b\n"), text)
        let cr = TextDiff(old: "a\n", new: "a\r\n").render(oldName: "g", newName: "o")
        XCTAssertTrue(cr.contains("+ a^M"), cr)
        XCTAssertFalse(cr.contains("\r"))
        let esc = TextDiff(old: "", new: "\u{1b}[31mred\n").render(oldName: "g", newName: "o")
        XCTAssertTrue(esc.contains("+ ^[[31mred"), esc)
    }

    func testColourOnlyWhenAsked() {
        let d = TextDiff(old: "a\n", new: "b\n")
        XCTAssertFalse(d.render(oldName: "g", newName: "o").contains("\u{1b}"))
        XCTAssertTrue(d.render(oldName: "g", newName: "o", style: TextStyle(enabled: true)).contains("\u{1b}[1;31m"))
    }

    func testMaxHunksSaysHowManyMore() {
        let old = (1 ... 40).map { "\($0)\n" }.joined()
        let new = (1 ... 40).map { $0 % 10 == 0 ? "x\n" : "\($0)\n" }.joined()
        let d = TextDiff(old: old, new: new)
        XCTAssertEqual(d.hunks.count, 4)
        XCTAssertTrue(d.render(oldName: "g", newName: "o", maxHunks: 1).hasSuffix("... 3 more hunks\n"))
    }
}

/// A small seeded generator for the tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
