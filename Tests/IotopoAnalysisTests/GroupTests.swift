import Foundation
import IotopoAnalysis
import IotopoCompiler
import IotopoModel
import XCTest

/// Compiles a topology given as text; fails the test on errors.
func model(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> SystemModel {
    let dir = NSTemporaryDirectory() + "iotopo-analysis-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/platform.yaml"
    try text.write(toFile: path, atomically: false, encoding: .utf8)
    let r = Compiler.compile(path: path)
    let errors = r.diagnostics.filter { $0.severity == .error }
    XCTAssertTrue(errors.isEmpty, errors.map(\.message).joined(separator: "\n"), file: file, line: line)
    return try XCTUnwrap(r.model, file: file, line: line)
}

/// The groups as sets of member names, in group order.
func groups(_ m: SystemModel, _ policy: ACSPolicy = .classic) -> [[String]] {
    GroupAnalysis(m, policy: policy).groups.map { g in
        g.members.map { mem -> String in
            switch mem {
            case let .pci(.device(d)), let .platform(d): return m.devices[d].name
            case let .pci(.bridge(b)): return m.bridges[b].name
            }
        }
    }
}

/// A header shared by the examples: memory, the system bus, a host bridge with a VT-d unit.
let header = """
platform: {name: example}
x-acs: &acs {capability: [sv, rr, cr, uf], control: [sv, rr, cr, uf]}
memory:
  - {name: dram, base: 0, size: 4GiB, kind: ram}
iommus:
  - {name: dmar0, kind: intel-vtd, at: rc0}

"""

final class GroupTests: XCTestCase {
    /// Documentation/driver-api/vfio.rst: a sound card's two functions, 06:0d.0 and 06:0d.1,
    /// behind the conventional PCI bridge 00:1e.0 share group 26 with the bridge.
    func testVFIODocumentationExample() throws {
        let m = try model(header + """
        buses:
          - {name: system, kind: system}
          - {name: pcie0, kind: pcie, number: 0}
          - {name: pci6, kind: pci, number: 6}
        bridges:
          - {name: rc0, kind: root-complex, upstream: system, downstream: pcie0}
          - {name: dmi2pci, kind: pcie-to-pci, rid: 00:1e.0, upstream: pcie0, downstream: pci6}
        devices:
          - {name: emu10k1, kind: audio, bus: pci6, rid: 06:0d.0, multifunction: true}
          - {name: emu10k1-gp, kind: input, bus: pci6, rid: 06:0d.1, multifunction: true, dma: false}
          - {name: nvme0, kind: nvme, bus: pcie0, rid: 00:02.0}
        """)
        XCTAssertEqual(groups(m), [["nvme0"], ["dmi2pci", "emu10k1", "emu10k1-gp"]])
        // The 2025 rules: the devices behind the bridge alias to 06:00.0, which only they
        // use, and a bridge without MMIO of its own is isolated from its bus.
        XCTAssertEqual(groups(m, .egress), [["nvme0"], ["dmi2pci"], ["emu10k1", "emu10k1-gp"]])
        let g = GroupAnalysis(m)
        let reason = try XCTUnwrap(g.groups[1].reasons.last)
        XCTAssertEqual(reason.rule, .alias)
        XCTAssertTrue(reason.text.contains("PCIe-to-PCI bridge 'dmi2pci' above it presents its DMA to the IOMMU as 0000:06:00.0, so the two share a group"), reason.text)
        let p = Passthrough(g, m)
        XCTAssertEqual(p.verdicts.first { m.devices[$0.device].name == "emu10k1" }?.status, .shared(group: 1, with: [DeviceID(1)]),
                       "the other function masters no DMA but is a member: VFIO takes it too")
    }

    static let rootPorts = """
    buses:
      - {name: system, kind: system}
      - {name: pcie0, kind: pcie, number: 0}
      - {name: pcie1, kind: pcie, number: 1}
      - {name: pcie2, kind: pcie, number: 2}
    bridges:
      - {name: rc0, kind: root-complex, upstream: system, downstream: pcie0}
      - {name: rp0, kind: root-port, rid: 00:1c.0, upstream: pcie0, downstream: pcie1, MF0}
      - {name: rp1, kind: root-port, rid: 00:1c.SLOT, upstream: pcie0, downstream: pcie2, MF1}
    devices:
      - {name: nic0, kind: nic, bus: pcie1, rid: 01:00.0}
      - {name: nvme0, kind: nvme, bus: pcie2, rid: 02:00.0}
    """

    /// Root ports without ACS: each keeps its children; two functions of one multifunction
    /// root port without ACS (Intel PCH root ports) merge everything below both.
    func testRootPortsWithoutACS() throws {
        let single = try model(header + Self.rootPorts.replacingOccurrences(of: "SLOT", with: "4")
            .replacingOccurrences(of: ", MF0", with: "").replacingOccurrences(of: ", MF1", with: ""))
        XCTAssertEqual(groups(single), [["rp0", "nic0"], ["rp1", "nvme0"]])
        // The 2025 rules: a PCIe link is point to point; a root port with no ACS capability
        // is assumed to have no loopback, so its child is isolated.
        XCTAssertEqual(groups(single, .egress), [["rp0"], ["rp1"], ["nic0"], ["nvme0"]])
        let flagsOff = try model(header + Self.rootPorts.replacingOccurrences(of: "SLOT", with: "4")
            .replacingOccurrences(of: "MF0", with: "acs: {capability: [sv, rr, cr, uf], control: [sv]}").replacingOccurrences(of: ", MF1", with: ""))
        XCTAssertEqual(groups(flagsOff, .egress), [["rp0", "nic0"], ["rp1"], ["nvme0"]], "a capability with its flags off does not isolate")
        let g = GroupAnalysis(single)
        XCTAssertEqual(g.groups[0].reasons[1].rule, .upstreamWithoutACS)
        XCTAssertTrue(g.groups[0].reasons[1].text.contains("root port 'rp0' above it has no ACS capability"), g.groups[0].reasons[1].text)

        let multi = try model(header + Self.rootPorts.replacingOccurrences(of: "SLOT", with: "1")
            .replacingOccurrences(of: "MF0", with: "multifunction: true").replacingOccurrences(of: "MF1", with: "multifunction: true"))
        XCTAssertEqual(groups(multi), [["rp0", "rp1", "nic0", "nvme0"]])
        // The 2025 rules: functions with no ACS capability are taken to have no internal
        // loopback, so the two root ports and what is below them stay apart.
        XCTAssertEqual(groups(multi, .egress), [["rp0"], ["rp1"], ["nic0"], ["nvme0"]])
        let multiOff = try model(header + Self.rootPorts.replacingOccurrences(of: "SLOT", with: "1")
            .replacingOccurrences(of: "MF0", with: "multifunction: true, acs: {capability: [sv, rr, cr, uf], control: []}")
            .replacingOccurrences(of: "MF1", with: "multifunction: true"))
        XCTAssertEqual(groups(multiOff, .egress), [["rp0", "rp1", "nic0", "nvme0"]],
                       "a capability with its flags off loops back, and the group takes what is below both ports")

        let isolated = try model(header + Self.rootPorts.replacingOccurrences(of: "SLOT", with: "1")
            .replacingOccurrences(of: "MF0", with: "multifunction: true, acs: *acs").replacingOccurrences(of: "MF1", with: "multifunction: true, acs: *acs"))
        XCTAssertEqual(groups(isolated), [["rp0"], ["rp1"], ["nic0"], ["nvme0"]])
    }

    /// A multifunction endpoint whose functions disagree on ACS: the classic rule merges
    /// only functions that both lack it.
    func testMultifunctionDeviceWithMixedACS() throws {
        let m = try model(header + """
        buses:
          - {name: system, kind: system}
          - {name: pcie0, kind: pcie, number: 0}
          - {name: pcie1, kind: pcie, number: 1}
        bridges:
          - {name: rc0, kind: root-complex, upstream: system, downstream: pcie0}
          - {name: rp0, kind: root-port, rid: 00:1c.0, upstream: pcie0, downstream: pcie1, acs: *acs}
        devices:
          - {name: f0, kind: nic, bus: pcie1, rid: 01:00.0, multifunction: true, acs: *acs}
          - {name: f1, kind: nic, bus: pcie1, rid: 01:00.1, multifunction: true, acs: *acs}
          - {name: f2, kind: nic, bus: pcie1, rid: 01:00.2, multifunction: true}
          - {name: f3, kind: nic, bus: pcie1, rid: 01:00.3, multifunction: true, acs: {capability: [sv, rr, cr, uf], control: [sv]}}
        """)
        XCTAssertEqual(groups(m), [["rp0"], ["f0"], ["f1"], ["f2", "f3"]])
        // The 2025 rules: f3 has an ACS capability that does not isolate, so it can reach
        // every other function of the device, and all four share a group; f2, without a
        // capability, no longer pulls anything in by itself.
        XCTAssertEqual(groups(m, .egress), [["rp0"], ["f0", "f1", "f2", "f3"]])
        let reason = GroupAnalysis(m).groups[3].reasons[1]
        XCTAssertEqual(reason.rule, .multifunction)
        XCTAssertTrue(reason.text.contains("'f3' (ACS RR, CR, UF not enabled)"), reason.text)
    }

    static let switchWithoutACS = """
    buses:
      - {name: system, kind: system}
      - {name: pcie0, kind: pcie, number: 0}
      - {name: pcie1, kind: pcie, number: 1}
      - {name: pcie2, kind: pcie, number: 2}
      - {name: pcie3, kind: pcie, number: 3}
      - {name: pcie4, kind: pcie, number: 4}
    bridges:
      - {name: rc0, kind: root-complex, upstream: system, downstream: pcie0}
      - {name: rp0, kind: root-port, rid: 00:1c.0, upstream: pcie0, downstream: pcie1, acs: *acs}
      - {name: up, kind: switch-upstream, rid: 01:00.0, upstream: pcie1, downstream: pcie2}
      - {name: dn0, kind: switch-downstream, rid: 02:00.0, upstream: pcie2, downstream: pcie3}
      - {name: dn1, kind: switch-downstream, rid: 02:01.0, upstream: pcie2, downstream: pcie4}
    devices:
      - {name: usb0, kind: usb, bus: pcie3, rid: 03:00.0}
      - {name: nic0, kind: nic, bus: pcie4, rid: 04:00.0}
    """

    /// A switch whose downstream ports lack ACS: classic Linux keeps each device with its
    /// port, although the switch routes peer-to-peer between them.
    func testSwitchWithoutACSClassic() throws {
        let m = try model(header + Self.switchWithoutACS)
        XCTAssertEqual(groups(m), [["rp0"], ["up"], ["dn0", "usb0"], ["dn1", "nic0"]])
    }

    /// The 2025 rules: a switch routes traffic from one downstream port to another, so a
    /// port without ACS spoils the whole internal bus. With no ACS capability at all the
    /// upstream port is not isolated either and heads the group; with the capability but
    /// the flags off, the downstream ports share a group of their own.
    func testSwitchWithoutACSEgress() throws {
        let none = try model(header + Self.switchWithoutACS)
        XCTAssertEqual(groups(none, .egress), [["rp0"], ["up", "dn0", "dn1", "usb0", "nic0"]])
        let reason = GroupAnalysis(none, policy: .egress).groups[1].reasons[1]
        XCTAssertEqual(reason.rule, .nonIsolatedBus)
        XCTAssertTrue(reason.text.contains("downstream port 'dn0' has no ACS capability"), reason.text)
        let off = try model(header + Self.switchWithoutACS.replacingOccurrences(
            of: "downstream: pcie4}", with: "downstream: pcie4, acs: {capability: [sv, rr, cr, uf], control: [sv]}}")
            .replacingOccurrences(of: "downstream: pcie3}", with: "downstream: pcie3, acs: *acs}"))
        XCTAssertEqual(groups(off, .egress), [["rp0"], ["up"], ["dn0", "dn1", "usb0", "nic0"]])
        let full = try model(header + Self.switchWithoutACS.replacingOccurrences(of: "downstream: pcie4}", with: "downstream: pcie4, acs: *acs}")
            .replacingOccurrences(of: "downstream: pcie3}", with: "downstream: pcie3, acs: *acs}"))
        XCTAssertEqual(groups(full, .egress), [["rp0"], ["up"], ["dn0"], ["dn1"], ["usb0"], ["nic0"]])
        XCTAssertEqual(groups(full), groups(full, .egress))
    }

    func testPlatformDevicesShareAGroupPerStreamIDSet() throws {
        let m = try model("""
        platform: {name: soc}
        memory:
          - {name: dram, base: 0x8000_0000, size: 1GiB, kind: ram}
        buses:
          - {name: system, kind: system}
          - {name: axi0, kind: axi}
        bridges:
          - {name: noc, kind: bus-bridge, upstream: system, downstream: axi0}
        iommus:
          - {name: smmu0, kind: arm-smmuv3, at: noc}
        devices:
          - {name: dma0, kind: dma-engine, bus: axi0, stream-ids: [0x10, 0x11]}
          - {name: dma1, kind: dma-engine, bus: axi0, stream-ids: [0x12]}
          - {name: gpu, kind: gpu, bus: axi0, stream-ids: [0x20]}
          - {name: sram-dma, kind: dma-engine, bus: system}
        x-suppressed: {}
        """)
        let g = GroupAnalysis(m)
        XCTAssertEqual(groups(m), [["dma0"], ["dma1"], ["gpu"]])
        XCTAssertEqual(g.ungrouped.map { m.devices[$0].name }, ["sram-dma"])
        XCTAssertEqual(Passthrough(g, m).verdicts.last?.status, .noIOMMU)
    }
}

/// Requester IDs an ID map leaves unmatched: of_map_id finds no translation, the IOMMU
/// driver never gets the device, and Linux gives it no IOMMU and no group (issue 15, point 9).
final class UnmatchedRequesterIDTests: XCTestCase {
    func testAnUnmatchedRequesterIDGetsNoGroupAndCannotBeAssigned() throws {
        let m = try model("""
        platform: {name: soc}
        memory:
          - {name: dram, base: 0x8000_0000, size: 1GiB, kind: ram}
        buses:
          - {name: system, kind: system}
          - {name: pcie0, kind: pcie, number: 0}
          - {name: pcie1, kind: pcie, number: 1}
          - {name: pcie2, kind: pcie, number: 2}
        bridges:
          - name: rc
            kind: root-complex
            upstream: system
            downstream: pcie0
            id-map: [{rid-base: 0x0, iommu: smmu0, output-base: 0x0, length: 0x200}]
          - {name: rp1, kind: root-port, rid: 00:01.0, upstream: pcie0, downstream: pcie1, acs: [sv, rr, cr, uf]}
          - {name: rp2, kind: root-port, rid: 00:02.0, upstream: pcie0, downstream: pcie2, acs: [sv, rr, cr, uf]}
        iommus:
          - {name: smmu0, kind: arm-smmuv3, at: rc}
        devices:
          - {name: nvme0, kind: nvme, bus: pcie1, rid: 01:00.0}
          - {name: nic0, kind: nic, bus: pcie2, rid: 02:00.0}
        """)
        let g = GroupAnalysis(m)
        let names = groups(m).flatMap { $0 }
        XCTAssertTrue(names.contains("nvme0"), "\(names)")
        XCTAssertFalse(names.contains("nic0"), "02:00.0 is outside the iommu-map: \(names)")
        XCTAssertEqual(g.unmatched.map { "\($0.rid)" }, ["02:00.0"])
        XCTAssertFalse(g.ungrouped.contains { m.devices[$0].name == "nic0" }, "listed apart, not as 'no IOMMU on the path'")
        let v = Passthrough(g, m).verdicts.first { m.devices[$0.device].name == "nic0" }
        XCTAssertEqual(v?.status, .unmatched(RequesterID(raw: 0x200)))
    }
}

final class ReachTests: XCTestCase {
    static let platform = """
    platform: {name: reach}
    memory:
      - {name: dram, base: 0x8000_0000, size: 1GiB, kind: ram}
      - {name: secret, base: 0xC000_0000, size: 1MiB, kind: reserved, secure: true}
    buses:
      - {name: system, kind: system}
      - {name: axi0, kind: axi}
      - {name: axi1, kind: axi}
    bridges:
      - name: noc
        kind: bus-bridge
        upstream: system
        downstream: axi0
        windows:
          - {child: 0x0, parent: 0x8000_0000, size: 1GiB}
      - {name: noc1, kind: bus-bridge, upstream: system, downstream: axi1}
    iommus:
      - {name: smmu0, kind: arm-smmuv3, at: noc1}
    devices:
      - {name: raw, kind: dma-engine, bus: axi0, dma-bits: 32}
      - {name: dev, kind: dma-engine, bus: axi1, stream-ids: [1]}
      - {name: blocked, kind: dma-engine, bus: axi1, stream-ids: [2]}
      - {name: lost, kind: dma-engine, bus: axi1, stream-ids: [3]}
    domains:
      - name: d
        iommu: smmu0
        mappings:
          - {iova: 0x1000, phys: 0x8000_0000, size: 8KiB, perm: r}
          - {iova: 0x10_0000, phys: 0x8010_0000, size: 4KiB}
      - {name: q, iommu: smmu0, type: blocked}
    attachments:
      - {device: dev, domain: d}
      - {device: blocked, domain: q}
    """

    func testWindowsMappingsAndStops() throws {
        let m = try model(Self.platform)
        let r = Reachability(m)
        func view(_ name: String) throws -> Reachability.DeviceView {
            try XCTUnwrap(r.devices.first { m.devices[$0.device].name == name })
        }
        let raw = try view("raw")
        XCTAssertEqual(raw.segments.map(\.address), [AddressRange(base: 0, last: 0x3FFF_FFFF)], "the window's child range, within 32 bits")
        XCTAssertEqual(raw.segments.map(\.phys), [AddressRange(base: 0x8000_0000, last: 0xBFFF_FFFF)])
        XCTAssertTrue(raw.untranslated)
        let dev = try view("dev")
        XCTAssertEqual(dev.segments.map(\.address), [AddressRange(base: 0x1000, last: 0x2FFF), AddressRange(base: 0x10_0000, last: 0x10_0FFF)])
        XCTAssertEqual(dev.segments.map(\.perm), [.read, .readWrite])
        XCTAssertFalse(dev.untranslated)
        XCTAssertEqual(try view("blocked").stops.map(\.text), ["its domain 'q' at 'smmu0' is blocked"])
        XCTAssertEqual(try view("lost").stops.map(\.text), ["stream 0x3 has no domain at 'smmu0' (bad-stream-id)"])
        let dram = RegionID(0)
        let access = r.access(to: dram)
        XCTAssertEqual(access.map { m.devices[$0.device].name }, ["raw", "dev"])
        XCTAssertEqual(access[1].write.ranges, [AddressRange(base: 0x8010_0000, last: 0x8010_0FFF)])
        XCTAssertEqual(r.access(to: RegionID(1)).count, 0, "the secure region is outside the window and unmapped")
    }
}

final class DiffTests: XCTestCase {
    static let base = """
    platform: {name: base}
    memory:
      - {name: dram, base: 0, size: 1GiB, kind: ram}
    buses:
      - {name: system, kind: system}
      - {name: pcie0, kind: pcie, number: 0}
      - {name: pcie1, kind: pcie, number: 1}
      - {name: pcie2, kind: pcie, number: 2}
    bridges:
      - {name: rc0, kind: root-complex, upstream: system, downstream: pcie0}
      - {name: rp0, kind: root-port, rid: 00:1c.0, upstream: pcie0, downstream: pcie1, ACS0}
      - {name: rp1, kind: root-port, rid: 00:1d.0, upstream: pcie0, downstream: pcie1b, ACS1}
    iommus:
      - {name: dmar0, kind: intel-vtd, at: rc0}
    devices:
      - {name: a, kind: nic, bus: pcie1, rid: 01:00.0}
      - {name: b, kind: nic, bus: pcie1, rid: 01:01.0}
    domains:
      - name: d
        iommu: dmar0
        mappings:
          - {iova: 0x1000, phys: 0x10_0000, size: SIZE}
    attachments:
      - {device: a, domain: d}
    """

    func make(_ size: String, acs: Bool) throws -> SystemModel {
        let acsText = acs ? "acs: {capability: [sv, rr, cr, uf], control: [sv, rr, cr, uf]}" : "multifunction: false"
        return try model(Self.base.replacingOccurrences(of: "SIZE", with: size)
            .replacingOccurrences(of: "ACS0", with: acsText).replacingOccurrences(of: "ACS1", with: acsText)
            .replacingOccurrences(of: "downstream: pcie1b", with: "downstream: pcie2"))
    }

    func testReachGainedAndLostAndGroups() throws {
        let small = try make("4KiB", acs: true), big = try make("12KiB", acs: true)
        let grew = PlatformDiff(small, big)
        XCTAssertTrue(grew.reachGrew)
        XCTAssertEqual(grew.gained.map { "\($0.device) \($0.access) \($0.region) \($0.bytes)" }, ["a read dram 8192", "a write dram 8192"])
        XCTAssertEqual(grew.gained.first?.ranges, [AddressRange(base: 0x10_1000, last: 0x10_2FFF)])
        XCTAssertTrue(grew.lost.isEmpty)
        let shrank = PlatformDiff(big, small)
        XCTAssertFalse(shrank.reachGrew)
        XCTAssertEqual(shrank.lost.count, 2)
        XCTAssertTrue(PlatformDiff(small, small).isEmpty)
        // a and b sit on one bus below rp0: without ACS at the port they share its group.
        let open = try make("4KiB", acs: false)
        let merged = PlatformDiff(small, open)
        XCTAssertEqual(merged.groupChanges.map(\.merged), [true])
        XCTAssertEqual(merged.groupChanges.first?.devices, ["a", "b"])
        XCTAssertEqual(PlatformDiff(open, small).groupChanges.map(\.merged), [false])
    }
}

/// arm-smmu-v3 keeps one master per stream ID: a second function presenting a held stream
/// ID is refused and gets no group; VT-d groups the same functions together.
final class SMMURefusalTests: XCTestCase {
    static func platform(_ kind: String) -> String {
        """
        platform: {name: bmc}
        memory:
          - {name: dram, base: 0, size: 4GiB, kind: ram}
        iommus:
          - {name: io0, kind: \(kind), at: rc0}
        buses:
          - {name: system, kind: system}
          - {name: pcie0, kind: pcie, number: 0}
          - {name: pcie1, kind: pcie, number: 1}
          - {name: pci2, kind: pci, number: 2}
        bridges:
          - {name: rc0, kind: root-complex, upstream: system, downstream: pcie0}
          - {name: rp0, kind: root-port, upstream: pcie0, downstream: pcie1, rid: 00:00.0,
             acs: {capability: [sv, rr, cr, uf], control: [sv, rr, cr, uf]}}
          - {name: ast, kind: pcie-to-pci, upstream: pcie1, downstream: pci2, rid: 01:00.0}
        devices:
          - {name: vga, kind: gpu, bus: pci2, rid: 02:00.0}
          - name: usb
            kind: usb
            bus: pci2
            rid: 02:02.0
            suppress: {stream-id-alias: "the machine is so: Linux refuses it"}

        """
    }

    func testTheSecondMasterOfAStreamIDIsRefused() throws {
        let m = try model(Self.platform("arm-smmuv3"))
        let g = GroupAnalysis(m)
        XCTAssertEqual(groups(m), [["rp0"], ["ast", "vga"]])
        XCTAssertEqual(g.refused.count, 1)
        let r = try XCTUnwrap(g.refused.first)
        XCTAssertEqual(r.streamID, 0x200)
        guard case let .device(d) = r.function, case let .device(h) = r.holder else { return XCTFail("devices expected") }
        XCTAssertEqual(m.devices[d].name, "usb")
        XCTAssertEqual(m.devices[h].name, "vga")
        XCTAssertTrue(g.ungrouped.isEmpty, "refused is not 'no IOMMU on the path'")
        XCTAssertEqual(Passthrough(g, m).verdicts.first { m.devices[$0.device].name == "usb" }?.status, .refused)
    }

    func testVTdAliasesFreely() throws {
        var text = Self.platform("intel-vtd")
        text = text.replacingOccurrences(of: "\n    suppress: {stream-id-alias: \"the machine is so: Linux refuses it\"}", with: "")
        let m = try model(text)
        XCTAssertEqual(groups(m), [["rp0"], ["ast", "vga", "usb"]])
        XCTAssertTrue(GroupAnalysis(m).refused.isEmpty)
    }
}
