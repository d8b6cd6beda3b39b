import Foundation
import IotopoCompiler
import IotopoFirmware
import IotopoImport
import IotopoModel
import XCTest

/// Importing firmware tables and device trees: what the import must write, and each finding
/// of the firmware fuzz harness (RELIABILITY.md, "Fuzzing the firmware readers"), reduced by
/// hand and checked to fail before its fix.
final class FirmwareImportTests: XCTestCase {
    func importText(_ name: String, _ bytes: [UInt8]) -> ImportResult {
        let dir = NSTemporaryDirectory() + "iotopo-fw-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return Importer.run(paths: [path])
    }

    func compiles(_ r: ImportResult, file: StaticString = #filePath, line: UInt = #line) {
        guard let text = r.text else { return XCTFail("nothing imported: \(r.diagnostics.map(\.message))", file: file, line: line) }
        let dir = NSTemporaryDirectory() + "iotopo-fwc-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/t.yaml"
        try? text.write(toFile: path, atomically: false, encoding: .utf8)
        let c = Compiler.compile(path: path)
        XCTAssertEqual(c.diagnostics.filter { $0.severity == .error }.map(\.message), [], text, file: file, line: line)
    }

    /// An IORT table: header, node count and offset, then the nodes given.
    static func iort(_ nodes: [[UInt8]]) -> [UInt8] {
        FirmwareBytes.table("IORT", revision: 3, le32(UInt32(nodes.count)) + le32(48) + le32(0) + nodes.flatMap { $0 })
    }

    static func le32(_ v: UInt32) -> [UInt8] { FirmwareBytes.le32(v) }
    static func le64(_ v: UInt64) -> [UInt8] { FirmwareBytes.le64(v) }

    /// Finding A of the firmware harness: a named component mapping to an SMMUv2 with an output
    /// ID past 16 bits was imported with that ID, and the topology failed stream-id-too-wide.
    /// Linux refuses such a device ("stream ID out of range for SMMU"): the ID is left out with
    /// a warning, and a master left with no ID is written with dma: false.
    func testFindingA_StreamIDWiderThanSMMUv2() {
        // SMMUv1/v2 node at 48: header (16) + 44 bytes of fields.
        var smmu: [UInt8] = [3, 60, 0, 0] + Self.le32(0) + Self.le32(0) + Self.le32(0)
        smmu += Self.le64(0x1500_0000) + Self.le64(0x10_0000) + Self.le32(3) + Self.le32(0)
        smmu += Self.le32(60) + Self.le32(0) + Self.le32(60) + Self.le32(0) + Self.le32(60)
        XCTAssertEqual(smmu.count, 60)
        // Named component at 108 with one single mapping to the SMMU at 48.
        var nc: [UInt8] = [1, 0, 0, 0] + Self.le32(0) + Self.le32(1) + Self.le32(44)
        nc += Self.le32(0) + Self.le64(0) + [36] + Array("\\_SB.ARPC".utf8) + [0, 0, 0, 0, 0, 0]
        XCTAssertEqual(nc.count, 44)
        nc += Self.le32(0) + Self.le32(0) + Self.le32(0x8000_1024) + Self.le32(48) + Self.le32(1)
        nc[1] = UInt8(nc.count)
        let r = importText("iort.bin", Self.iort([smmu, nc]))
        XCTAssertEqual(r.diagnostics.map(\.id), [FirmwareLint.idTooWide])
        XCTAssertTrue(r.text?.contains("dma: false") ?? false, r.text ?? "")
        compiles(r)
    }

    /// A DMAR scope through a root port names the function below it, and its RMRR lands on it.
    func testDMARScopesResolveThroughBridges() throws {
        let lspci = """
        00:00.0 Host bridge [0600]: Intel Corporation Device [8086:3e30]

        00:1c.0 PCI bridge [0604]: Intel Corporation Device [8086:a338] (prog-if 00 [Normal decode])
        \tBus: primary=00, secondary=01, subordinate=01, sec-latency=0
        \tCapabilities: [40] Express (v2) Root Port (Slot+), MSI 00

        01:00.0 Non-Volatile memory controller [0108]: Samsung Electronics Co Ltd Device [144d:a808] (prog-if 02 [NVM Express])
        \tCapabilities: [70] Express (v2) Endpoint, MSI 00

        """
        // Host address width 39 (38 + 1), flags 1; a DRHD with include-all, then an RMRR with a
        // two-hop scope 00:1c.0 -> 00.0.
        var body: [UInt8] = [38, 1] + [UInt8](repeating: 0, count: 10)
        body += [0, 0, 16, 0, 1, 0, 0, 0] + Self.le64(0xFED9_0000)
        body += [1, 0, 34, 0, 0, 0, 0, 0] + Self.le64(0x7B00_0000) + Self.le64(0x7B0F_FFFF) + [1, 10, 0, 0, 0, 0, 0x1C, 0, 0, 0]
        let t = FirmwareBytes.table("DMAR", revision: 1, body)
        let dir = NSTemporaryDirectory() + "iotopo-dmar-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try lspci.write(toFile: dir + "/lspci.txt", atomically: false, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: dir + "/dmar.dat", contents: Data(t))
        let r = Importer.run(paths: [dir + "/lspci.txt", dir + "/dmar.dat"])
        XCTAssertEqual(r.diagnostics.filter { $0.severity != .warning || $0.id != "import-assumed" }.map(\.message), [])
        let nvme = try XCTUnwrap(r.draft?.devices.first { $0.rid.description == "0000:01:00.0" })
        XCTAssertEqual(nvme.reserved.map(\.base), [0x7B00_0000])
        XCTAssertEqual(nvme.reserved.map(\.size), [0x10_0000])
        XCTAssertEqual(r.draft?.iommus.map(\.includeAll), [true])
        compiles(r)
    }
}

/// Device-tree findings of the firmware fuzz harness; they need dtc to build their input.
final class DeviceTreeImportTests: XCTestCase {
    func dtb(_ source: String) throws -> String { try FirmwareBytes.dtb(source) }

    /// Finding C: a bus whose dma-ranges lead into a hole was imported with that window, and
    /// the topology failed window-unreachable. The window is left out with a warning, and the
    /// masters of a bus left with none are written with dma: false.
    func testFindingC_WindowIntoAHole() throws {
        let path = try dtb("""
        /dts-v1/;
        / {
            #address-cells = <2>; #size-cells = <2>;
            memory@80000000 { device_type = "memory"; reg = <0x0 0x80000000 0x0 0x40000000>; };
            smmu: iommu@15000000 { compatible = "arm,mmu-500"; #iommu-cells = <2>; };
            bus@0 {
                #address-cells = <1>; #size-cells = <1>; ranges;
                dma-ranges = <0x0 0x0 0x10000000 0x10000000>;
                dma@900000 { compatible = "x,dma"; iommus = <&smmu 0x136 0x0>; };
            };
        };
        """)
        let r = Importer.run(paths: [path])
        XCTAssertTrue(r.diagnostics.contains { $0.id == DeviceTreeLint.dmaRangesRAM && $0.message.contains("reaches no memory") },
                      r.diagnostics.map(\.message).joined(separator: "\n"))
        let text = try XCTUnwrap(r.text)
        XCTAssertFalse(text.contains("windows:"), text)
        XCTAssertTrue(text.contains("dma: false"), text)
        let dir = NSTemporaryDirectory() + "iotopo-dtc-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try text.write(toFile: dir + "/t.yaml", atomically: false, encoding: .utf8)
        let c = Compiler.compile(path: dir + "/t.yaml")
        XCTAssertEqual(c.diagnostics.filter { $0.severity == .error }.map(\.message), [])
    }
}

extension DeviceTreeImportTests {
    /// Finding D: a DT node with a 200-character name gave a bus name past the language's 128
    /// characters, and the topology failed bad-name. Names taken from node names are cut to
    /// 48 characters.
    func testFindingD_LongNodeName() throws {
        let long = String(repeating: "mem-0040-01-", count: 16)
        let path = try dtb("""
        /dts-v1/;
        / {
            #address-cells = <2>; #size-cells = <2>;
            smmu: iommu@15000000 { compatible = "arm,mmu-500"; #iommu-cells = <2>; };
            \(long)bus@0 {
                #address-cells = <1>; #size-cells = <1>; ranges;
                \(long)dma@900000 { compatible = "x,dma"; iommus = <&smmu 0x136 0x0>; };
            };
        };
        """)
        let r = Importer.run(paths: [path])
        let text = try XCTUnwrap(r.text)
        let dir = NSTemporaryDirectory() + "iotopo-dtn-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try text.write(toFile: dir + "/t.yaml", atomically: false, encoding: .utf8)
        let c = Compiler.compile(path: dir + "/t.yaml")
        XCTAssertEqual(c.diagnostics.filter { $0.severity == .error }.map(\.message), [])
    }
}

extension FirmwareImportTests {
    /// An IVRS alias on the function's own bus becomes a DMA alias (setup_aliases), and so
    /// joins the alias holder's group: here 00:11.0's requests also arrive as 00:11.1.
    func testIVRSSameBusAliasBecomesADMAAlias() throws {
        let lspci = """
        00:00.0 Host bridge [0600]: Advanced Micro Devices, Inc. [AMD] Device [1022:1480]

        00:11.0 SATA controller [0106]: Advanced Micro Devices, Inc. [AMD] Device [1022:7901] (prog-if 01 [AHCI 1.0])
        \tCapabilities: [70] Express (v2) Root Complex Integrated Endpoint, MSI 00

        00:12.0 USB controller [0c03]: Advanced Micro Devices, Inc. [AMD] Device [1022:7908] (prog-if 20 [EHCI])
        \tCapabilities: [70] Express (v2) Root Complex Integrated Endpoint, MSI 00

        """
        var body = Self.le32(0x0020_3041) + [UInt8](repeating: 0, count: 8)
        var ivhd: [UInt8] = [0x10, 0xB0, 0, 0] + [0x02, 0x00, 0x40, 0x00] + Self.le64(0xFEB8_0000) + [0, 0, 0, 0] + Self.le32(0)
        ivhd += [0x03, 0x08, 0x00, 0] + [0x04, 0xFF, 0x00, 0]                   // range 00:01.0 - 00:1f.7
        ivhd += [0x42, 0x88, 0x00, 0, 0, 0x89, 0x00, 0]                          // 00:11.0 as 00:11.1
        ivhd[2] = UInt8(ivhd.count)
        body += ivhd
        let t = FirmwareBytes.table("IVRS", revision: 2, body)
        let dir = NSTemporaryDirectory() + "iotopo-ivrs-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try lspci.write(toFile: dir + "/lspci.txt", atomically: false, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: dir + "/ivrs.dat", contents: Data(t))
        let r = Importer.run(paths: [dir + "/lspci.txt", dir + "/ivrs.dat"])
        XCTAssertFalse(r.hasErrors, r.diagnostics.map(\.message).joined(separator: "\n"))
        XCTAssertTrue(r.text?.contains("- {rid: 00:11.0, as: 00:11.1}") ?? false, r.text ?? "")
        compiles(r)
        // Compiled, the alias is a DMA alias of 00:11.0 (it would join 00:11.1's group) and a
        // second ID it presents at the IOMMU.
        let out = NSTemporaryDirectory() + "iotopo-ivrsa-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try (r.text ?? "").write(toFile: out + "/t.yaml", atomically: false, encoding: .utf8)
        let m = try XCTUnwrap(Compiler.compile(path: out + "/t.yaml").model)
        let sata = try XCTUnwrap(m.devices.firstIndex(where: { (d: Device) in d.rid?.description == "00:11.0" }))
        let topo = Topology(m)
        let p = topo.path(of: m.devices[sata])
        let k = try XCTUnwrap(p.steps.firstIndex(where: { (s: PathStep) -> Bool in if case .iommu = s { return true } else { return false } }))
        XCTAssertEqual(m.streamIDs(of: DeviceID(sata), path: p, at: k).ids, [0x88, 0x89])
    }
}
