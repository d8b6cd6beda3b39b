import Foundation
import IotopoAnalysis
import IotopoCompiler
import IotopoModel
import XCTest

/// The language keys firmware tables need: IOMMU scopes by requester ID, bridge and bus,
/// INCLUDE_PCI_ALL catch-alls, one unit at several places, and ID maps on host bridges.
final class FirmwareLanguageTests: XCTestCase {
    /// Compiles text, keeping its diagnostics, errors or not.
    func compile(_ text: String) -> CompileResult {
        let dir = NSTemporaryDirectory() + "iotopo-fwlang-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/platform.yaml"
        try? text.write(toFile: path, atomically: false, encoding: .utf8)
        return Compiler.compile(path: path)
    }

    static let laptop = """
    platform: {name: laptop}
    memory:
      - {name: dram, base: 0, size: 4GiB}
    buses:
      - {name: system, kind: system}
      - {name: bus0, kind: pcie, number: 0}
      - {name: bus1, kind: pcie, number: 1}
    bridges:
      - {name: rc0, kind: root-complex, upstream: system, downstream: bus0}
      - {name: rp0, kind: root-port, rid: 00:1c.0, upstream: bus0, downstream: bus1, acs: [sv, rr, cr, uf]}
    devices:
      - {name: gpu0, kind: gpu, bus: bus0, rid: 00:02.0}
      - {name: usb0, kind: usb, bus: bus0, rid: 00:14.0}
      - {name: nvme0, kind: nvme, bus: bus1, rid: 01:00.0}

    """

    func path(_ m: SystemModel, _ device: String) -> [String] {
        let t = Topology(m)
        guard let d = m.devices.firstIndex(where: { $0.name == device }) else { return [] }
        return t.path(of: m.devices[d]).iommus.map { m.iommus[$0].name }
    }

    /// A DMAR client: a unit for the iGPU alone and an INCLUDE_PCI_ALL unit for the rest
    /// (`dmar_find_matched_drhd_unit` tries the scoped unit first).
    func testScopedUnitAndCatchAll() throws {
        let m = try model(Self.laptop + """
        iommus:
          - {name: dmar0, kind: intel-vtd, at: rc0, scope: [{rid: 00:02.0}]}
          - {name: dmar1, kind: intel-vtd, at: rc0, include-all: true}
        """)
        XCTAssertEqual(path(m, "gpu0"), ["dmar0"])
        XCTAssertEqual(path(m, "usb0"), ["dmar1"])
        XCTAssertEqual(path(m, "nvme0"), ["dmar1"])
        let g = GroupAnalysis(m)
        let iommuOf = Dictionary(uniqueKeysWithValues: g.groups.flatMap { grp in
            grp.members.compactMap { mem -> (String, String)? in
                if case let .pci(.device(d)) = mem { return (m.devices[d].name, m.iommus[grp.iommu].name) }
                return nil
            }
        })
        XCTAssertEqual(iommuOf["gpu0"], "dmar0")
        XCTAssertEqual(iommuOf["nvme0"], "dmar1")
    }

    /// A bridge scope covers the bridge and everything below it; a bus scope what is on the
    /// bus and below; a device outside every scope has no IOMMU (and no group).
    func testBridgeAndBusScopes() throws {
        let m = try model(Self.laptop + """
        iommus:
          - {name: dmar0, kind: intel-vtd, at: rc0, scope: [{bridge: rp0}]}
          - {name: dmar1, kind: intel-vtd, at: rc0, scope: [{rid: 00:14.0}]}
        """)
        XCTAssertEqual(path(m, "nvme0"), ["dmar0"])
        XCTAssertEqual(path(m, "usb0"), ["dmar1"])
        XCTAssertEqual(path(m, "gpu0"), [])
        XCTAssertFalse(groups(m).flatMap { $0 }.contains("gpu0"))
        XCTAssertTrue(groups(m).contains(["rp0"]))

        let b = try model(Self.laptop + """
        iommus:
          - {name: dmar0, kind: intel-vtd, at: rc0, scope: [{bus: bus1}]}
        """)
        XCTAssertEqual(path(b, "nvme0"), ["dmar0"])
        XCTAssertEqual(path(b, "usb0"), [])
    }

    /// One unit at two root complexes.
    func testOneUnitAtSeveralPlaces() throws {
        let m = try model("""
        platform: {name: two-roots}
        memory:
          - {name: dram, base: 0, size: 4GiB}
        buses:
          - {name: system, kind: system}
          - {name: bus0, kind: pcie, number: 0}
          - {name: bus80, kind: pcie, number: 0x80}
        bridges:
          - {name: rc0, kind: root-complex, upstream: system, downstream: bus0}
          - {name: rc80, kind: root-complex, upstream: system, downstream: bus80}
        iommus:
          - {name: dmar0, kind: intel-vtd, at: [rc0, rc80], include-all: true}
        devices:
          - {name: nic0, kind: nic, bus: bus0, rid: 00:03.0}
          - {name: nic1, kind: nic, bus: bus80, rid: 80:03.0}
        """)
        XCTAssertEqual(path(m, "nic0"), ["dmar0"])
        XCTAssertEqual(path(m, "nic1"), ["dmar0"])
    }

    static let twoSegments = """
    platform: {name: arm-server}
    memory:
      - {name: dram, base: 0, size: 4GiB}
    buses:
      - {name: system, kind: system}
      - {name: seg0, kind: pcie, number: 0}
      - {name: seg1, kind: pcie, segment: 1, number: 0}
    iommus:
      - {name: smmu0, kind: arm-smmuv3, at: [rc0, rc1]}
    devices:
      - {name: nic0, kind: nic, bus: seg0, rid: 00:01.0}
      - {name: nvme0, kind: nvme, bus: seg1, rid: 0001:00:01.0}

    """

    /// Two segments sharing one SMMU with the same requester IDs: with the ID maps on the
    /// host bridges (IORT root complexes, DT iommu-map), each segment has its own stream IDs.
    func testHostBridgeIDMapsKeepSegmentsApart() throws {
        let m = try model(Self.twoSegments + """
        bridges:
          - name: rc0
            kind: root-complex
            upstream: system
            downstream: seg0
            id-map: [{rid-base: 0, iommu: smmu0, output-base: 0, length: 0x10000}]
          - name: rc1
            kind: root-complex
            upstream: system
            downstream: seg1
            id-map: [{rid-base: 0, iommu: smmu0, output-base: 0x10000, length: 0x10000}]
        """)
        let t = Topology(m)
        func sid(_ name: String) -> [UInt32] {
            guard let d = m.devices.firstIndex(where: { $0.name == name }) else { return [] }
            let p = t.path(of: m.devices[d])
            guard let k = p.steps.firstIndex(where: { if case .iommu = $0 { return true } else { return false } }) else { return [] }
            return m.streamIDs(of: DeviceID(d), path: p, at: k).ids
        }
        XCTAssertEqual(sid("nic0"), [0x0008])
        XCTAssertEqual(sid("nvme0"), [0x10008])
        let (back, problems) = ModelJSON.parse(ModelJSON.render(m))
        XCTAssertEqual(problems.map(\.message), [])
        XCTAssertEqual(back?.bridges.map(\.idMap), m.bridges.map(\.idMap))
        let r = compile(Self.twoSegments + """
        bridges:
          - name: rc0
            kind: root-complex
            upstream: system
            downstream: seg0
            id-map: [{rid-base: 0, iommu: smmu0, output-base: 0, length: 0x10000}]
          - name: rc1
            kind: root-complex
            upstream: system
            downstream: seg1
            id-map: [{rid-base: 0, iommu: smmu0, output-base: 0x10000, length: 0x10000}]
        """)
        XCTAssertFalse(r.diagnostics.contains { $0.id == "stream-id-alias" }, r.diagnostics.map(\.message).joined(separator: "\n"))
    }

    /// Without host-bridge maps the same topology aliases: both present stream ID 8.
    func testWithoutHostMapsTheSegmentsAlias() {
        let r = compile(Self.twoSegments + """
        bridges:
          - {name: rc0, kind: root-complex, upstream: system, downstream: seg0}
          - {name: rc1, kind: root-complex, upstream: system, downstream: seg1}
        """)
        XCTAssertTrue(r.diagnostics.contains { $0.id == "stream-id-alias" })
    }

    func testLanguageErrors() {
        let both = compile(Self.laptop + """
        iommus:
          - {name: dmar0, kind: intel-vtd, at: rc0, scope: [{rid: 00:02.0}], include-all: true}
        """)
        XCTAssertTrue(both.diagnostics.contains { $0.id == "invalid-value" && $0.message.contains("'include-all' and 'scope'") })

        let onPort = compile(Self.laptop.replacingOccurrences(of: "acs: [sv, rr, cr, uf]}", with: "acs: [sv, rr, cr, uf], id-map: [{rid-base: 0, iommu: dmar0, output-base: 0, length: 1}]}") + """
        iommus:
          - {name: dmar0, kind: intel-vtd, at: rc0}
        """)
        XCTAssertTrue(onPort.diagnostics.contains { $0.id == "invalid-value" && $0.message.contains("host bridge") })

        let dangling = compile(Self.laptop.replacingOccurrences(of: "downstream: bus0}", with: "downstream: bus0, id-map: [{rid-base: 0, iommu: smmu9, output-base: 0, length: 1}]}") + """
        iommus:
          - {name: dmar0, kind: intel-vtd, at: rc0}
        """)
        XCTAssertTrue(dangling.diagnostics.contains { $0.id == "dangling-reference" })

        let badScope = compile(Self.laptop + """
        iommus:
          - {name: dmar0, kind: intel-vtd, at: rc0, scope: [{bridge: bus1}]}
        """)
        XCTAssertTrue(badScope.diagnostics.contains { $0.id == "dangling-reference" })
    }

    /// The model JSON keeps the new keys (compile --format json, read back).
    func testModelJSONRoundTrip() throws {
        let m = try model(Self.laptop + """
        iommus:
          - {name: dmar0, kind: intel-vtd, at: rc0, scope: [{rid: 00:02.0}, {bridge: rp0}, {bus: bus1}]}
          - {name: dmar1, kind: intel-vtd, at: [rc0], include-all: true}
        """)
        let (back, problems) = ModelJSON.parse(ModelJSON.render(m))
        XCTAssertEqual(problems.map(\.message), [])
        XCTAssertEqual(back?.iommus.map(\.scope), m.iommus.map(\.scope))
        XCTAssertEqual(back?.iommus.map(\.includeAll), [false, true])
    }

    /// An IOMMU-side alias (IVRS) on the function's own bus is a DMA alias: the two functions
    /// share a group (setup_aliases), and the aliased one presents both IDs.
    func testIOMMUAliasOnTheSameBusJoinsGroups() throws {
        let text = """
        platform: {name: amd}
        memory:
          - {name: dram, base: 0, size: 4GiB}
        buses:
          - {name: system, kind: system}
          - {name: bus0, kind: pcie, number: 0}
        bridges:
          - {name: rc0, kind: root-complex, upstream: system, downstream: bus0}
        devices:
          - {name: sata0, kind: sata, bus: bus0, rid: 00:11.0, port-type: rc-integrated-endpoint}
          - {name: usb0, kind: usb, bus: bus0, rid: 00:12.0, port-type: rc-integrated-endpoint}

        """
        let apart = try model(text + """
        iommus:
          - {name: ivhd0, kind: amd-vi, at: rc0}
        """)
        XCTAssertEqual(groups(apart), [["sata0"], ["usb0"]])
        let joined = try model(text + """
        iommus:
          - {name: ivhd0, kind: amd-vi, at: rc0, aliases: [{rid: 00:11.0, as: 00:12.0}]}
        """)
        XCTAssertEqual(groups(joined), [["sata0", "usb0"]])
        let (back, problems) = ModelJSON.parse(ModelJSON.render(joined))
        XCTAssertEqual(problems.map(\.message), [])
        XCTAssertEqual(back?.iommus.first?.aliasRanges.map(\.as_), joined.iommus.first?.aliasRanges.map(\.as_))
    }
}
