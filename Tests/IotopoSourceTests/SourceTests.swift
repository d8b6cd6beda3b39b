import Foundation
@testable import IotopoSource
import XCTest

final class JSONTests: XCTestCase {
    func testEscapingAndOrder() {
        let j = JSON.object([("b", .string("x\"y\\z\n\u{1}")), ("a", .array([.int(1), .bool(true), .null]))])
        XCTAssertEqual(j.serialized(indent: 0), #"{"b":"x\"y\\z\n\u0001","a":[1,true,null]}"#)
        XCTAssertEqual(j.serialized(indent: 2, inlineFrom: 1), "{\n  \"b\": \"x\\\"y\\\\z\\n\\u0001\",\n  \"a\": [1, true, null]\n}")
    }
}

final class DiagnosticOrderTests: XCTestCase {
    func testPrintOrderIsByFileThenPositionThenID() {
        func d(_ id: String, _ file: UInt32, _ line: UInt32, _ col: UInt32) -> Diagnostic {
            let p = SourcePosition(line: line, column: col)
            return Diagnostic(.error, id, "m", at: SourceRange(file: FileID(file), start: p, end: p))
        }
        let list = [d("b", 1, 1, 1), d("a", 0, 5, 1), d("z", 0, 2, 9), d("y", 0, 2, 9), Diagnostic(.error, "io", "x", at: nil)]
        XCTAssertEqual(list.sorted(by: Diagnostic.printOrder).map(\.id), ["io", "y", "z", "a", "b"])
    }
}

final class AtomicWriterTests: XCTestCase {
    var dir = ""

    func testItsTemporaryFilesAreRecognisedByName() {
        XCTAssertTrue(AtomicWriter.isTemporary(name: ".basic.txt.tmp-a1B2c3"))
        XCTAssertTrue(AtomicWriter.isTemporary(name: ".x.tmp-ZZZZZZ"))
        for name in ["basic.txt.tmp-a1B2c3", ".basic.txt.tmp-a1B2c", ".basic.txt.tmp-a1B2c3d", ".basic.txt.tmp-a1B2_3", ".tmp-a1B2c3", ".gitkeep", ".basic.txt.swp"] {
            XCTAssertFalse(AtomicWriter.isTemporary(name: name), name)
        }
    }

    override func setUp() {
        dir = NSTemporaryDirectory() + "iotopo-aw-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func read(_ p: String) -> String? { try? String(contentsOfFile: p, encoding: .utf8) }

    func leftovers() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.contains(".tmp-") }
    }

    func testWritesAndKeepsTheMode() throws {
        let p = dir + "/g.txt"
        try AtomicWriter.write("one", to: p)
        XCTAssertEqual(read(p), "one")
        chmod(p, 0o640)
        try AtomicWriter.write("two", to: p)
        XCTAssertEqual(read(p), "two")
        let mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: p)[.posixPermissions] as? Int)
        XCTAssertEqual(mode, 0o640)
        XCTAssertEqual(leftovers(), [])
    }

    func testSymbolicLinkIsWrittenThrough() throws {
        let target = dir + "/real.txt", link = dir + "/link.txt"
        try AtomicWriter.write("old", to: target)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "real.txt")
        try AtomicWriter.write("new", to: link)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link), "real.txt", "the link survives")
        XCTAssertEqual(read(target), "new")
    }

    func testEveryInjectedFailureLeavesTheOldFileWhole() throws {
        let p = dir + "/g.txt"
        try AtomicWriter.write("old contents", to: p)
        for step in AtomicWriter.Step.allCases {
            XCTAssertThrowsError(try AtomicWriter.write("new", to: p, failing: step)) { e in
                let text = "\(e)"
                XCTAssertTrue(text.contains(p), "the message names the file: \(text)")
            }
            XCTAssertEqual(read(p), "old contents", "after a failure at \(step)")
            XCTAssertEqual(leftovers(), [], "no temporary file left after a failure at \(step)")
        }
    }

    func testDirectoryAndMissingFolderAreErrors() {
        XCTAssertThrowsError(try AtomicWriter.write("x", to: dir))
        XCTAssertThrowsError(try AtomicWriter.write("x", to: dir + "/no/such/folder/f.txt"))
    }
}

/// PathConfinement resolves paths as the kernel would, links and `..` in their order, for
/// paths that do not exist yet too (docs/security.md).
final class PathConfinementTests: XCTestCase {
    var dir = ""
    let fm = FileManager.default

    override func setUpWithError() throws {
        // Canonical from the start: NSTemporaryDirectory may itself sit behind a link.
        let t = NSTemporaryDirectory() + "iotopo-confine-" + UUID().uuidString
        try fm.createDirectory(atPath: t + "/root/a/b", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: t + "/out", withIntermediateDirectories: true)
        dir = try XCTUnwrap(PathConfinement.canonical(t))
    }

    override func tearDownWithError() throws { try? fm.removeItem(atPath: dir) }

    func testLinksAndDotDotResolveInTheKernelsOrder() throws {
        let root = try XCTUnwrap(PathConfinement(folder: dir + "/root"))
        try fm.createSymbolicLink(atPath: dir + "/root/a/up", withDestinationPath: "../..")
        try fm.createSymbolicLink(atPath: dir + "/root/a/b/deep", withDestinationPath: dir + "/out")
        XCTAssertTrue(root.contains(dir + "/root/a/b/new/file.txt"), "a path not made yet is inside")
        XCTAssertTrue(root.contains(dir + "/root/a/up/root/a"), "up leads to the parent of root, then back in")
        XCTAssertFalse(root.contains(dir + "/root/a/up/out"))
        // `..` after a link applies to where the link leads, not lexically.
        XCTAssertEqual(PathConfinement.canonical(dir + "/root/a/b/deep/.."), dir)
        XCTAssertFalse(root.contains(dir + "/root/a/b/deep/../root-not"))
        XCTAssertFalse(root.contains(dir + "/root/a/b/deep/missing/x"), "a missing tail behind a link out stays out")
        XCTAssertFalse(root.contains(dir + "/rootx"), "a name that only starts like the root is outside")
        XCTAssertTrue(root.contains(dir + "/root"))
    }

    func testALoopOfLinksIsOutside() throws {
        let root = try XCTUnwrap(PathConfinement(folder: dir + "/root"))
        try fm.createSymbolicLink(atPath: dir + "/root/l1", withDestinationPath: "l2")
        try fm.createSymbolicLink(atPath: dir + "/root/l2", withDestinationPath: "l1")
        XCTAssertNil(PathConfinement.canonical(dir + "/root/l1"))
        XCTAssertFalse(root.contains(dir + "/root/l1/x"))
        // 40 links in a chain resolve (Linux's MAXSYMLINKS); 41 do not.
        for i in 0 ..< 41 { try fm.createSymbolicLink(atPath: dir + "/root/c\(i)", withDestinationPath: i == 0 ? "a" : "c\(i - 1)") }
        XCTAssertEqual(PathConfinement.canonical(dir + "/root/c39"), dir + "/root/a")
        XCTAssertNil(PathConfinement.canonical(dir + "/root/c40"))
    }

    func testTheRepositoryIsTheNearestFolderWithGit() throws {
        try fm.createDirectory(atPath: dir + "/root/.git", withIntermediateDirectories: true)
        try "x".write(toFile: dir + "/root/a/b/t.yaml", atomically: true, encoding: .utf8)
        let r = try XCTUnwrap(PathConfinement.repository(holding: dir + "/root/a/b/t.yaml"))
        XCTAssertEqual(r.root, dir + "/root")
        XCTAssertTrue(r.isRepository)
        try "x".write(toFile: dir + "/out/t.yaml", atomically: true, encoding: .utf8)
        let f = try XCTUnwrap(PathConfinement.repository(holding: dir + "/out/t.yaml"))
        XCTAssertEqual(f.root, dir + "/out", "outside a repository, the file's own folder")
        // A root file reached through a link belongs where the link leads.
        try fm.createSymbolicLink(atPath: dir + "/root/link.yaml", withDestinationPath: dir + "/out/t.yaml")
        XCTAssertEqual(PathConfinement.repository(holding: dir + "/root/link.yaml")?.root, dir + "/out")
    }

    func testFirstEscapeWalksAFolderWithoutFollowingLinksOut() throws {
        let root = try XCTUnwrap(PathConfinement(folder: dir + "/root"))
        try fm.createSymbolicLink(atPath: dir + "/root/a/self", withDestinationPath: ".")
        XCTAssertNil(root.firstEscape(at: dir + "/root/a"), "a link back up is no loop and no escape")
        try fm.createSymbolicLink(atPath: dir + "/root/a/b/env", withDestinationPath: "/proc/self/environ")
        XCTAssertEqual(root.firstEscape(at: dir + "/root/a"), dir + "/root/a/b/env")
    }
}

final class DiagnosticCapUnitTests: XCTestCase {
    func testASinkKeepsCapPerCheckAndFileAndCountsTheRest() {
        var sink = DiagnosticSink(cap: 3)
        for i in 0 ..< 10 { sink.error("x", "x\(i)", at: .fileStart(FileID(0))) }
        for i in 0 ..< 2 { sink.error("y", "y\(i)", at: .fileStart(FileID(0))) }
        for i in 0 ..< 4 { sink.warning("x", "x\(i) in another file", at: .fileStart(FileID(1))) }
        XCTAssertEqual(sink.errorCount, 12, "every error counts, kept or not")
        let d = sink.diagnostics
        XCTAssertEqual(d.filter { $0.omitted == 0 }.count, 3 + 2 + 3)
        XCTAssertEqual(d.filter { $0.omitted > 0 }.map(\.omitted), [7, 1], "one line per check and file, in file order")
        XCTAssertEqual(d.last?.severity, .warning)
        // Absorbing keeps the counts, and the lines print after everything else.
        var outer = DiagnosticSink(cap: 3)
        outer.absorb(sink)
        XCTAssertEqual(outer.errorCount, 12)
        XCTAssertEqual(outer.diagnostics.map(\.omitted), d.map(\.omitted))
        let capped = DiagnosticSink.capped(d + [Diagnostic(.error, "z", "z", at: .fileStart(FileID(0)))], cap: 3)
        XCTAssertEqual(capped.suffix(2).map(\.omitted), [7, 1])
        XCTAssertEqual(DiagnosticSink(cap: 0).cap, 0)
        var all = DiagnosticSink(cap: 0)
        for i in 0 ..< 5000 { all.error("x", "\(i)", at: nil) }
        XCTAssertEqual(all.diagnostics.count, 5000, "0 keeps all")
    }
}
