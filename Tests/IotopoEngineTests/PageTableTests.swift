@testable import IotopoEngine
import IotopoModel
import XCTest

/// The cases of Linux's io-pgtable selftests (drivers/iommu/io-pgtable-arm-selftests.c), for
/// every granule and a range of input widths each architecture accepts, through the whole
/// engine: an empty table translates nothing; map then translate at an offset; an
/// overlapping map is refused; unmap, then the same IOVA faults; remap works; the largest
/// page at the top of the input range works.
final class PageTableSelfTests: XCTestCase {
    let cases: [(kind: String, granule: String, shift: UInt8, widths: [Int])] = [
        ("arm-smmuv3", "4KiB", 12, [32, 36, 39, 42, 48]),
        ("arm-smmuv3", "16KiB", 14, [36, 40, 47, 48]),
        ("arm-smmuv3", "64KiB", 16, [42, 48]),
        ("arm-smmu", "4KiB", 12, [39, 48]),
        ("intel-vtd", "4KiB", 12, [39, 48, 57]),
        ("amd-vi", "4KiB", 12, [40, 48, 64]),
        ("generic", "8KiB", 13, [32, 43]),
    ]

    func testSelfTestCasesForEveryGranuleAndWidth() throws {
        for c in cases {
            for ias in c.widths {
                let label = "\(c.kind) \(c.granule) \(ias)-bit"
                guard let m = model(onePlatform(kind: c.kind, granule: c.granule, inputBits: ias, outputBits: 48)) else { continue }
                let u = m.iommus[0]
                XCTAssertEqual(u.geometry.levels, PageTableGeometry(kind: u.kind, granuleShift: c.shift, inputBits: UInt8(ias)).levels, label)
                let dom = DomainID(0), dev = DeviceID(0)
                for page in u.pageSizeList {
                    var e = Engine(model: m)
                    // An empty table translates nothing.
                    XCTAssertEqual(e.dma(dev, write: false, address: 0, size: 4), .translation, "\(label) empty")
                    // Map, then translate at an offset (iova + 42).
                    let iova = page, phys = page * 3
                    guard phys + page <= 1 << 40 else { continue }
                    XCTAssertNil(e.map(dom, iova: iova, phys: phys, size: page, page: page), "\(label) map \(page)")
                    XCTAssertNil(e.dma(dev, write: false, address: iova + 42, size: 4), "\(label) \(page)")
                    XCTAssertEqual(e.lastSegments.first?.address, phys + 42, "\(label) \(page)")
                    // An overlapping map is refused.
                    XCTAssertEqual(e.map(dom, iova: iova, phys: phys + page, size: page, page: page)?.reason, "overlap", label)
                    // Unmap (and invalidate): the same IOVA faults.
                    XCTAssertNil(e.unmap(domain: dom, iova: AddressRange(base: iova, size: page)!).refusal, label)
                    e.invalidate(iommu: IOMMUID(0), scope: .all)
                    XCTAssertEqual(e.dma(dev, write: false, address: iova + 42, size: 4), .translation, "\(label) after unmap")
                    // Remap works.
                    XCTAssertNil(e.map(dom, iova: iova, phys: phys + page, size: page, page: page), label)
                    XCTAssertNil(e.dma(dev, write: true, address: iova + 42, size: 4), label)
                    XCTAssertEqual(e.lastSegments.first?.address, phys + page + 42, "\(label) remap")
                }
                // The largest page at the top of the input range.
                if let largest = u.pageSizeList.last, ias < 64 {
                    var e = Engine(model: m)
                    let top = (UInt64(1) << UInt64(ias)) - largest
                    XCTAssertNil(e.map(dom, iova: top, phys: largest, size: largest, page: largest), "\(label) top")
                    XCTAssertNil(e.dma(dev, write: false, address: top + largest - 8, size: 8), "\(label) top")
                    XCTAssertEqual(e.lastSegments.first?.address, 2 * largest - 8, "\(label) top")
                    XCTAssertEqual(e.dma(dev, write: false, address: UInt64(1) << UInt64(ias), size: 8), .addressSize, "\(label) past top")
                }
            }
        }
    }

    func testWalkLevelsMatchTheGeometry() throws {
        let m = try XCTUnwrap(model(onePlatform(kind: "intel-vtd", inputBits: 57)))
        var e = Engine(model: m)
        XCTAssertNil(e.map(DomainID(0), iova: 0x1000, phys: 0x2000, size: 4096))
        var levels: [Int] = []
        let ex = e.explain(DeviceID(0), write: false, address: 0x1000, size: 4)
        XCTAssertNil(ex.fault)
        for h in ex.hops { for l in h.lines where l.hasPrefix("  ") && l.contains(" index ") { levels.append(levels.count) } }
        XCTAssertEqual(levels.count, 5, "a 57-bit VT-d table walks 5 levels")
    }

    /// Tables are stored dense (consecutive indices), sparse with a linear search (a few
    /// entries) or sparse with a binary search (more): every page of every shape translates
    /// to its own mapping, every hole faults, before and after an unmap reshapes a table.
    func testDenseAndSparseTablesTranslateLikeAReferenceMap() throws {
        let m = try XCTUnwrap(model(onePlatform(kind: "arm-smmuv3")))
        var e = Engine(model: m)
        let dom = DomainID(0), dev = DeviceID(0)
        var reference: [UInt64: UInt64] = [:] // page index -> physical page
        func map(_ pages: [UInt64], table: UInt64) {
            for p in pages {
                let index = table * 512 + p
                let phys = 0x10_0000_0000 + index * 0x3000
                XCTAssertNil(e.map(dom, iova: index << 12, phys: phys, size: 4096))
                reference[index] = phys
            }
        }
        map(Array(100 ..< 140), table: 0) // dense
        map([3, 77, 200, 401, 509], table: 1) // sparse, linear search
        map([1, 9, 30, 31, 64, 128, 250, 251, 300, 420, 480, 511], table: 2) // sparse, binary search
        func verify(_ label: String) {
            for index in UInt64(0) ..< 3 * 512 {
                let fault = e.dma(dev, write: false, address: index << 12 | 0x18, size: 8)
                if let phys = reference[index] {
                    XCTAssertNil(fault, "\(label): page \(index)")
                    XCTAssertEqual(e.lastSegments.first?.address, phys | 0x18, "\(label): page \(index)")
                } else {
                    XCTAssertEqual(fault, .translation, "\(label): hole \(index)")
                }
            }
        }
        verify("built")
        // Unmapping inside the dense run and among the sparse entries reshapes the tables.
        for index: UInt64 in [120, 512 + 200, 1024 + 64] {
            XCTAssertNil(e.unmap(domain: dom, iova: AddressRange(base: index << 12, size: 4096)!).refusal)
            reference[index] = nil
        }
        e.invalidate(iommu: IOMMUID(0), scope: .all)
        verify("after unmap")
    }

    func testMisalignedAndUnsupportedMapsAreRefused() throws {
        let m = try XCTUnwrap(model(onePlatform(kind: "arm-smmuv3", granule: "64KiB")))
        var e = Engine(model: m)
        XCTAssertEqual(e.map(DomainID(0), iova: 0x1000, phys: 0, size: 0x10000)?.reason, "misaligned")
        XCTAssertEqual(e.map(DomainID(0), iova: 0, phys: 0, size: 0x200000, page: 0x200000)?.reason, "page-size")
        XCTAssertEqual(e.map(DomainID(0), iova: 1 << 48, phys: 0, size: 0x10000)?.reason, "iova-range")
    }
}

final class IOTLBTests: XCTestCase {
    func testLRUReplacementWithinASet() {
        let t = IOTLB(geometry: IOTLBGeometry(sets: 1, ways: 2, hitCycles: 1, walkCyclesPerLevel: 1))
        defer { t.free() }
        _ = t.fill(0, iova: 0x1000, pageShift: 12, output: 0xA000, perm: 3, epoch: 0)
        _ = t.fill(0, iova: 0x2000, pageShift: 12, output: 0xB000, perm: 3, epoch: 0)
        XCTAssertNotNil(t.lookup(0, 0x1000)) // 0x1000 now most recent
        _ = t.fill(0, iova: 0x3000, pageShift: 12, output: 0xC000, perm: 3, epoch: 0)
        XCTAssertNotNil(t.lookup(0, 0x1000), "the recently used entry stays")
        XCTAssertNil(t.lookup(0, 0x2000), "the least recently used entry is evicted")
        XCTAssertNil(t.lookup(1, 0x1000), "entries are per domain")
    }

    func testInvalidationScopes() {
        let t = IOTLB(geometry: IOTLBGeometry(sets: 4, ways: 4, hitCycles: 1, walkCyclesPerLevel: 1))
        defer { t.free() }
        _ = t.fill(0, iova: 0x1000, pageShift: 12, output: 0, perm: 3, epoch: 0)
        _ = t.fill(0, iova: 0x20_0000, pageShift: 21, output: 0, perm: 3, epoch: 0)
        _ = t.fill(1, iova: 0x1000, pageShift: 12, output: 0, perm: 3, epoch: 0)
        t.invalidate(domain: 0, range: AddressRange(base: 0x20_1000, size: 0x1000)!)
        XCTAssertNil(t.lookup(0, 0x20_0000), "a range inside a 2 MiB entry drops it")
        XCTAssertNotNil(t.lookup(0, 0x1000))
        t.invalidate(domain: 0)
        XCTAssertNil(t.lookup(0, 0x1000))
        XCTAssertNotNil(t.lookup(1, 0x1000))
        t.invalidateAll()
        XCTAssertEqual(t.occupancy, 0)
    }
}
