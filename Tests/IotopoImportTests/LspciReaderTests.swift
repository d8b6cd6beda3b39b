import IotopoImport
import IotopoModel
import IotopoSource
import XCTest

final class LspciReaderTests: XCTestCase {
    func read(_ text: String) -> (HostDescription?, [Diagnostic]) {
        read(Array(text.utf8))
    }

    func read(_ bytes: [UInt8]) -> (HostDescription?, [Diagnostic]) {
        var r = LspciReader(file: FileID(0))
        let h = r.read(bytes, path: "t.txt")
        return (h, r.sink.diagnostics)
    }

    let usb = "00:14.0 USB controller [0c03]: Intel Corporation Cannon Lake PCH USB 3.1 xHCI Host Controller [8086:a36d] (rev 10) (prog-if 30 [XHCI])\n"

    func testReadsAHeaderWithRevisionAndProgIf() throws {
        let (h, d) = read(usb + "\tSubsystem: Dell Device [1028:0869]\n\tIOMMU group: 5\n\tKernel driver in use: xhci_hcd\n")
        XCTAssertEqual(d, [])
        let f = try XCTUnwrap(h?.functions.first)
        XCTAssertEqual(f.address.description, "0000:00:14.0")
        XCTAssertEqual(f.classCode, 0x0c0330)
        XCTAssertEqual(f.vendor, 0x8086)
        XCTAssertEqual(f.device, 0xa36d)
        XCTAssertEqual(f.revision, 0x10)
        XCTAssertEqual(f.subsystem?.vendor, 0x1028)
        XCTAssertEqual(f.subsystem?.device, 0x0869)
        XCTAssertEqual(f.observedGroup, 5)
        XCTAssertEqual(f.driver, "xhci_hcd")
        XCTAssertEqual(f.portType, .conventional, "no Express capability line: a conventional function")
        XCTAssertEqual(f.description, "Intel Corporation Cannon Lake PCH USB 3.1 xHCI Host Controller [8086:a36d]")
    }

    func testDescriptionsWithBracketsKeepTheLastIDs() throws {
        let (h, _) = read("01:00.0 VGA compatible controller [0300]: Advanced Micro Devices, Inc. [AMD/ATI] Lexa PRO [Radeon 540/540X/550/550X / RX 540X/550/550X] [1002:699f] (rev c7) (prog-if 00 [VGA controller])\n")
        let f = try XCTUnwrap(h?.functions.first)
        XCTAssertEqual(f.vendor, 0x1002)
        XCTAssertEqual(f.device, 0x699f)
        XCTAssertEqual(f.revision, 0xc7)
    }

    func testDomainsIncludingVMDOnes() throws {
        let (h, d) = read("0001:3a:00.0 Ethernet controller [0200]: Intel Corporation Device [8086:1572]\n10000:e1:00.0 Non-Volatile memory controller [0108]: KIOXIA Corporation Device [1e0f:000d] (prog-if 02 [NVM Express])\n")
        XCTAssertEqual(d, [])
        XCTAssertEqual(h?.functions.map(\.address.description), ["0001:3a:00.0", "10000:e1:00.0"])
    }

    func testEveryPortType() throws {
        let types: [(String, PCIPortType)] = [
            ("Endpoint", .endpoint), ("Legacy Endpoint", .legacyEndpoint), ("Root Port (Slot+)", .rootPort),
            ("Upstream Port", .upstreamPort), ("Downstream Port (Slot-)", .downstreamPort),
            ("PCI-Express to PCI/PCI-X Bridge", .pcieToPCI), ("PCI/PCI-X to PCI-Express Bridge", .pciToPCIe),
            ("Root Complex Integrated Endpoint", .rcIntegratedEndpoint), ("Root Complex Event Collector", .rcEventCollector),
        ]
        for (text, type) in types {
            let (h, d) = read(usb + "\tCapabilities: [40] Express (v2) \(text), MSI 00\n")
            XCTAssertEqual(d, [], text)
            XCTAssertEqual(h?.functions.first?.portType, type, text)
        }
        let (old, _) = read(usb + "\tCapabilities: [40] Express Endpoint, MSI 00\n")
        XCTAssertEqual(old?.functions.first?.portType, .endpoint, "pciutils before 3.0 print no version")
    }

    func testACSFlags() throws {
        let (h, d) = read(usb + "\tCapabilities: [140 v1] Access Control Services\n\t\tACSCap:\tSrcValid+ TransBlk+ ReqRedir+ CmpltRedir+ UpstreamFwd- EgressCtrl- DirectTrans-\n\t\tACSCtl:\tSrcValid+ TransBlk- ReqRedir+ CmpltRedir+ UpstreamFwd- EgressCtrl- DirectTrans-\n")
        XCTAssertEqual(d, [])
        let acs = try XCTUnwrap(h?.functions.first?.acs)
        XCTAssertEqual(acs.capability, [.sv, .tb, .rr, .cr])
        XCTAssertEqual(acs.control, [.sv, .rr, .cr])
    }

    func testACSLineMissingAFlagIsAnError() {
        let (_, d) = read(usb + "\tCapabilities: [140 v1] Access Control Services\n\t\tACSCap:\tSrcValid+ TransBlk+\n")
        XCTAssertEqual(d.map(\.id), [ImportCheck.syntax])
        XCTAssertEqual(d.first?.range?.start.line, 3)
    }

    func testAccessDeniedLeavesPortTypeUnknown() throws {
        let (h, _) = read(usb + "\tCapabilities: <access denied>\n")
        let f = try XCTUnwrap(h?.functions.first)
        XCTAssertFalse(f.capabilitiesRead)
        XCTAssertNil(f.portType)
    }

    func testSRIOVAndARI() throws {
        let (h, d) = read(usb + "\tCapabilities: [150 v1] Alternative Routing-ID Interpretation (ARI)\n\tCapabilities: [160 v1] Single Root I/O Virtualization (SR-IOV)\n\t\tIOVCap:\tMigration- 10BitTagReq- IntMsgNum 0\n\t\tInitial VFs: 64, Total VFs: 64, Number of VFs: 8, Function Dependency Link: 00\n\t\tVF offset: 384, stride: 2, Device ID: 1565\n")
        XCTAssertEqual(d, [])
        let f = try XCTUnwrap(h?.functions.first)
        XCTAssertTrue(f.ari)
        XCTAssertEqual(f.sriov, SRIOVCapability(initialVFs: 64, totalVFs: 64, enabledVFs: 8, offset: 384, stride: 2, vfDevice: 0x1565))
        XCTAssertEqual(f.sriov?.vfRID(1, pf: RequesterID(raw: 0x0300))?.description, "04:10.2", "0x300 + 384 + 2 = 0x482")
    }

    func testBridgeBusNumbers() throws {
        let (h, _) = read("00:1c.0 PCI bridge [0604]: Intel Corporation Device [8086:a338] (rev f0) (prog-if 00 [Normal decode])\n\tBus: primary=00, secondary=02, subordinate=05, sec-latency=0\n")
        XCTAssertEqual(h?.functions.first?.buses, BridgeBuses(primary: 0, secondary: 2, subordinate: 5))
    }

    func testLinesItDoesNotNeedAreSkipped() throws {
        let (h, d) = read(usb + "\tControl: I/O- Mem+ BusMaster+\r\n\tRegion 0: Memory at a1200000 (64-bit, non-prefetchable) [size=64K]\n\t\tLnkCap:\tPort #0\npcilib: sysfs_read_vpd: read failed: Input/output error\n\n")
        XCTAssertEqual(d, [])
        XCTAssertEqual(h?.functions.count, 1)
    }

    func testBinaryInputIsRefusedWithItsOffset() {
        let (h, d) = read(Array(usb.utf8) + [0x00, 0x01, 0x02])
        XCTAssertNil(h)
        XCTAssertEqual(d.map(\.id), [ImportCheck.syntax])
        XCTAssertTrue(d.first?.message.contains("byte \(usb.utf8.count)") ?? false, d.first?.message ?? "")
        let (_, bad) = read(Array(usb.utf8) + [0xFF, 0xFE, 0x0A])
        XCTAssertTrue(bad.first?.message.contains("byte \(usb.utf8.count)") ?? false, bad.first?.message ?? "")
    }

    func testGarbledAndTruncatedLinesAreLocated() {
        var (_, d) = read(usb + "this is not lspci\n")
        XCTAssertEqual(d.map(\.id), [ImportCheck.syntax])
        XCTAssertEqual(d.first?.range?.start.line, 2)
        (_, d) = read("00:14.0 USB controller: Intel Corporation Cannon Lake PCH USB 3.1 xHCI Host Controller (rev 10)\n")
        XCTAssertTrue(d.first?.message.contains("-nn") ?? false, "without -nn there are no IDs to read")
        (_, d) = read(usb + "\tCapabilities: [40] Express (v2) Ro")
        XCTAssertEqual(d.map(\.id), [ImportCheck.syntax], "a port type cut off")
        (_, d) = read("\tIOMMU group: 3\n")
        XCTAssertEqual(d.map(\.id), [ImportCheck.syntax])
        (_, d) = read("00:14.0 USB controller [0c03]: Intel Corp")
        XCTAssertEqual(d.map(\.id), [ImportCheck.syntax], "a header cut off")
    }

    func testAFunctionTwiceIsAConflict() {
        let (_, d) = read(usb + usb)
        XCTAssertEqual(d.map(\.id), [ImportCheck.conflict])
        XCTAssertEqual(d.first?.notes.first?.range?.start.line, 1)
    }

    func testEmptyTextImportsNothing() {
        let (h, d) = read("\n\n")
        XCTAssertNil(h)
        XCTAssertEqual(d.map(\.id), [ImportCheck.unreadable])
    }

    func testDetection() {
        XCTAssertTrue(LspciReader.looksLikeLspci(Array(("\n" + usb).utf8)))
        XCTAssertFalse(LspciReader.looksLikeLspci(Array("platform:\n  name: x\n".utf8)))
        XCTAssertFalse(LspciReader.looksLikeLspci([0xFF, 0x00]))
    }
}

/// What the builder names functions, from their class or their virtio type.
final class NamingTests: XCTestCase {
    func testVirtioFunctionsAreNamedByTheirVirtioType() throws {
        let text = """
        00:00.0 Host bridge [0600]: Intel Corporation 440FX - 82441FX PMC [Natoma] [8086:1237] (rev 02)

        00:01.0 Unclassified device [00ff]: Red Hat, Inc. Virtio 1.0 memory balloon [1af4:1045] (rev 01)

        00:02.0 SCSI storage controller [0100]: Red Hat, Inc. Virtio block device [1af4:1001]
        \tSubsystem: Red Hat, Inc. Device [1af4:0002]

        00:03.0 Ethernet controller [0200]: Red Hat, Inc. Virtio 1.0 network device [1af4:1041] (rev 01)

        00:04.0 Unclassified device [00ff]: Red Hat, Inc. Virtio 1.0 socket [1af4:1053] (rev 01)

        """
        let path = NSTemporaryDirectory() + "iotopo-virtio-\(UUID().uuidString).txt"
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let draft = try XCTUnwrap(Importer.run(paths: [path]).draft)
        XCTAssertEqual(draft.devices.map(\.name), ["host0", "virtio-balloon0", "virtio-blk0", "virtio-net0", "virtio-vsock0"])
        XCTAssertEqual(draft.devices.map(\.kind), ["host", "virtio-balloon", "storage", "nic", "virtio-vsock"])
    }
}
