@testable import IotopoSource
import XCTest

/// The one rule for text a repository controls on its way to a terminal, a log or an
/// annotation (docs/security.md, "Output a repository cannot forge").
final class TerminalTextTests: XCTestCase {
    func testControlsAreShownInCaretNotation() {
        XCTAssertEqual(TerminalText.visible("a\u{1B}[31mred\u{1B}[0m"), "a^[[31mred^[[0m")
        XCTAssertEqual(TerminalText.visible("\u{0}\u{1}\r\u{7F}"), "^@^A^M^?")
        XCTAssertEqual(TerminalText.visible("osc \u{1B}]0;title\u{7}"), "osc ^[]0;title^G")
        XCTAssertEqual(TerminalText.visible("tab\tstays"), "tab\tstays")
    }

    func testNewlinesAreEscapedUnlessTheCallerLaidTheLinesOut() {
        XCTAssertEqual(TerminalText.visible("bad\n::stop-commands::x"), "bad^J::stop-commands::x")
        XCTAssertEqual(TerminalText.visible("one\ntwo\r\n", keepingNewlines: true), "one\ntwo^M\n")
    }

    func testC1BidiAndSeparatorsAreShownAsCodePoints() {
        XCTAssertEqual(TerminalText.visible("\u{9B}2J\u{85}\u{80}\u{9F}"), "<U+009B>2J<U+0085><U+0080><U+009F>")
        let bidi: [UInt32] = [0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069, 0x200E, 0x200F, 0x061C, 0x2028, 0x2029]
        for v in bidi {
            let s = "x" + String(Character(Unicode.Scalar(v)!)) + "y"
            let hex = String(v, radix: 16, uppercase: true)
            XCTAssertEqual(TerminalText.visible(s), "x<U+" + String(repeating: "0", count: 4 - hex.count) + hex + ">y")
        }
    }

    func testOrdinaryTextIsUnchanged() {
        // Neighbours of every escaped encoding, sharing its lead byte: shown as they are.
        let s = "é ° \u{A0} → ─ — \u{200D} \u{2027} \u{202F} \u{2065} \u{206A} \u{061B} \u{061D} 日本 🙂"
        XCTAssertEqual(TerminalText.visible(s), s)
        for u in s.unicodeScalars { XCTAssertFalse(TerminalText.isHidden(u), "\(u.value)") }
    }

    func testEscapingTwiceChangesNothing() {
        let once = TerminalText.visible("\u{1B}[1m\u{202E}\u{9B}\n\u{7F}")
        XCTAssertEqual(TerminalText.visible(once), once)
        XCTAssertTrue(once.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F })
    }

    func testEveryScalarTheByteScanPassesIsShownAsItIs() {
        // The fast path and the scalar rule agree on every scalar up to U+FFFF.
        for v in UInt32(0) ... 0xFFFF {
            guard let u = Unicode.Scalar(v) else { continue }
            let s = String(Character(u))
            let hidden = TerminalText.isHidden(u) || u == "\n"
            XCTAssertEqual(TerminalText.isClean(Array(s.utf8), keepingNewlines: false), !hidden, "U+\(String(v, radix: 16))")
            XCTAssertEqual(TerminalText.visible(s) == s, !hidden, "U+\(String(v, radix: 16))")
        }
    }

    func testGitHubsLegacyCommandPrefixIsBrokenAnywhereInALine() {
        // actions/runner reads `##[command]` anywhere in a line (ActionCommand.TryParse).
        XCTAssertEqual(TerminalText.visible("kind ##[stop-commands]tok"), "kind #<U+0023>[stop-commands]tok")
        XCTAssertEqual(TerminalText.visible("###[x] ##[y"), "##<U+0023>[x] #<U+0023>[y")
        XCTAssertEqual(TerminalText.visible("## [ #[ ## #"), "## [ #[ ## #")
        XCTAssertEqual(TerminalText.visible("ends ##"), "ends ##")
        XCTAssertFalse(TerminalText.visible("a##[b\u{1B}").contains("##["))
        let once = TerminalText.visible("##[add-mask]x")
        XCTAssertEqual(TerminalText.visible(once), once)
    }

    func testAPathNeverStartsALineGitHubWouldRead() {
        XCTAssertEqual(TerminalText.path("::stop-commands::x.yaml"), "./::stop-commands::x.yaml")
        XCTAssertEqual(TerminalText.path(" ::error::x"), "./ ::error::x")
        XCTAssertEqual(TerminalText.path("\u{A0}::error::x"), "./\u{A0}::error::x")
        XCTAssertEqual(TerminalText.path("topologies/a.yaml"), "topologies/a.yaml")
        XCTAssertEqual(TerminalText.path("/abs/::x"), "/abs/::x")
        XCTAssertEqual(TerminalText.path("bad\n::stop-commands::x\u{1B}.yaml"), "bad^J::stop-commands::x^[.yaml")
    }

    func testJSONEscapesTheSameCharactersLosslessly() {
        var out = ""
        JSON.escape("\u{1B}[31m \u{9B} \u{202E} \u{2028} \u{7F} é", into: &out)
        XCTAssertEqual(out, #""\u001b[31m \u009b \u202e \u2028 \u007f é""#)
    }
}
