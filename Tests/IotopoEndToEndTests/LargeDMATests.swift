import Foundation
import XCTest

/// Issue 17 point 11: one DMA over 16 TiB mapped in 4 KiB pages (four billion pages) grew
/// past 12 GB, `--summary` included: every stage kept a piece per page. Its pieces are
/// streamed and runs of pages folded now (`Engine.runPipeline`, `extendByPageRun`), so
/// memory is flat in the size of the access.
final class LargeDMATests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "iotopo-dma-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    static let platform = """
        platform: {name: big}
        memory:
          - {name: dram, base: 0x0, size: 64TiB}
        buses:
          - {name: system, kind: system}
          - {name: pcie0, kind: pcie, number: 0}
        bridges:
          - {name: rc0, kind: root-complex, upstream: system, downstream: pcie0}
        iommus:
          - {name: dmar0, kind: intel-vtd, at: rc0}
        devices:
          - {name: nvme0, bus: pcie0, rid: 00:01.0}
        domains:
          - {name: dom, iommu: dmar0}
        attachments:
          - {device: nvme0, domain: dom}
        """

    /// Runs `iotopo args` with its address space limited to 2 GiB (`ulimit -v`), so a run
    /// that grows with the pages fails in seconds instead of exhausting the machine. Not
    /// under a sanitizer, whose shadow memory needs terabytes of address space.
    func runLimited(_ args: [String]) throws -> CLI.Result {
        if ProcessInfo.processInfo.environment["ASAN_OPTIONS"] != nil || ProcessInfo.processInfo.environment["TSAN_OPTIONS"] != nil {
            return try CLI.run(args)
        }
        let quoted = args.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        return try CLI.spawn("/bin/sh", ["-c", "ulimit -v 2097152 && exec '\(CLI.binary)' \(quoted)"])
    }

    func testADMAOverSixteenTebibytesOfPagesRunsInBoundedMemory() throws {
        try Self.platform.write(toFile: dir + "/plat.yaml", atomically: true, encoding: .utf8)
        let workload = dir + "/w.yaml"
        try """
            workload: {name: w, topology: plat.yaml}
            steps:
              - map: {domain: dom, iova: 0x0, phys: 0x1000_0000_0000, size: 16TiB, page-size: 4KiB}
              - dma: {device: nvme0, op: write, address: 0x0, size: 16TiB}
                expect: {outcome: ok, segments: 1}
              - dma: {device: nvme0, op: read, address: 0x1000, size: 16TiB - 8KiB}
                expect: {outcome: ok, segments: 1}
            """.write(toFile: workload, atomically: true, encoding: .utf8)
        let summary = try runLimited(["run", "--summary", workload])
        XCTAssertEqual(summary.status, 0, summary.stderr)
        // Every page is a lookup: 2^32 for the first DMA, 2^32 - 2 for the second.
        XCTAssertTrue(summary.stdout.contains("dmar0: 8589934590 translations, IOTLB hit rate 0.0%, mean cost 242.0 cycles, 8589934590 walks"), summary.stdout)
        XCTAssertTrue(summary.stdout.contains("dma: 2 (2 ok), 2 segments, 35184372080640 bytes requested"), summary.stdout)
        let lines = try runLimited(["run", workload])
        XCTAssertEqual(lines.status, 0, lines.stderr)
        // One segment, 2^32 misses at 242 cycles each (VT-d's 4 levels at 60, plus 2).
        XCTAssertTrue(lines.stdout.contains("#2 dma nvme0 write 0x0 +16TiB: ok -> 0x100000000000 [dram] iotlb miss, 1039382085632 cycles"), lines.stdout)
    }
}
