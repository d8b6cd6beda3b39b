import Foundation
import XCTest

/// `iotopo run` and `iotopo explain` as users run them.
final class RunCommandTests: XCTestCase {
    static let platforms = ["x86-server", "arm-soc", "amd-desktop", "embedded-soc"]

    // Every workload's output is a golden case of `iotopo test` (GoldenCommandTests); here,
    // that the bundled ones pass their own expectations.
    func testBundledWorkloadsPassTheirExpectations() throws {
        for p in Self.platforms {
            let r = try CLI.run(["run", "--summary", "topologies/\(p)/workloads/basic.yaml"])
            XCTAssertEqual(r.status, 0, "\(p): \(r.stdout)\(r.stderr)")
        }
    }

    func testOutputIsDeterministicAndJSONLinesParse() throws {
        let a = try CLI.run(["run", "--format", "jsonl", "topologies/x86-server/workloads/basic.yaml"])
        let b = try CLI.run(["run", "--format", "jsonl", "topologies/x86-server/workloads/basic.yaml"])
        XCTAssertEqual(a.stdout, b.stdout)
        let lines = a.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 28)
        for l in lines { XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(l.utf8))) }
        let last = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lines.last!.utf8)) as? [String: Any])
        XCTAssertNotNil(last["summary"])
    }

    func testSummaryOnlyAndTopologyOverride() throws {
        let r = try CLI.run(["run", "--summary", "topologies/x86-server/workloads/basic.yaml"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.hasPrefix("summary: 27 steps"), r.stdout)
        let o = try CLI.run(["run", "--topology", "topologies/amd-desktop/platform.yaml", "topologies/x86-server/workloads/basic.yaml"])
        XCTAssertEqual(o.status, 1, "x86 device names do not exist on the AMD desktop")
        XCTAssertTrue(o.stderr.contains("[dangling-reference]"), o.stderr)
    }

    func testAFailedExpectationExitsOne() throws {
        let dir = NSTemporaryDirectory() + "iotopo-run-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let w = dir + "/w.yaml"
        try """
        workload: {name: w, topology: \(CLI.root)/topologies/x86-server/platform.yaml}
        steps:
          - dma: {device: nvme0, op: write, address: 0x8000_0000, size: 64}
            expect: ok
        """.write(toFile: w, atomically: true, encoding: .utf8)
        let r = try CLI.run(["run", "--allow-include-outside", w])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stdout.contains("EXPECTATION FAILED: expected ok, got fault translation"), r.stdout)
        XCTAssertTrue(r.stdout.contains("expectations: 1 checked, 1 failed"), r.stdout)
    }

    func testExplainShowsEveryHop() throws {
        let r = try CLI.run(["explain", "topologies/x86-server/platform.yaml", "--device", "legacy-audio", "--address", "0x80_0000", "--write"])
        XCTAssertEqual(r.status, 0, r.stderr)
        Golden.check(r.stdout, against: "Tests/IotopoEndToEndTests/Resources/explain-legacy-audio.txt")
        let bad = try CLI.run(["explain", "topologies/x86-server/platform.yaml", "--device", "nvme9", "--address", "0"])
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderr.contains("did you mean 'nvme0'"), bad.stderr)
        XCTAssertEqual(try CLI.run(["explain", "topologies/x86-server/platform.yaml", "--device", "nvme0", "--address", "zz"]).status, 64)
    }
}
