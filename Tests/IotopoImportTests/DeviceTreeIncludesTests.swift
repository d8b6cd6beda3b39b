import Foundation
@testable import IotopoImport
import IotopoSource
import XCTest

/// The files a device tree source has dtc read, found as dtc's lexer and grammar find them
/// (FuzzPaths finding 1, RELIABILITY.md "Fuzzing paths"; the end-to-end refusals are in
/// HostileRepositoryTests).
final class DeviceTreeIncludesTests: XCTestCase {
    func names(_ text: String) -> [DeviceTreeIncludes.Named] { DeviceTreeIncludes.named(in: Array(text.utf8)) }

    func testBothDirectivesAreFoundWithTheBlanksAndCommentsDtcAllows() {
        XCTAssertEqual(names("/include/ \"a.dtsi\"\n/ { x = /incbin/(\"b.bin\"); };"),
                       [.init(keyword: "/include/", name: "a.dtsi"), .init(keyword: "/incbin/", name: "b.bin")])
        // /incbin/ and its parenthesis are tokens: comments may come between them.
        XCTAssertEqual(names("x = /incbin/ /* c */ ( // d\n \"/etc/passwd\", 0, 4);"), [.init(keyword: "/incbin/", name: "/etc/passwd")])
        XCTAssertEqual(names("/include/\n\t\"n\""), [.init(keyword: "/include/", name: "n")])
        // Conservative: in a comment it still counts; a backslash is not decoded.
        XCTAssertEqual(names("/* /include/ \"c\" */"), [.init(keyword: "/include/", name: "c")])
        XCTAssertEqual(names("/incbin/(\"\\x2e\\x2e/s\")"), [.init(keyword: "/incbin/", name: nil)])
        // Not directives to dtc (a syntax error at worst): skipped.
        XCTAssertEqual(names("/include/ x \"y\" /incbin/ x(\"y\") /incbin/(\"open"), [])
    }

    func testNamesAreResolvedFromTheNamingFilesFolderAndSearchedThroughIncludes() throws {
        let base = NSTemporaryDirectory() + "iotopo-dtsinc-" + UUID().uuidString
        let fm = FileManager.default
        try fm.createDirectory(atPath: base + "/repo/.git", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: base + "/repo/sub", withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: base) }
        try "/ { };\n".write(toFile: base + "/outside.dtsi", atomically: true, encoding: .utf8)
        // sub/a.dtsi names "../../outside.dtsi": from sub/, that is outside the repository.
        try "/include/ \"../../outside.dtsi\"\n".write(toFile: base + "/repo/sub/a.dtsi", atomically: true, encoding: .utf8)
        let root = base + "/repo/board.dts"
        let text = "/dts-v1/;\n/include/ \"sub/a.dtsi\"\n"
        let scope = try XCTUnwrap(PathConfinement(folder: base + "/repo"))
        XCTAssertEqual(DeviceTreeIncludes.problem(root, bytes: Array(text.utf8), confinedTo: scope, scopeText: "the repo"),
                       "'../../outside.dtsi' (named by /include/ in '\(base)/repo/sub/a.dtsi') leads outside the repo, so dtc is not run on it; pass --allow-include-outside to allow it")
        // Anywhere: outside is allowed, but still only regular files.
        XCTAssertNil(DeviceTreeIncludes.problem(root, bytes: Array(text.utf8), confinedTo: nil, scopeText: ""))
        XCTAssertEqual(mkfifo(base + "/repo/sub/f", 0o600), 0)
        let fifo = "/ { x = /incbin/(\"sub/f\"); };\n"
        XCTAssertEqual(DeviceTreeIncludes.problem(root, bytes: Array(fifo.utf8), confinedTo: nil, scopeText: ""),
                       "'sub/f' (named by /incbin/ in '\(root)') is a FIFO (named pipe), not a regular file, so dtc is not run on it")
        // A cycle of includes ends (dtc reports it itself).
        try "/include/ \"c.dtsi\"\n".write(toFile: base + "/repo/c.dtsi", atomically: true, encoding: .utf8)
        XCTAssertNil(DeviceTreeIncludes.problem(root, bytes: Array("/include/ \"c.dtsi\"\n".utf8), confinedTo: scope, scopeText: "the repo"))
    }
}
