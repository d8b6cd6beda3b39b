@testable import IotopoEngine
import IotopoModel
import IotopoSource
import XCTest

/// A domain's mappings in chunks (issue 17, "Quadratic maps"): held against one sorted
/// array through random maps and unmaps, across chunk splits and emptied chunks.
final class MappingListTests: XCTestCase {
    func mapping(_ page: UInt64, pages: UInt64 = 1) -> Mapping {
        Mapping(iova: AddressRange(base: page << 12, size: pages << 12)!, phys: page << 12, perm: .readWrite, pageSize: 0x1000,
                region: nil, origin: Origin(range: .fileStart(FileID(0))))
    }

    func testChunksGiveTheSortedArraysAnswers() {
        var list = MappingList(sorted: [])
        var reference: [Mapping] = []
        var rng = SplitMix64(seed: 12345)
        func next(_ n: UInt64) -> UInt64 { rng.next(below: n) }
        var most = 0
        for step in 0 ..< 20000 {
            most = max(most, reference.count)
            if next(10) != 0 || reference.isEmpty {
                // Map a free page (random order: the front, the middle and the end).
                let page = next(50000)
                let i = list.firstEnding(atOrAfter: page << 12)
                if i < list.endIndex, list[i].iova.contains(page << 12) { continue }
                list.insert(mapping(page), at: i)
                let r = reference.firstIndex { $0.iova.base > page << 12 } ?? reference.count
                reference.insert(mapping(page), at: r)
            } else {
                // Unmap a run of a few consecutive mappings, and now and then of up to
                // 600, across chunks.
                let r = Int(next(UInt64(reference.count)))
                let n = min(reference.count - r, 1 + Int(next(next(100) == 0 ? 600 : 8)))
                let i = list.firstEnding(atOrAfter: reference[r].iova.base)
                XCTAssertEqual(list[i], reference[r], "step \(step)")
                list.remove(from: i, count: n)
                reference.removeSubrange(r ..< r + n)
            }
            if step % 997 == 0 || step == 19999 {
                XCTAssertEqual(list.count, reference.count, "step \(step)")
                XCTAssertEqual(list.all, reference, "step \(step)")
                XCTAssertEqual(Array(list), reference, "step \(step): iteration")
                // Every search agrees with the array's.
                for probe in stride(from: UInt64(0), to: 50001 << 12, by: 3331 << 12) {
                    let i = list.firstEnding(atOrAfter: probe)
                    let r = reference.firstIndex { $0.iova.last >= probe }
                    XCTAssertEqual(i < list.endIndex ? list[i] : nil, r.map { reference[$0] }, "step \(step), probe \(probe)")
                }
            }
        }
        XCTAssertGreaterThan(most, 8 * MappingList.chunkSize, "the walk outgrew many chunks")
    }
}
