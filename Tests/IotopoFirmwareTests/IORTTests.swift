import IotopoFirmware
import XCTest

final class IORTTests: XCTestCase {
    /// A server's table: an ITS group, an SMMUv3 whose MSIs go to the ITS, a root complex
    /// mapping segment 0's requester IDs to the SMMU, a named component, an RMR and an SMMUv2.
    static func serverTable(rcOutputReference: UInt32? = nil) -> (ACPIImage, its: Int, smmu: Int) {
        var t = ACPIImage("IORT", revision: 3)
        t.u32(6); t.u32(48); t.u32(0)
        let its = t.iortNode(0) { n in n.u32(1); n.u32(7) }
        let smmu = t.iortNode(4, revision: 4, mappings: [(0, 0, 0x8_0000, UInt32(its), 1)]) { n in
            n.u64(0x1_0000_0000); n.u32(0x1); n.u32(0); n.u64(0); n.u32(0)
            n.u32(0x20); n.u32(0x21); n.u32(0x22); n.u32(0x23); n.u32(0); n.u32(0)
        }
        t.iortNode(2, revision: 1, mappings: [(0, 0xFFFF, 0x1_0000, rcOutputReference ?? UInt32(smmu), 0)]) { n in
            n.u64(1); n.u32(1); n.u32(0); n.u8(48); n.zeros(3)
        }
        t.iortNode(1, mappings: [(0, 0, 0x40, UInt32(smmu), 1)]) { n in
            n.u32(0); n.u64(0); n.u8(44); n.text("\\_SB.ETH0", 11); n.zeros(1)
        }
        t.iortNode(6, revision: 1, mappings: [(0, 0, 0x40, UInt32(smmu), 1)]) { n in
            n.u32(0); n.u32(1); n.u32(28)
            n.u64(0x9D00_0000); n.u64(0x1_0000); n.u32(0)
        }
        t.iortNode(3) { n in
            n.u64(0x1500_0000); n.u64(0x10_0000); n.u32(3); n.u32(0)
            n.u32(0); n.u32(0); n.u32(0); n.u32(0); n.u32(0)
        }
        return (t, its, smmu)
    }

    func testReadsNodesAndMappings() throws {
        var problems: [FirmwareProblem] = []
        let (img, its, smmu) = Self.serverTable()
        let t = try XCTUnwrap(IORTTable.read(img.finish(), problems: &problems))
        XCTAssertEqual(problems.texts, [])
        XCTAssertEqual(t.nodes.map(\.kind), [.itsGroup, .smmuV3, .rootComplex, .namedComponent, .rmr, .smmuV1V2])
        XCTAssertEqual(t.nodes.map(\.summary), ["ITS group 7", "SMMUv3 (model 0) at 0x100000000", "root complex, segment 0",
                                                "named component \\_SB.ETH0", "RMR, 1 range", "SMMUv1/v2 (model 3) at 0x15000000"])
        let rc = t.nodes[2]
        XCTAssertEqual(rc.mappings.count, 1)
        XCTAssertEqual(rc.mappings[0].inputLast, 0xFFFF)   // "number of IDs" is the count minus one
        XCTAssertEqual(rc.mappings[0].outputBase, 0x1_0000)
        XCTAssertEqual(t.node(at: rc.mappings[0].outputReference)?.kind, .smmuV3)
        XCTAssertEqual(t.node(at: UInt32(smmu))?.mappings.first?.single, true)
        XCTAssertEqual(t.node(at: UInt32(its))?.kind, .itsGroup)
        if case let .smmuV3(_, flags, _, index) = t.nodes[1].body {
            XCTAssertEqual(flags, 1)
            XCTAssertEqual(index, 0)
        } else { XCTFail("not an SMMUv3 body") }
        if case let .rmr(_, ranges) = t.nodes[4].body {
            XCTAssertEqual(ranges.map(\.base), [0x9D00_0000])
            XCTAssertEqual(ranges.map(\.length), [0x1_0000])
        } else { XCTFail("not an RMR body") }
    }

    func testMappingsOutsideTheirNode() {
        var t = ACPIImage("IORT")
        t.u32(1); t.u32(48); t.u32(0)
        t.u8(2); t.u16(36); t.u8(0); t.u32(0); t.u32(3); t.u32(36)   // 3 mappings at the node's end
        t.u64(0); t.u32(0); t.u32(0); t.zeros(4)
        var problems: [FirmwareProblem] = []
        let r = IORTTable.read(t.finish(), problems: &problems)
        XCTAssertEqual(r?.nodes.first?.mappings.count, 0)
        XCTAssertEqual(problems.texts, ["IORT at byte 60 (0x3c): node 0's 3 ID mappings at node offset 36 do not fit inside the node (36 bytes)"])
    }

    func testNodeCountAndOffsetThatLie() {
        var t = ACPIImage("IORT")
        t.u32(4); t.u32(48); t.u32(0)
        t.iortNode(0) { n in n.u32(0) }
        var problems: [FirmwareProblem] = []
        XCTAssertEqual(IORTTable.read(t.finish(), problems: &problems)?.nodes.count, 1)
        XCTAssertEqual(problems.texts, ["IORT at byte 36 (0x24): the header counts 4 nodes but the table ends after 1"])

        var u = ACPIImage("IORT")
        u.u32(1); u.u32(0x1000); u.u32(0)
        problems = []
        XCTAssertEqual(IORTTable.read(u.finish(), problems: &problems)?.nodes.count, 0)
        XCTAssertEqual(problems.map(\.offset), [40])
    }

    func testZeroLengthNodeStops() {
        var t = ACPIImage("IORT")
        t.u32(2); t.u32(48); t.u32(0)
        t.u8(0); t.u16(0); t.zeros(13)
        var problems: [FirmwareProblem] = []
        _ = IORTTable.read(t.finish(), problems: &problems)
        XCTAssertEqual(problems.texts, ["IORT at byte 49 (0x31): node 0 has length 0, shorter than a node header"])
    }
}
