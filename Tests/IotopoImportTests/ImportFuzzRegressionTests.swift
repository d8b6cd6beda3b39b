import Foundation
import IotopoCompiler
import IotopoImport
import IotopoModel
import IotopoSource
import XCTest

/// The findings of the import fuzz harness (Fuzz/Sources/FuzzImport, RELIABILITY.md
/// "Fuzzing the importer"), each reduced by hand to the smallest lspci text that shows it.
/// Every one broke an invariant of the harness on the code before its fix: the import
/// reported no error yet wrote a topology the compiler refused, or a diagnostic named
/// another line than the one read.
final class ImportFuzzRegressionTests: XCTestCase {
    /// Imports `bytes` as lspci text, then compiles what it wrote.
    func importAndCompile(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws -> (ImportResult, CompileResult) {
        let path = NSTemporaryDirectory() + "iotopo-fuzz-regression-\(UUID().uuidString).txt"
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = Importer.run(paths: [path], format: .lspci)
        XCTAssertFalse(r.hasErrors, "import: \(r.diagnostics.map(\.message))", file: file, line: line)
        let text = try XCTUnwrap(r.text, file: file, line: line)
        let c = Compiler.compile(path: "imported.yaml", bytes: Array(text.utf8))
        let errors = c.diagnostics.filter { $0.severity == .error }
        XCTAssertEqual(errors.map(\.message), [], "compile of:\n\(text)", file: file, line: line)
        return (r, c)
    }

    func importAndCompile(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> (ImportResult, CompileResult) {
        try importAndCompile(Array(text.utf8), file: file, line: line)
    }

    let rootPort = "00:1c.0 PCI bridge [0604]: Intel Corporation Device [8086:a33c] (rev f0)\n"
    let nvme = "01:00.0 Non-Volatile memory controller [0108]: Samsung Electronics Co Ltd Device [144d:a808] (prog-if 02 [NVM Express])\n"

    /// A: the reader split lines at LF only, the renderer also at a lone CR, NEL, LS and PS,
    /// so a diagnostic's line number pointed at another line than the one read.
    func testLinesBreakWhereTheRendererBreaksThem() throws {
        for lineBreak in ["\r", "\u{85}", "\u{2028}", "\u{2029}", "\r\n"] {
            let bytes = Array(("00:00.0 Host bridge [0600]: Intel Corporation Device [8086:3e30]" + lineBreak + "00:02.0 garbled\n").utf8)
            var reader = LspciReader(file: FileID(0))
            _ = reader.read(bytes, path: "t.txt")
            let d = try XCTUnwrap(reader.sink.diagnostics.first { $0.id == ImportCheck.syntax }, lineBreak.debugDescription)
            XCTAssertEqual(d.range?.start.line, 2, lineBreak.debugDescription)
            let starts = LineBreaks.starts(bytes)
            XCTAssertEqual(LineBreaks.line(2, starts: starts, bytes: bytes).map { String(decoding: $0, as: UTF8.self) }, "00:02.0 garbled", lineBreak.debugDescription)
        }
    }

    /// B: detection kept the CR of a CR LF line, so a Windows-saved lspci file was read by
    /// the reader but not detected as lspci.
    func testCRLFTextIsDetectedAsLspci() throws {
        let path = NSTemporaryDirectory() + "iotopo-crlf-\(UUID().uuidString).txt"
        let text = rootPort + "\tBus: primary=00, secondary=01, subordinate=01, sec-latency=0\n" + nvme
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.replacingOccurrences(of: "\n", with: "\r\n").utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertEqual(Importer.detect(path: path), .lspci)
        let r = Importer.run(paths: [path])
        XCTAssertFalse(r.hasErrors, "\(r.diagnostics.map(\.message))")
        XCTAssertEqual(r.draft?.bridges.compactMap(\.rid).map(\.description), ["0000:00:1c.0"])
    }

    /// C: a function with a root port's Express capability and no `Bus:` line was written as
    /// a device with `port-type: root-port`, which the language keeps for bridges.
    func testABridgePortTypeWithoutABusIsAFunction() throws {
        let (r, c) = try importAndCompile(rootPort + "\tCapabilities: [40] Express (v2) Root Port (Slot+), MSI 00\n")
        let d = try XCTUnwrap(r.draft?.devices.first)
        XCTAssertNil(d.pci.function.portType)
        XCTAssertTrue(d.comment?.contains("its Express capability says root-port, but no bus of its own is below it") ?? false, d.comment ?? "")
        XCTAssertEqual(c.model?.devices.count, 1)
    }

    /// F: U+2028 in lspci's description ended the YAML comment it was copied into, and what
    /// followed was read as YAML. The reader now breaks lines there, as the renderer and
    /// YAML do, so the rest of the header is a located syntax error, never YAML.
    func testALineSeparatorInAHeaderIsALocatedErrorNotYAML() throws {
        let bytes = Array("00:14.0 USB controller [0c03]: Intel\u{2028}devices: [oops]\u{2029}Corp [8086:a36d]\n".utf8)
        var reader = LspciReader(file: FileID(0))
        _ = reader.read(bytes, path: "t.txt")
        XCTAssertEqual(reader.sink.diagnostics.filter { $0.severity == .error }.map { $0.range?.start.line }, [1, 2, 3])
    }

    /// G: two bridges claiming one secondary bus both became its upstream bridge
    /// (bus-multiple-upstream). The first in address order owns it, as Linux's scan does.
    func testTwoBridgesClaimingOneBusTheFirstOwnsIt() throws {
        let second = "00:1d.0 PCI bridge [0604]: Intel Corporation Device [8086:a330] (rev f0)\n"
        let bus = "\tBus: primary=00, secondary=01, subordinate=01, sec-latency=0\n\tCapabilities: [40] Express (v2) Root Port (Slot+), MSI 00\n"
        let (r, _) = try importAndCompile(rootPort + bus + second + bus + nvme)
        let d = try XCTUnwrap(r.draft)
        XCTAssertEqual(d.bridges.compactMap(\.rid).map(\.description), ["0000:00:1c.0"])
        let loser = try XCTUnwrap(d.devices.first { $0.rid.description == "0000:00:1d.0" })
        XCTAssertTrue(loser.comment?.contains("which 0000:00:1c.0 claims first") ?? false, loser.comment ?? "")
    }

    /// H: a VMD endpoint that also showed bridge bus numbers took its secondary bus for the
    /// domain, and the domain's bus got no bridge (bus-no-path-to-memory).
    func testAVMDEndpointWithBusNumbersIsStillTheDomainsBridge() throws {
        let vmd = "00:0e.0 RAID bus controller [0104]: Intel Corporation Volume Management Device NVMe RAID Controller [8086:9a0b]\n\tBus: primary=00, secondary=05, subordinate=05, sec-latency=0\n"
        let inDomain = "10000:e1:00.0 Non-Volatile memory controller [0108]: KIOXIA Corporation Device [1e0f:000d] (prog-if 02 [NVM Express])\n"
        let (r, _) = try importAndCompile(vmd + inDomain)
        let d = try XCTUnwrap(r.draft)
        XCTAssertEqual(d.bridges.filter { $0.kind == "vmd" }.map(\.downstream), ["bus-10000-e1"])
        XCTAssertFalse(d.buses.contains { $0.name == "bus-05" }, "the VMD endpoint's bus numbers lead nowhere")
    }

    /// I: SR-IOV on a bridge header made its "VFs" name the bridge as their physfn.
    func testSRIOVOnABridgeLinksNoVFs() throws {
        let bridge = rootPort + "\tBus: primary=00, secondary=01, subordinate=01, sec-latency=0\n\tCapabilities: [40] Express (v2) Root Port (Slot+), MSI 00\n"
            + "\tCapabilities: [160 v1] Single Root I/O Virtualization (SR-IOV)\n\t\tIOVCap:\tMigration- 10BitTagReq- IntMsgNum 0\n\t\tInitial VFs: 4, Total VFs: 4, Number of VFs: 1, Function Dependency Link: 00\n\t\tVF offset: 1, stride: 1, Device ID: 10ed\n"
        let vf = "00:1c.1 Ethernet controller [0200]: Intel Corporation Device [8086:10ed]\n"
        let (r, _) = try importAndCompile(bridge + vf + nvme)
        XCTAssertEqual(r.draft?.devices.compactMap(\.pci.physfn), [])
    }

    /// M: SR-IOV counts no hardware holds (NumVFs above TotalVFs, or past the 16-bit
    /// registers) were copied, and the compiler refused `enabled-vfs` above `total-vfs`.
    func testSRIOVCountsNoRegisterHoldsAreWarnedAndClamped() throws {
        for (total, num) in [(8, 18), (70000, 3), (4, 70000)] {
            let pf = "07:00.0 Ethernet controller [0200]: Intel Corporation Device [8086:1572] (rev 01)\n"
                + "\tCapabilities: [160 v1] Single Root I/O Virtualization (SR-IOV)\n\t\tIOVCap:\tMigration- 10BitTagReq- IntMsgNum 0\n"
                + "\t\tInitial VFs: 8, Total VFs: \(total), Number of VFs: \(num), Function Dependency Link: 00\n\t\tVF offset: 16, stride: 1, Device ID: 154c\n"
            let (r, c) = try importAndCompile(pf)
            XCTAssertTrue(r.diagnostics.contains { $0.id == "import-conflict" && $0.message.contains("SR-IOV counts") }, "\(r.diagnostics.map(\.message))")
            XCTAssertNotNil(c.model)
        }
    }

    /// J: a VMD domain with two root buses got one `vmd0` bridge per bus.
    func testAVMDDomainWithTwoRootBusesHasOneVMDBridge() throws {
        let vmd = "00:0e.0 RAID bus controller [0104]: Intel Corporation Volume Management Device NVMe RAID Controller [8086:9a0b]\n"
        let a = "10000:e0:00.0 Non-Volatile memory controller [0108]: KIOXIA Corporation Device [1e0f:000d] (prog-if 02 [NVM Express])\n"
        let b = "10000:e1:00.0 Non-Volatile memory controller [0108]: KIOXIA Corporation Device [1e0f:000d] (prog-if 02 [NVM Express])\n"
        let (r, c) = try importAndCompile(vmd + a + b)
        let d = try XCTUnwrap(r.draft)
        XCTAssertEqual(d.bridges.filter { $0.kind == "vmd" }.map(\.downstream), ["bus-10000-e0"])
        XCTAssertEqual(d.bridges.filter { $0.kind == "bus-bridge" }.map(\.upstream), ["bus-10000-e0"])
        XCTAssertEqual(c.model?.devices.map(\.name), ["nvme0", "nvme1"])
    }

    /// ACS control bits the capability lacks were copied, and the compiler refused them.
    /// The hardware hardwires them to 0: the import warns and takes them as off.
    func testACSControlBeyondTheCapabilityIsWarnedAndDropped() throws {
        let text = rootPort + "\tBus: primary=00, secondary=01, subordinate=01, sec-latency=0\n\tCapabilities: [40] Express (v2) Root Port (Slot+), MSI 00\n"
            + "\tCapabilities: [220 v1] Access Control Services\n\t\tACSCap:\tSrcValid+ TransBlk- ReqRedir- CmpltRedir- UpstreamFwd- EgressCtrl- DirectTrans-\n\t\tACSCtl:\tSrcValid+ TransBlk- ReqRedir+ CmpltRedir- UpstreamFwd+ EgressCtrl- DirectTrans-\n"
            + nvme
        let (r, c) = try importAndCompile(text)
        let w = try XCTUnwrap(r.diagnostics.first { $0.id == ImportCheck.conflict })
        XCTAssertEqual(w.severity, .warning)
        XCTAssertTrue(w.message.contains("ACS control enables rr, uf, which its ACS capability does not implement"), w.message)
        XCTAssertEqual(w.range?.start.line, 1)
        XCTAssertEqual(c.model?.bridges.first { $0.name == "rp-00-1c-0" }?.acs?.control, [.sv])
    }

    /// K: an IOMMU function named after its class (`iommu1`) took the name the import gave
    /// a generic IOMMU at another root bus (`iommu1`): the language has one namespace.
    func testAFunctionNeverTakesAnIOMMUsName() throws {
        let text = """
            00:00.0 Host bridge [0600]: Advanced Micro Devices, Inc. [AMD] Device [1022:14e8]
            00:00.2 IOMMU [0806]: Advanced Micro Devices, Inc. [AMD] Device [1022:14e9]
            \tIOMMU group: 0
            40:00.0 Host bridge [0600]: Some Vendor Device [1bad:0001]
            \tIOMMU group: 1
            40:00.2 IOMMU [0806]: Some Vendor Device [1bad:0002]
            \tIOMMU group: 2

            """
        let (r, c) = try importAndCompile(text)
        let d = try XCTUnwrap(r.draft)
        XCTAssertEqual(d.iommus.map(\.name), ["amdvi0", "iommu1"])
        XCTAssertEqual(d.devices.map(\.name), ["host0", "iommu0", "host1", "iommu1-40-00-2"])
        XCTAssertNotNil(c.model)
    }

    /// L: below an SMMUv3, the functions of a VMD domain all present the VMD endpoint's
    /// requester ID, and the import's refusal of shared stream IDs looked only at their own
    /// segment, so the compiler found the aliasing (stream-id-alias) the import had not marked.
    func testFunctionsOfAVMDDomainShareItsStreamIDBelowAnSMMU() throws {
        let text = """
            0000:00:00.0 PCI bridge [0604]: Ampere Computing, LLC Altra PCI Express Root Complex A [1def:e100] (rev 04)
            \tIOMMU group: 0
            \tBus: primary=00, secondary=01, subordinate=01, sec-latency=0
            \tCapabilities: [40] Express (v2) Root Port (Slot+), MSI 00
            0000:00:0e.0 RAID bus controller [0104]: Intel Corporation Volume Management Device NVMe RAID Controller [8086:9a0b]
            \tIOMMU group: 1
            \tKernel driver in use: vmd
            10000:e0:17.0 SATA controller [0106]: Intel Corporation Device [8086:7ae2] (rev 11) (prog-if 01 [AHCI 1.0])
            \tIOMMU group: 1
            10000:e0:18.0 Non-Volatile memory controller [0108]: Samsung Electronics Co Ltd Device [144d:a80a] (prog-if 02 [NVM Express])
            \tIOMMU group: 1

            """
        let (r, _) = try importAndCompile(text)
        let d = try XCTUnwrap(r.draft)
        XCTAssertEqual(d.iommus.map(\.kind), ["arm-smmuv3"])
        let refused = d.devices.filter { !$0.suppress.isEmpty }.map(\.name)
        XCTAssertEqual(refused, ["sata0", "nvme0"], "the VMD endpoint holds its own ID; every function of its domain presents it")
    }
}
