import IotopoModel
import IotopoQuirks
import XCTest

/// The quirk table answers as drivers/pci/quirks.c does: which entry matches, under which
/// conditions, from which release.
final class QuirkTableTests: XCTestCase {
    private func subject(_ vendor: UInt16, _ device: UInt16, _ type: PCIPortType, devfn: UInt8 = 0, multifunction: Bool = false,
                         subsystem: PCIID? = nil, onRootBus: Bool = true, acs: Bool = false, amd: Bool = false) -> QuirkSubject {
        QuirkSubject(id: PCIID(vendor: vendor, device: device), classCode: nil, portType: type, multifunction: multifunction, devfn: devfn,
                     subsystem: subsystem, onRootBus: onRootBus, hasACSCapability: acs, amdIOMMU: amd)
    }

    private func acsQuirk(_ s: QuirkSubject, _ release: KernelRelease = QuirkTable.newest) -> (String, ACSFlags)? {
        for q in QuirkTable.applying(to: s, release: release) {
            if case let .acs(provides) = q.effect { return (q.function, provides) }
        }
        return nil
    }

    private func aliases(_ s: QuirkSubject, _ release: KernelRelease = QuirkTable.newest) -> [UInt8] {
        QuirkTable.applying(to: s, release: release).flatMap { q -> [UInt8] in
            if case let .dmaAliases(list) = q.effect { return list }
            return []
        }
    }

    func testIntelRCiEPQuirkArrivedIn58() {
        let wifi = subject(0x8086, 0xA370, .rcIntegratedEndpoint, devfn: 0xA3, multifunction: true)
        XCTAssertEqual(acsQuirk(wifi, KernelRelease(5, 8))?.0, "pci_quirk_rciep_acs")
        XCTAssertNil(acsQuirk(wifi, KernelRelease(5, 7)), "Linux 5.7 has no RCiEP quirk")
        // The same Intel ID as an ordinary endpoint: the quirk answers -ENOTTY.
        XCTAssertNil(acsQuirk(subject(0x8086, 0xA370, .endpoint)))
    }

    func testPCHRootPortsOnlyAsRootPorts() {
        XCTAssertEqual(acsQuirk(subject(0x8086, 0x8C10, .rootPort))?.0, "pci_quirk_intel_pch_acs")
        XCTAssertEqual(acsQuirk(subject(0x8086, 0x8C10, .rootPort))?.1, [.sv, .rr, .cr, .uf])
        XCTAssertNil(acsQuirk(subject(0x8086, 0x8C10, .downstreamPort)))
        // 0x1d11 is not in Patsburg's list (only the even IDs are).
        XCTAssertNil(acsQuirk(subject(0x8086, 0x1D11, .rootPort)))
        XCTAssertEqual(acsQuirk(subject(0x8086, 0x1D10, .rootPort))?.0, "pci_quirk_intel_pch_acs")
    }

    func testSunrisePointNeedsItsACSCapability() {
        XCTAssertEqual(acsQuirk(subject(0x8086, 0xA290, .rootPort, acs: true))?.0, "pci_quirk_intel_spt_pch_acs")
        XCTAssertNil(acsQuirk(subject(0x8086, 0xA290, .rootPort, acs: false)), "no acs_cap: -ENOTTY")
        XCTAssertNil(acsQuirk(subject(0x8086, 0xA2E6, .rootPort, acs: true)), "just below Union Point's second range")
        XCTAssertNil(acsQuirk(subject(0x8086, 0x9D10, .rootPort, acs: true), KernelRelease(5, 6)))
    }

    func testAMDSouthbridgeConditions() throws {
        let smbus = subject(0x1002, 0x4385, .conventional, devfn: 0xA0, multifunction: true, amd: true)
        let (fn, provides) = try XCTUnwrap(acsQuirk(smbus))
        XCTAssertEqual(fn, "pci_quirk_amd_sb_acs")
        // It filters the request to RR, CR, EC, DT and provides RR and CR: a group request
        // (SV, RR, CR, UF) is met; a request for EC or DT is not.
        XCTAssertTrue(provides.isSuperset(of: .required))
        XCTAssertFalse(provides.contains(.ec))
        XCTAssertFalse(provides.contains(.dt))
        var s = smbus
        s.multifunction = false
        XCTAssertNil(acsQuirk(s), "single-function: -ENODEV")
        s = smbus
        s.onRootBus = false
        XCTAssertNil(acsQuirk(s), "off the root bus: -ENODEV")
        s = smbus
        s.amdIOMMU = false
        XCTAssertNil(acsQuirk(s), "no IVRS: -ENODEV")
    }

    func testTheFirstAnsweringEntryWins() {
        // Zhaoxin ports: listed IDs isolate; any other root or downstream port is answered
        // 'not isolated' by the same function, whatever capability it has.
        XCTAssertEqual(acsQuirk(subject(0x1D17, 0x0715, .rootPort))?.1, [.sv, .rr, .cr, .uf])
        XCTAssertEqual(acsQuirk(subject(0x1D17, 0x0799, .downstreamPort, acs: true))?.1, [])
        XCTAssertNil(acsQuirk(subject(0x1D17, 0x0799, .endpoint)), "not a port: -ENOTTY")
        // Zhaoxin's multifunction endpoint 0x3038 is answered by its mf_endpoint entry.
        XCTAssertEqual(acsQuirk(subject(0x1D17, 0x3038, .endpoint))?.0, "pci_quirk_mf_endpoint_acs")
        // Wangxun FF5xxx: isolated from 6.13, 'not isolated' by the catch-all before.
        XCTAssertEqual(acsQuirk(subject(0x8088, 0x5010, .endpoint), KernelRelease(6, 13))?.1, [.sv, .rr, .cr, .uf])
        XCTAssertEqual(acsQuirk(subject(0x8088, 0x5010, .endpoint), KernelRelease(6, 5))?.1, [])
    }

    func testFunctionAliases() {
        // Marvell 88SE9230 DMAs as function 1 of its slot, whether or not function 1 exists.
        XCTAssertEqual(aliases(subject(0x1B4B, 0x9230, .legacyEndpoint, devfn: 0x00)), [0x01])
        XCTAssertEqual(aliases(subject(0x1B4B, 0x9230, .legacyEndpoint, devfn: 0x41)), [], "function 1 itself")
        XCTAssertEqual(aliases(subject(0x1180, 0xE832, .endpoint, devfn: 0x0B)), [0x08], "Ricoh: function 0 of slot 1")
    }

    func testFixedAliasNeedsTheSubsystem() {
        let adaptec = PCIID(vendor: 0x9005, device: 0x02BB)
        XCTAssertEqual(aliases(subject(0x9005, 0x0285, .endpoint, devfn: 0x70, subsystem: adaptec)), [0x08])
        XCTAssertEqual(aliases(subject(0x9005, 0x0285, .endpoint, devfn: 0x70, subsystem: PCIID(vendor: 0x9005, device: 0x0290))), [])
        XCTAssertEqual(aliases(subject(0x9005, 0x0285, .endpoint, devfn: 0x70)), [])
    }

    func testNTBAliases() {
        let vca = aliases(subject(0x8086, 0x2954, .endpoint, devfn: 0x00))
        XCTAssertEqual(vca.count, 32 * 5 - 1, "functions 0-4 of every slot, less its own")
        XCTAssertTrue(vca.contains(0xFC))
        XCTAssertFalse(vca.contains(0x05))
        XCTAssertEqual(aliases(subject(0x10B5, 0x87B0, .endpoint, devfn: 0x10)).count, 255)
    }

    func testTheASPEEDNoAliasFlagOnlyWhenAskedFor() {
        let ast = subject(0x1A03, 0x1150, .pcieToPCI)
        XCTAssertEqual(QuirkTable.applying(to: ast, release: QuirkTable.newest).count, 0, "not in 6.18")
        XCTAssertEqual(QuirkTable.applying(to: ast, release: KernelRelease(7, 0)).map(\.effect), [.bridgeNoAlias])
    }

    /// One device for every kernel function the table mirrors: the quirk applies to it with
    /// its effect from the release that added it, and not in the release before. (The
    /// Intel PCH, Sunrise Point, AMD southbridge, RCiEP, ASPEED and fixed-alias entries,
    /// whose conditions are richer, have tests of their own above.)
    func testOneDevicePerQuirkFunction() {
        let isolating: ACSFlags = [.sv, .rr, .cr, .uf]
        let mf: ACSFlags = [.sv, .tb, .rr, .cr, .uf, .dt]
        let cases: [(String, QuirkSubject, AppliedQuirk.Effect, KernelRelease)] = [
            ("pci_quirk_mf_endpoint_acs", subject(0x8086, 0x1521, .endpoint, multifunction: true), .acs(provides: mf), KernelRelease(3, 18)),
            ("pci_quirk_qcom_rp_acs", subject(0x17CB, 0x0400, .rootPort), .acs(provides: isolating), KernelRelease(4, 16)),
            ("pci_quirk_qcom_rp_acs", subject(0x1DBF, 0x0401, .rootPort), .acs(provides: isolating), KernelRelease(4, 19)),
            ("pci_quirk_cavium_acs", subject(0x177D, 0xA100, .rootPort), .acs(provides: isolating), KernelRelease(4, 6)),
            ("pci_quirk_cavium_acs", subject(0x177D, 0xAF84, .rootPort), .acs(provides: isolating), KernelRelease(5, 7)),
            ("pci_quirk_xgene_acs", subject(0x10E8, 0xE004, .rootPort), .acs(provides: isolating), KernelRelease(4, 16)),
            ("pci_quirk_xgene_acs", subject(0x1DEF, 0xE00A, .rootPort), .acs(provides: isolating), KernelRelease(5, 14)),
            ("pci_quirk_brcm_acs", subject(0x14E4, 0xD714, .rootPort), .acs(provides: isolating), KernelRelease(5, 6)),
            ("pci_quirk_loongson_acs", subject(0x0014, 0x7A09, .rootPort), .acs(provides: isolating), KernelRelease(6, 0)),
            ("pci_quirk_loongson_acs", subject(0x0014, 0x7A39, .rootPort), .acs(provides: isolating), KernelRelease(6, 3)),
            ("pci_quirk_al_acs", subject(0x1C36, 0x0031, .rootPort), .acs(provides: isolating), KernelRelease(5, 5)),
            ("pci_quirk_nxp_rp_acs", subject(0x1957, 0x8D81, .rootPort), .acs(provides: isolating), KernelRelease(5, 10)),
            ("pci_quirk_zhaoxin_pcie_ports_acs", subject(0x1D17, 0x0715, .downstreamPort), .acs(provides: isolating), KernelRelease(5, 10)),
            ("pci_quirk_zhaoxin_pcie_ports_acs", subject(0x1D17, 0x0722, .rootPort), .acs(provides: []), KernelRelease(5, 10)),
            ("pci_quirk_wangxun_nic_acs", subject(0x8088, 0x1001, .endpoint), .acs(provides: isolating), KernelRelease(6, 1)),
            ("pci_quirk_wangxun_nic_acs", subject(0x8088, 0x5025, .endpoint), .acs(provides: isolating), KernelRelease(6, 13)),
            ("quirk_dma_func0_alias", subject(0x1180, 0xE832, .endpoint, devfn: 1, multifunction: true), .dmaAliases([0]), KernelRelease(3, 15)),
            ("quirk_dma_func1_alias", subject(0x1B4B, 0x9230, .endpoint), .dmaAliases([1]), KernelRelease(3, 15)),
            ("quirk_dma_func1_alias", subject(0x1B4B, 0x9215, .endpoint), .dmaAliases([1]), KernelRelease(4, 1)),
            ("quirk_use_pcie_bridge_dma_alias", subject(0x1B21, 0x1080, .conventional), .pcieBridgeAlias, KernelRelease(3, 17)),
            ("quirk_mic_x200_dma_alias", subject(0x8086, 0x2260, .endpoint), .dmaAliases([0x80, 0x88, 0x93]), KernelRelease(4, 5)),
            ("quirk_plx_ntb_dma_alias", subject(0x10B5, 0x87B0, .endpoint), .dmaAliases((1 ... 255).map { UInt8($0) }), KernelRelease(5, 6)),
            ("quirk_bridge_cavm_thrx2_pcie_root", subject(0x14E4, 0x9084, .rootPort), .translationRoot, KernelRelease(4, 12)),
        ]
        for (function, s, effect, since) in cases {
            let id = "\(function) on \(s.id)"
            let now = QuirkTable.applying(to: s, release: since)
            XCTAssertEqual(now.first?.function, function, id)
            XCTAssertEqual(now.first?.effect, effect, id)
            let before = KernelRelease(since.major, since.minor - 1)
            // Before it the entry is absent (a catch-all of the same function, answering 'not
            // isolated', may apply instead: Wangxun's).
            XCTAssertFalse(QuirkTable.applying(to: s, release: before).contains { $0.function == function && $0.effect == effect }, "\(id) before \(since)")
        }
        // The VCA alias gives functions 0 to 4 of every slot (its own devfn, 00.0, aside; as
        // for the PLX NTB above).
        let vca = QuirkTable.applying(to: subject(0x8086, 0x2954, .endpoint), release: QuirkTable.newest)
        XCTAssertEqual(vca.first?.function, "quirk_pex_vca_alias")
        if case let .dmaAliases(list)? = vca.first?.effect {
            XCTAssertEqual(list.count, 159)
            XCTAssertTrue(list.contains(0xFC) && !list.contains(0x05))
        } else {
            XCTFail("no VCA alias")
        }
    }

    func testEveryEntryIsWellFormed() {
        for q in QuirkTable.entries {
            if q.function != "quirk_aspeed_pci_bridge_no_aliases" { XCTAssertLessThanOrEqual(q.since, QuirkTable.newest, q.function) }
            XCTAssertFalse(q.note.isEmpty, q.function)
            if case .acs = q.effect { XCTAssertTrue(q.function.hasPrefix("pci_quirk_"), q.function) }
            else { XCTAssertTrue(q.function.hasPrefix("quirk_"), q.function) }
        }
    }
}
