import Foundation
import XCTest

/// Issue 17 point 10: a file of millions of one mistake must cost bounded time and memory,
/// and one template's instances are one finding (docs/limits.md, docs/topology.md).
final class DiagnosticCapTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "iotopo-cap-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    /// A file of `n` duplicate top-level keys.
    func duplicates(_ n: Int) throws -> String {
        let p = dir + "/dups\(n).yaml"
        try ("platform: {name: x}\n" + String(repeating: "a: 1\n", count: n + 1)).write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    func lines(_ r: CLI.Result, _ id: String) -> Int {
        r.stdout.split(separator: "\n").filter { $0.contains(": error: ") && $0.hasSuffix("[\(id)]") }.count
    }

    func testAtTheCapEverythingIsShownAndPastItTheRestIsCounted() throws {
        let at = try CLI.run(["check", "--color", "never", try duplicates(1000)])
        XCTAssertEqual(at.status, 1)
        XCTAssertEqual(lines(at, "yaml-duplicate-key"), 1000)
        XCTAssertFalse(at.stdout.contains("not shown"), "at the cap nothing is left out")
        // 1,000 duplicates and the first 'a', an unknown key.
        XCTAssertTrue(at.stdout.hasSuffix("1001 errors and 0 warnings in 1 file\n"), String(at.stdout.suffix(200)))

        let past = try CLI.run(["check", "--color", "never", try duplicates(1001)])
        XCTAssertEqual(past.status, 1)
        XCTAssertEqual(lines(past, "yaml-duplicate-key"), 1001, "1,000 shown and the line counting the rest")
        let tail = past.stdout.split(separator: "\n").suffix(2).map(String.init)
        XCTAssertEqual(tail, [
            "\(dir)/dups1001.yaml:1:1: error: 1 more error of this check in this file is not shown: at most 1000 are kept per check and file (--max-diagnostics raises it; 0 keeps all) [yaml-duplicate-key]",
            "1002 errors and 0 warnings in 1 file",
        ], "the count line is last and the total counts every error")
    }

    func testMaxDiagnosticsSetsTheCapAndZeroShowsAll() throws {
        let p = try duplicates(1500)
        let ten = try CLI.run(["check", "--color", "never", "--max-diagnostics", "10", p])
        XCTAssertEqual(lines(ten, "yaml-duplicate-key"), 11)
        XCTAssertTrue(ten.stdout.contains("1490 more errors of this check in this file are not shown: at most 10"), ten.stdout)
        let all = try CLI.run(["check", "--color", "never", "--max-diagnostics", "0", p])
        XCTAssertEqual(lines(all, "yaml-duplicate-key"), 1500)
        XCTAssertFalse(all.stdout.contains("not shown"))
        // The cap reaches the machine formats too: the count line is a result of its own.
        let json = try CLI.run(["check", "--format", "json", "--max-diagnostics", "10", p])
        XCTAssertTrue(json.stdout.contains("1490 more errors"), String(json.stdout.prefix(400)))
        let bad = try CLI.run(["check", "--max-diagnostics", "-1", p])
        XCTAssertEqual(bad.status, 64)
    }

    func testAModelCheckFiresOnceForARepeatedEntry() throws {
        // Before: one duplicate-requester-id error per instance, 49 of them, against what
        // docs/topology.md promised.
        let p = dir + "/template.yaml"
        try """
        platform: {name: t}
        memory:
          - {name: dram, kind: ram, base: 0, size: 4GiB}
        buses:
          - {name: pci0, kind: pcie, segment: 0, number: 0}
        devices:
          - count: 50
            name: "d{i}"
            kind: nic
            bus: pci0
            rid: "00:00.0"
        """.write(toFile: p, atomically: true, encoding: .utf8)
        let r = try CLI.run(["check", "--color", "never", p])
        XCTAssertEqual(lines(r, "duplicate-requester-id"), 1, r.stdout)
        XCTAssertTrue(r.stdout.contains("error: device 'd1' has requester ID 0000:00:00.0, already used by device 'd0'"), r.stdout)
        XCTAssertTrue(r.stdout.contains("note: the same problem occurs in 48 more instances\n"), r.stdout)
    }
}
