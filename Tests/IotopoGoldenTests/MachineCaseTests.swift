import Foundation
import IotopoGolden
import XCTest

/// Machine cases: a real host's report is its own expected output (docs/golden.md).
final class MachineCaseTests: XCTestCase {
    var root = ""
    var cwd = ""

    /// Two root ports of an Intel PCH with ACS, one device below each. `nvmeGroup` is the
    /// group the report records for the NVMe drive: 2 is what Linux forms; 1 (its root
    /// port's) is not.
    static func report(nvmeGroup: Int) -> String {
        """
        00:00.0 Host bridge [0600]: Intel Corporation Device [8086:3e30]
        \tIOMMU group: 0

        00:1c.0 PCI bridge [0604]: Intel Corporation Device [8086:a338] (prog-if 00 [Normal decode])
        \tIOMMU group: 1
        \tBus: primary=00, secondary=01, subordinate=01, sec-latency=0
        \tCapabilities: [40] Express (v2) Root Port (Slot+), MSI 00
        \tCapabilities: [220 v1] Access Control Services
        \t\tACSCap:\tSrcValid+ TransBlk+ ReqRedir+ CmpltRedir+ UpstreamFwd- EgressCtrl- DirectTrans-
        \t\tACSCtl:\tSrcValid+ TransBlk- ReqRedir+ CmpltRedir+ UpstreamFwd- EgressCtrl- DirectTrans-

        01:00.0 Non-Volatile memory controller [0108]: Samsung Device [144d:a808] (prog-if 02 [NVM Express])
        \tIOMMU group: \(nvmeGroup)
        \tCapabilities: [70] Express (v2) Endpoint, MSI 00

        """
    }

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "iotopo-machines-" + UUID().uuidString
        let dir = root + "/topologies/machines"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Self.report(nvmeGroup: 2).write(toFile: dir + "/right.txt", atomically: false, encoding: .utf8)
        try Self.report(nvmeGroup: 1).write(toFile: dir + "/wrong.txt", atomically: false, encoding: .utf8)
        try Self.report(nvmeGroup: 2).replacingOccurrences(of: "\tIOMMU group: ", with: "\tNUMA node: ")
            .write(toFile: dir + "/no-groups.txt", atomically: false, encoding: .utf8)
        try "file\tkernel\nright.txt\t6.8.0-45-generic\n".write(toFile: dir + "/index.tsv", atomically: false, encoding: .utf8)
        cwd = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(root))
    }

    override func tearDownWithError() throws {
        _ = FileManager.default.changeCurrentDirectoryPath(cwd)
        try? FileManager.default.removeItem(atPath: root)
    }

    func testMachinesAreCasesWithoutGoldens() throws {
        let cases = try CaseDiscovery.discover(root: ".")
        XCTAssertEqual(cases.map(\.name), ["machines/no-groups", "machines/right", "machines/wrong"], "index.tsv is not a case")
        XCTAssertEqual(Set(cases.map(\.kind)), [.machine])

        var options = GoldenRunOptions()
        options.update = .failed
        let report = GoldenRunner().run(cases, all: cases, options: options)
        let status = Dictionary(uniqueKeysWithValues: report.outcomes.map { ($0.case.name, $0.status) })
        XCTAssertEqual(status["machines/right"], .passed)
        XCTAssertEqual(status["machines/wrong"], .failed, "--update does not bless a machine")
        XCTAssertEqual(status["machines/no-groups"], .error)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "golden"), "nothing is written")

        let wrong = try XCTUnwrap(report.outcomes.first { $0.case.name == "machines/wrong" })
        let diff = wrong.renderDiff()
        XCTAssertTrue(diff.contains("--- the kernel's groups recorded in topologies/machines/wrong.txt"), diff)
        XCTAssertTrue(diff.contains("- group: 0000:00:1c.0 rp-00-1c-0, 0000:01:00.0 nvme0"), diff)
        XCTAssertTrue(diff.contains("+ group: 0000:01:00.0 nvme0"), diff)
        XCTAssertTrue(wrong.message.contains("iotopo groups --why --compare recorded topologies/machines/wrong.txt"), wrong.message)
        let none = try XCTUnwrap(report.outcomes.first { $0.case.name == "machines/no-groups" })
        XCTAssertTrue(none.message.contains("records no IOMMU groups"), none.message)
    }

    func testTheIndexGivesTheKernel() throws {
        let cases = try CaseDiscovery.discover(root: ".").filter { $0.name == "machines/right" }
        let out = try XCTUnwrap(CaseOutput.render(try XCTUnwrap(cases.first)))
        XCTAssertTrue(out.hasPrefix("IOMMU groups of right (classic rules, quirks of Linux 6.8)"), out)
    }
}
