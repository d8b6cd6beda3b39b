@testable import IotopoModel
import IotopoSource
import XCTest

final class AddressTests: XCTestCase {
    func testRangeOverflowIsNilNotATrap() {
        XCTAssertNil(AddressRange(base: .max, size: 2))
        XCTAssertNil(AddressRange(base: 2, size: .max))
        XCTAssertEqual(AddressRange(base: 1, size: .max)?.last, .max)
        XCTAssertNil(AddressRange(base: 0, size: 0))
        let top = AddressRange(base: .max - 0xFFF, size: 0x1000)
        XCTAssertEqual(top?.last, .max)
        XCTAssertNil(top?.end)
        XCTAssertEqual(top?.size, 0x1000)
    }

    func testRangeSetMissingAndThrough() {
        let s = RangeSet([AddressRange(base: 0x1000, last: 0x1FFF), AddressRange(base: 0x3000, last: 0x3FFF)])
        XCTAssertEqual(s.missing(from: AddressRange(base: 0x0, last: 0x4FFF)),
                       [AddressRange(base: 0, last: 0xFFF), AddressRange(base: 0x2000, last: 0x2FFF), AddressRange(base: 0x4000, last: 0x4FFF)])
        XCTAssertEqual(s.missing(from: AddressRange(base: 0x1000, last: 0x1FFF)), [])
        XCTAssertTrue(RangeSet([AddressRange(base: 0, last: 10), AddressRange(base: 11, last: 20)]).ranges.count == 1, "adjacent ranges merge")
        let o = Origin(range: .fileStart(FileID(0)))
        let w = DMAWindow(child: AddressRange(base: 0, last: 0xFFFF), parentBase: 0x8000_0000, origin: o)
        XCTAssertEqual(RangeSet([AddressRange(base: 0x8000, last: 0x1_FFFF)]).through([w]).ranges, [AddressRange(base: 0x8000_8000, last: 0x8000_FFFF)])
        XCTAssertEqual(s.through([]), s, "no windows means identity")
    }

    func testSizeText() {
        XCTAssertEqual(sizeText(4096), "4KiB")
        XCTAssertEqual(sizeText(2 << 20), "2MiB")
        XCTAssertEqual(sizeText(0x1234), "4660")
        XCTAssertEqual(sizeText(0x123_4567), "0x1234567")
        XCTAssertEqual(sizeText(100), "100")
    }
}

final class PCITests: XCTestCase {
    func testRequesterIDFields() throws {
        let r = try XCTUnwrap(RequesterID(bus: 0x3A, device: 0x1F, function: 7))
        XCTAssertEqual(r.raw, 0x3AFF)
        XCTAssertEqual(r.description, "3a:1f.7")
        XCTAssertEqual(r.description(segment: 1), "0001:3a:1f.7")
        XCTAssertNil(RequesterID(bus: 0, device: 32, function: 0))
        XCTAssertNil(RequesterID(bus: 256, device: 0, function: 0))
    }

    func testACSUnimplementedFlagsCountAsOn() {
        // pci_acs_flags_enabled: requested flags the capability lacks are treated as enabled.
        XCTAssertTrue(ACSCapability(capability: [.sv, .rr], control: [.sv, .rr]).enables(.required))
        XCTAssertFalse(ACSCapability(capability: [.sv, .rr, .cr, .uf], control: [.sv, .rr]).enables(.required))
        XCTAssertTrue(ACSCapability(capability: [], control: []).enables(.required))
    }
}

final class PageTableGeometryTests: XCTestCase {
    func testLevelsFollowTheLPAEFormula() {
        // docs/semantics.md section 5 and io-pgtable-arm.c.
        XCTAssertEqual(PageTableGeometry(kind: .armSMMUv3, granuleShift: 12, inputBits: 48).levels, 4)
        XCTAssertEqual(PageTableGeometry(kind: .armSMMUv3, granuleShift: 12, inputBits: 39).levels, 3)
        XCTAssertEqual(PageTableGeometry(kind: .armSMMUv3, granuleShift: 12, inputBits: 32).levels, 3)
        XCTAssertEqual(PageTableGeometry(kind: .armSMMUv3, granuleShift: 14, inputBits: 48).levels, 4)
        XCTAssertEqual(PageTableGeometry(kind: .armSMMUv3, granuleShift: 16, inputBits: 48).levels, 3)
        XCTAssertEqual(PageTableGeometry(kind: .armSMMUv3, granuleShift: 16, inputBits: 42).levels, 2)
        XCTAssertEqual(PageTableGeometry(kind: .intelVTd, granuleShift: 12, inputBits: 39).levels, 3)
        XCTAssertEqual(PageTableGeometry(kind: .intelVTd, granuleShift: 12, inputBits: 57).levels, 5)
    }

    func testShiftsAndIndices() {
        let g = PageTableGeometry(kind: .intelVTd, granuleShift: 12, inputBits: 48)
        XCTAssertEqual((0 ..< 4).map { g.shift(level: $0) }, [39, 30, 21, 12])
        let iova: UInt64 = (5 << 39) | (7 << 30) | (9 << 21) | (11 << 12) | 0x123
        XCTAssertEqual((0 ..< 4).map { g.index(iova, level: $0) }, [5, 7, 9, 11])
        XCTAssertEqual(g.level(forPageSize: 2 << 20), 2)
        XCTAssertNil(g.level(forPageSize: 8192))
        let root = PageTableGeometry(kind: .armSMMUv3, granuleShift: 16, inputBits: 48)
        XCTAssertEqual(root.indexBits(level: 0), 6, "a 48-bit 64K table uses 6 bits at its root")
    }

    func testPossiblePageSizes() {
        func list(_ k: IOMMUKind, _ g: UInt8, _ ias: UInt8) -> [UInt64] {
            let s = PageTableGeometry.possiblePageSizes(kind: k, granuleShift: g, inputBits: ias, outputBits: 48)
            return (0 ..< 64).filter { s & (1 << UInt64($0)) != 0 }.map { 1 << UInt64($0) }
        }
        XCTAssertEqual(list(.armSMMUv3, 12, 48), [4096, 2 << 20, 1 << 30])
        XCTAssertEqual(list(.armSMMUv3, 14, 48), [16384, 32 << 20])
        XCTAssertEqual(list(.armSMMUv3, 16, 48), [65536, 512 << 20])
        XCTAssertEqual(list(.intelVTd, 12, 39), [4096, 2 << 20, 1 << 30])
        XCTAssertEqual(list(.armSMMUv3, 12, 30), [4096, 2 << 20], "a 2-level table has no 1 GiB blocks")
    }
}

final class TopologyTests: XCTestCase {
    let o = Origin(range: .fileStart(FileID(0)))

    /// system <- rc <- pcie0 (00) <- rp 00:1c.0 <- pcie1 (01) <- p2p 01:00.0 (PCIe-to-PCI) <- pci2 (02)
    func model(p2pKind: BridgeKind = .pcieToPCI, translationRoot: Bool = false) -> SystemModel {
        var m = SystemModel(sources: ["t"], platform: Platform(name: "t", description: "", addressBits: 64, origin: o))
        m.buses = [Bus(name: "system", kind: .system, segment: 0, number: nil, origin: o),
                   Bus(name: "pcie0", kind: .pcie, segment: 0, number: 0, origin: o),
                   Bus(name: "pcie1", kind: .pcie, segment: 0, number: 1, origin: o),
                   Bus(name: "pci2", kind: .pci, segment: 0, number: 2, origin: o)]
        func bridge(_ n: String, _ k: BridgeKind, _ up: Int, _ down: Int, _ rid: RequesterID?, root: Bool = false) -> Bridge {
            Bridge(name: n, kind: k, upstream: BusID(up), downstream: BusID(down), windows: [], acs: nil, rid: rid,
                   multifunction: false, translationRoot: root, pcieAlias: false, origin: o)
        }
        m.bridges = [bridge("rc", .rootComplex, 0, 1, nil),
                     bridge("rp", .rootPort, 1, 2, RequesterID(bus: 0, device: 0x1C, function: 0)),
                     bridge("p2p", p2pKind, 2, 3, RequesterID(bus: 1, device: 0, function: 0), root: translationRoot)]
        m.iommus = [IOMMU(name: "u", kind: .intelVTd, placement: .bridge(BridgeID(0)), inputBits: 48, outputBits: 48, granuleShift: 12,
                          pageSizes: 0x4000_0000_0000 | 0x20_0000 | 0x1000, iotlb: .default, interruptRemapping: false, remapTable: [],
                          streamIDBits: 16, idMap: [], idMapMask: .max, unmatched: .abort, origin: o)]
        m.devices = [Device(name: "d", kind: "x", bus: BusID(3), rid: RequesterID(bus: 2, device: 1, function: 0), streamIDs: [],
                            multifunction: false, acs: nil, dmaCapable: true, dmaBits: 32, msi: nil, aliases: [0x09], reserved: [], origin: o)]
        return m
    }

    /// A bridge's windows come before the IOMMU placed at it (its dma-ranges bound the IOVA).
    func testPathOrderBridgesThenWindowsThenIOMMU() {
        let m = model()
        let p = Topology(m).path(of: m.devices[0])
        XCTAssertEqual(p.steps, [.cross(BridgeID(2)), .windows(BridgeID(2)), .cross(BridgeID(1)), .windows(BridgeID(1)),
                                 .cross(BridgeID(0)), .windows(BridgeID(0)), .iommu(IOMMUID(0))])
        XCTAssertTrue(p.reachesMemory)
    }

    func testPCIeToPCIBridgeAliasesToSecondaryBus() throws {
        let m = model()
        let p = Topology(m).path(of: m.devices[0])
        let aliases = m.dmaAliases(of: DeviceID(0), path: p)
        XCTAssertEqual(aliases.map(\.rid.description), ["02:01.0", "02:01.1", "02:00.0"])
        XCTAssertEqual(try XCTUnwrap(m.effectiveRID(of: DeviceID(0), path: p, at: 6)).rid.description, "02:00.0")
        XCTAssertEqual(m.streamIDs(of: DeviceID(0), path: p, at: 6).ids, [0x208, 0x209, 0x200])
    }

    func testConventionalBridgeAliasesToItsOwnID() throws {
        let m = model(p2pKind: .pciBridge)
        let p = Topology(m).path(of: m.devices[0])
        XCTAssertEqual(try XCTUnwrap(m.effectiveRID(of: DeviceID(0), path: p, at: 6)).rid.description, "01:00.0")
    }

    func testTranslationRootStopsTheWalk() throws {
        let m = model(translationRoot: true)
        let p = Topology(m).path(of: m.devices[0])
        XCTAssertEqual(m.dmaAliases(of: DeviceID(0), path: p).map(\.rid.description), ["02:01.0", "02:01.1"])
    }

    func testIDMapFollowsOfMapID() {
        var u = model().iommus[0]
        u.idMap = [IDMapEntry(ridBase: 0x100, outputBase: 0x8000, length: 0x100, origin: o)]
        u.idMapMask = 0xFFFF
        XCTAssertEqual(u.streamID(forRequester: 0x1FF), 0x80FF)
        XCTAssertNil(u.streamID(forRequester: 0x200))
        u.idMapMask = 0xFF // m = rid & mask
        XCTAssertNil(u.streamID(forRequester: 0x1FF))
        u.idMap = []
        XCTAssertEqual(u.streamID(forRequester: 0x1234), 0x1234, "no map: IDs pass through")
    }

    func testCycleIsDetectedNotFollowed() {
        var m = model()
        m.bridges[0].upstream = BusID(3) // rc now hangs below pci2: a loop
        let p = Topology(m).path(of: m.devices[0])
        XCTAssertTrue(p.hitCycle)
        XCTAssertFalse(p.reachesMemory)
    }
}
