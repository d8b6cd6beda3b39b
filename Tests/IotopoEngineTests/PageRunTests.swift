@testable import IotopoEngine
import IotopoModel
import XCTest

/// A DMA over many pages (issue 17, point 11): its pieces are streamed and runs of pages
/// folded, so memory stays flat in the size of the access, and the result is exactly the
/// page-by-page one.
final class PageRunTests: XCTestCase {
    /// RAM in two regions with a hole between them and a small IOTLB (8 entries), so runs
    /// cross regions and holes and outgrow the IOTLB.
    static let platform = """
        platform: {name: t}
        memory:
          - {name: low, base: 0x0, size: 1GiB}
          - {name: high, base: 0x5000_0000, size: 1GiB}
        buses:
          - {name: system, kind: system}
          - {name: pcie0, kind: pcie, number: 0}
        bridges:
          - {name: rc, kind: root-complex, upstream: system, downstream: pcie0}
        iommus:
          - {name: u, kind: intel-vtd, at: rc, iotlb: {sets: 4, ways: 2}}
        devices:
          - {name: d, bus: pcie0, rid: 00:01.0}
        domains:
          - {name: dom, iommu: u}
        attachments:
          - {device: d, domain: dom}
        """

    /// Two engines run the same random maps, unmaps (without invalidating, so IOTLB
    /// entries go stale), invalidations and DMAs, one folding runs of pages and one going
    /// page by page. Every DMA's outcome and pieces, and the IOTLB counters and occupancy
    /// after it, must agree; later DMAs hitting or missing show that the IOTLB contents
    /// agree too.
    func testFoldedRunsGiveThePageByPageResult() throws {
        let m = try XCTUnwrap(model(Self.platform))
        var folded = Engine(model: m)
        var paged = Engine(model: m)
        paged.foldsPageRuns = false
        let dom = DomainID(0), u = IOMMUID(0)
        var rng = SplitMix64(seed: 17)
        var folds = 0, partlyCached = 0
        for step in 0 ..< 600 {
            switch rng.next(below: 10) {
            case 0, 1, 2:
                // A mapping of 1 to 3,000 pages, 4 KiB or 2 MiB, at a random place: phys
                // across the hole now and then, and read-only a third of the time.
                let big = rng.next(below: 8) == 0
                let page: UInt64 = big ? 0x20_0000 : 0x1000
                let pages = 1 + rng.next(below: big ? 8 : 3000)
                let iova = rng.next(below: 1 << 20) * 0x1000 / page * page
                let phys = rng.next(below: 0x9000_0000 / page) * page
                let perm: Permissions = rng.next(below: 3) == 0 ? .read : .readWrite
                let a = folded.map(dom, iova: iova, phys: phys, size: pages * page, perm: perm, page: page)
                let b = paged.map(dom, iova: iova, phys: phys, size: pages * page, perm: perm, page: page)
                XCTAssertEqual(a, b, "step \(step)")
            case 3:
                let iova = rng.next(below: 1 << 20) * 0x1000
                let r = try XCTUnwrap(AddressRange(base: iova, size: (1 + rng.next(below: 2000)) * 0x1000))
                XCTAssertEqual(folded.unmap(domain: dom, iova: r).removed, paged.unmap(domain: dom, iova: r).removed)
            case 4:
                if rng.next(below: 4) == 0 {
                    folded.invalidate(iommu: u, scope: .all)
                    paged.invalidate(iommu: u, scope: .all)
                }
            default:
                // A DMA of up to 4,000 pages from any byte, often over what the last one
                // touched (so the IOTLB holds some of it).
                let address = rng.next(below: 1 << 32)
                let size = 1 + rng.next(below: 4000 * 0x1000)
                let write = rng.next(below: 2) == 0
                let fa = folded.dma(DeviceID(0), write: write, address: address, size: size)
                let fb = paged.dma(DeviceID(0), write: write, address: address, size: size)
                XCTAssertEqual(fa, fb, "step \(step): dma \(address) +\(size)")
                XCTAssertEqual(folded.lastSegments, paged.lastSegments, "step \(step): dma \(address) +\(size)")
                XCTAssertEqual(folded.stats, paged.stats, "step \(step)")
                XCTAssertEqual(folded.iotlbOccupancy(u), paged.iotlbOccupancy(u), "step \(step)")
                XCTAssertEqual(folded.lastHazards, paged.lastHazards, "step \(step)")
                // Again over the same range: the IOTLB holds its last pages now.
                let ga = folded.dma(DeviceID(0), write: write, address: address, size: size)
                let gb = paged.dma(DeviceID(0), write: write, address: address, size: size)
                XCTAssertEqual(ga, gb, "step \(step): again")
                XCTAssertEqual(folded.lastSegments, paged.lastSegments, "step \(step): again")
                XCTAssertEqual(folded.stats, paged.stats, "step \(step): again")
                // From a few pages before the end of that one: the first pages the IOTLB
                // holds may hit, the rest must miss.
                let end = address &+ size
                let back = (1 + rng.next(below: 12)) * 0x1000 + rng.next(below: 0x1000)
                let from = end > back ? end - back : 0
                let ha = folded.dma(DeviceID(0), write: write, address: from, size: size)
                let hb = paged.dma(DeviceID(0), write: write, address: from, size: size)
                XCTAssertEqual(ha, hb, "step \(step): from the end")
                XCTAssertEqual(folded.lastSegments, paged.lastSegments, "step \(step): from the end")
                XCTAssertEqual(folded.stats, paged.stats, "step \(step): from the end")
                if folded.lastSegments.contains(where: { $0.hits > 0 && $0.misses >= 64 }) { partlyCached += 1 }
                if folded.tableCount(u) < paged.tableCount(u) { folds += 1 }
            }
        }
        // The walk above must have folded runs, or it proved nothing.
        XCTAssertGreaterThan(folds, 20)
        XCTAssertGreaterThan(partlyCached, 10, "runs that start among cached pages")
    }

    /// 64 GiB mapped in 4 KiB pages (16 million pages), then one DMA over all of it: one
    /// segment, every page counted, and neither the pieces nor the page tables grow with
    /// the pages (the stage-by-stage engine held a piece per page, 68 bytes each).
    func testADMAOverSixteenMillionPagesIsOneRunInBoundedMemory() throws {
        let m = try XCTUnwrap(model(Self.platform.replacingOccurrences(of: "size: 1GiB}\n  - {name: high", with: "size: 1GiB}\n  - {name: huge, base: 0x100_0000_0000, size: 64GiB}\n  - {name: high")))
        var e = Engine(model: m)
        let size: UInt64 = 64 << 30
        XCTAssertNil(e.map(DomainID(0), iova: 0, phys: 0x100_0000_0000, size: size))
        XCTAssertNil(e.dma(DeviceID(0), write: true, address: 0, size: size))
        XCTAssertEqual(e.lastSegments.count, 1)
        XCTAssertEqual(e.lastSegments.first?.length, size)
        XCTAssertEqual(e.lastSegments.first?.misses, size >> 12)
        XCTAssertEqual(e.stats[0].lookups, size >> 12)
        XCTAssertEqual(e.stats[0].walks, size >> 12)
        XCTAssertLessThan(e.cursors.capacity, 16)
        XCTAssertLessThan(e.segments.capacity, 16)
        XCTAssertLessThan(e.tableCount(IOMMUID(0)), 16)
        XCTAssertEqual(e.iotlbOccupancy(IOMMUID(0)), 8)
        // The IOTLB holds the last 8 pages: a DMA over them hits, the page before misses.
        XCTAssertNil(e.dma(DeviceID(0), write: false, address: size - 0x8000, size: 0x8000))
        XCTAssertEqual(e.lastSegments.first?.hits, 8)
        XCTAssertNil(e.dma(DeviceID(0), write: false, address: size - 0x9000, size: 0x1000))
        XCTAssertEqual(e.lastSegments.first?.misses, 1)
    }
}
