import Foundation
import XCTest

/// `iotopo import` and `groups --compare` as a user meets them: exit statuses and the words
/// printed, on the built binary.
final class ImportCommandTests: XCTestCase {
    func testCompareExitsZeroWhenThePartitionsAgree() throws {
        let r = try CLI.run(["groups", "--compare", "recorded", "topologies/import/quirks-intel-pch.txt"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("same"), r.stdout)
    }

    func testCompareExitsOneWhenTheyDiffer() throws {
        // Without root, lspci hides ACS: iotopo assumes none and groups more coarsely than the
        // kernel did on that machine.
        let r = try CLI.run(["groups", "--compare", "recorded", "topologies/import/intel-desktop-no-root.txt"])
        XCTAssertEqual(r.status, 1, r.stderr)
    }

    func testNothingToCompareExitsTwoAndSaysWhy() throws {
        let dir = NSTemporaryDirectory() + "iotopo-e2e-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A VM's lspci: no IOMMU, so no `IOMMU group:` lines.
        let lspci = """
            00:00.0 Host bridge [0600]: Intel Corporation 440FX - 82441FX PMC [Natoma] [8086:1237] (rev 02)
            00:03.0 Ethernet controller [0200]: Red Hat, Inc. Virtio 1.0 network device [1af4:1041] (rev 01)
            \tKernel driver in use: virtio-pci

            """
        try lspci.write(toFile: dir + "/vm.txt", atomically: false, encoding: .utf8)
        let imported = try CLI.run(["import", dir + "/vm.txt", "-o", dir + "/vm.yaml"])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        let recorded = try CLI.run(["groups", "--compare", "recorded", dir + "/vm.yaml"])
        XCTAssertEqual(recorded.status, 2)
        XCTAssertTrue(recorded.stderr.contains("records no groups"), recorded.stderr)
        let source = try CLI.run(["groups", "--compare", dir + "/vm.txt", dir + "/vm.yaml"])
        XCTAssertEqual(source.status, 2)
        XCTAssertTrue(source.stderr.contains("records no IOMMU groups"), source.stderr)
    }

    /// A .dts needs dtc: without it on the PATH, import says so, names the package and asks
    /// for the .dtb, and exits 1.
    func testDeviceTreeSourceWithoutDtcSaysSo() throws {
        let r = try CLI.run(["import", "topologies/import/rk3588-board/board.dts"], env: ["PATH": "/nonexistent"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("needs dtc, which is not installed"), r.stderr)
        XCTAssertTrue(r.stderr.contains("device-tree-compiler"), r.stderr)
    }

    /// Tables and lspci of one machine in one command: the DMAR decides the IOMMUs.
    func testTablesJoinLspci() throws {
        let r = try CLI.run(["import", "topologies/import/intel-laptop-dmar/lspci.txt", "topologies/import/intel-laptop-dmar/acpidump.txt"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("include-all: true"), r.stdout)
        XCTAssertTrue(r.stdout.contains("- {rid: 00:02.0}"), r.stdout)
    }
}
