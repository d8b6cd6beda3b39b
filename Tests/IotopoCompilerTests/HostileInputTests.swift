@testable import IotopoCompiler
import IotopoSource
import IotopoYAML
import XCTest

/// The corpus of hostile files: each gets a located error (or, where legitimate,
/// completes) within bounded time, never a crash, a hang or a trap.
final class HostileInputTests: XCTestCase {
    func timed(_ body: () -> CompileResult) -> (CompileResult, Double) {
        let start = DispatchTime.now().uptimeNanoseconds
        let r = body()
        return (r, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    func testAliasBomb() {
        var text = "platform: {name: t}\nx-a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for i in 1 ... 9 { text += "x-a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ",") + "]\n" }
        let (r, t) = timed { compile(text) }
        XCTAssertEqual(ids(r), ["yaml-limit"])
        XCTAssertNotNil(r.diagnostics[0].range)
        XCTAssertLessThan(t, 2)
    }

    func testDeepFlowNesting() {
        let text = "platform: {name: t}\nx-deep: " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "\n"
        let (r, t) = timed { compile(text) }
        XCTAssertEqual(ids(r), ["yaml-limit"])
        XCTAssertEqual(r.diagnostics[0].range?.start.line, 2)
        XCTAssertLessThan(t, 2)
    }

    func testFiftyMegabyteFile() {
        var text = "platform: {name: t}\n"
        let line = "# " + String(repeating: "x", count: 98) + "\n"
        text += String(repeating: line, count: 500_000)
        let s = Scratch()
        let path = s.write("big.yaml", text)
        let (r, t) = timed { Compiler.compile(path: path) }
        XCTAssertEqual(ids(r), ["yaml-limit"], "over the default 32 MiB limit")
        XCTAssertLessThan(t, 2)
        var o = CompileOptions()
        o.limits.maxFileSize = 64 << 20
        let (r2, _) = timed { Compiler.compile(path: path, options: o) }
        XCTAssertEqual(ids(r2), [], "with the limit raised the legitimate file completes")
    }

    func testFileSizeLimitAtAndPast() {
        let s = Scratch()
        let text = "platform: {name: t}\n"
        let path = s.write("f.yaml", text)
        var o = CompileOptions()
        o.limits.maxFileSize = text.utf8.count
        XCTAssertEqual(ids(Compiler.compile(path: path, options: o)), [])
        o.limits.maxFileSize = text.utf8.count - 1
        XCTAssertEqual(ids(Compiler.compile(path: path, options: o)), ["yaml-limit"])
    }

    func testNULAndControlCharacters() {
        XCTAssertEqual(ids(compile("platform: {name: \"\\x01\"}\n")), ["bad-name"])
        let s = Scratch()
        let raw = s.write("raw.yaml", Array("platform: {name: a".utf8) + [0x01] + Array("}\n".utf8))
        XCTAssertEqual(ids(Compiler.compile(path: raw)), ["yaml-encoding"])
        let nul = s.write("nul.yaml", Array("platform: {name: a".utf8) + [0x00] + Array("}\n".utf8))
        XCTAssertEqual(ids(Compiler.compile(path: nul)).count, 1)
    }

    func testUTF16AndInvalidUTF8() {
        let s = Scratch()
        let utf16 = s.write("u16.yaml", [0xFF, 0xFE] + Array("platform: {name: t}\n".utf8).flatMap { b -> [UInt8] in [b, 0] })
        XCTAssertEqual(ids(Compiler.compile(path: utf16)), ["yaml-encoding"])
        let bad = s.write("bad.yaml", Array("platform: {name: t}\n# ".utf8) + [0xFF, 0xFE, 0xFD] + [0x0A])
        XCTAssertEqual(ids(Compiler.compile(path: bad)), ["yaml-encoding"])
    }

    /// A FIFO with no writer, as the root file or as an include, is refused at once: opening
    /// it used to block forever (issue 17, point 9). Only regular files and `-` are read.
    func testAFIFOIsRefusedWithoutBlocking() throws {
        let s = Scratch()
        let path = s.dir + "/fifo.yaml"
        XCTAssertEqual(mkfifo(path, 0o600), 0)
        let (r, t) = timed { Compiler.compile(path: path) }
        XCTAssertEqual(ids(r), ["io-error"])
        XCTAssertTrue(r.diagnostics.first?.message.contains("is a FIFO (named pipe), not a regular file") ?? false, "\(r.diagnostics)")
        XCTAssertLessThan(t, 2)
        let root = s.write("root.yaml", "platform: {name: t}\ninclude:\n  - fifo.yaml\n")
        let (inc, t2) = timed { Compiler.compile(path: root) }
        XCTAssertTrue(ids(inc).contains("io-error"), "\(inc.diagnostics)")
        XCTAssertLessThan(t2, 2)
    }

    /// Chains of includes are at most 64 files deep, the root counting: 8,000 overflowed the
    /// loader's stack (issue 17, point 8). At the limit it compiles; one past, and 8,000
    /// deep, it is a located invalid-include.
    func testIncludeChainsStopAtTheDepthLimit() {
        func chain(_ n: Int) -> CompileResult {
            let s = Scratch()
            s.write("f0.yaml", "platform: {name: t}\ninclude:\n  - f1.yaml\n")
            for i in 1 ..< n - 1 { s.write("f\(i).yaml", "include:\n  - f\(i + 1).yaml\n") }
            s.write("f\(n - 1).yaml", "buses:\n  - {name: system, kind: system}\n")
            return Compiler.compile(path: s.dir + "/f0.yaml")
        }
        XCTAssertEqual(SourceLoader.maxIncludeDepth, 64)
        XCTAssertEqual(ids(chain(64)), [])
        let past = chain(65)
        XCTAssertEqual(ids(past), ["invalid-include"])
        XCTAssertEqual(past.diagnostics.first?.range?.start.line, 2)
        XCTAssertTrue(past.diagnostics.first?.message.contains("at most 64 files deep") ?? false, "\(past.diagnostics)")
        XCTAssertEqual(ids(chain(8000)), ["invalid-include"])
    }

    /// A device (/dev/zero never ends) is refused before it is read.
    func testADeviceIsRefused() {
        let (r, t) = timed { Compiler.compile(path: "/dev/zero") }
        XCTAssertEqual(ids(r), ["io-error"])
        XCTAssertTrue(r.diagnostics.first?.message.contains("is a character device") ?? false, "\(r.diagnostics)")
        XCTAssertLessThan(t, 2)
    }
}
