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
