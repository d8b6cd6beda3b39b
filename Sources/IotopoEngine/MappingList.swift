import IotopoModel

/// A domain's mappings in IOVA order, kept in chunks so that a map or an unmap anywhere
/// costs a search and a move of one chunk, not of the whole list.
///
/// One sorted array made every `map` an insertion and every `unmap` a removal that moved
/// every later mapping: 100,000 maps in descending IOVA order took 18 s here, and the
/// million a workload may hold would take half an hour (issue 17, "Quadratic maps"; the
/// ascending order only looked fast because it appends). Chunks of at most
/// `2 * chunkSize` mappings, found by a binary search over each chunk's last IOVA, bound
/// both: a change moves at most one chunk and the (small) list of chunks. Walks read
/// mappings through `Index`, the chunk and the place in it, in the same order as before.
struct MappingList: Collection {
    /// Mappings per chunk when a list is built; a chunk is split when it reaches twice this.
    static let chunkSize = 256

    /// Non-empty chunks, each sorted, one after the other in IOVA order.
    private var chunks: [[Mapping]] = []
    /// The last IOVA of each chunk (of its last mapping), for the search.
    private var lasts: [UInt64] = []
    /// Mappings in all.
    private(set) var count = 0

    /// A place in the list: a chunk and an offset in it; `endIndex` is one past the last chunk.
    struct Index: Comparable {
        var chunk: Int
        var offset: Int
        static func < (a: Index, b: Index) -> Bool { (a.chunk, a.offset) < (b.chunk, b.offset) }
    }

    /// A list of mappings already sorted by IOVA and not overlapping.
    init(sorted: [Mapping]) {
        var i = 0
        while i < sorted.count {
            let chunk = Array(sorted[i ..< Swift.min(sorted.count, i + Self.chunkSize)])
            chunks.append(chunk)
            lasts.append(chunk[chunk.count - 1].iova.last)
            i += chunk.count
        }
        count = sorted.count
    }

    var startIndex: Index { Index(chunk: 0, offset: 0) }
    var endIndex: Index { Index(chunk: chunks.count, offset: 0) }
    var isEmpty: Bool { count == 0 }

    subscript(i: Index) -> Mapping { chunks[i.chunk][i.offset] }

    func index(after i: Index) -> Index {
        i.offset + 1 < chunks[i.chunk].count ? Index(chunk: i.chunk, offset: i.offset + 1) : Index(chunk: i.chunk + 1, offset: 0)
    }

    /// The place of the first mapping whose IOVA range ends at or after `a`, or `endIndex`.
    func firstEnding(atOrAfter a: UInt64) -> Index {
        var lo = 0, hi = lasts.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if lasts[mid] < a { lo = mid + 1 } else { hi = mid }
        }
        guard lo < chunks.count else { return endIndex }
        let chunk = chunks[lo]
        var l = 0, h = chunk.count
        while l < h {
            let mid = (l + h) / 2
            if chunk[mid].iova.last < a { l = mid + 1 } else { h = mid }
        }
        // The chunk's last mapping ends at or after `a`, so `l` is inside it.
        return Index(chunk: lo, offset: l)
    }

    /// Inserts `m` at `i` (the place `firstEnding` gave for its IOVA), keeping the order.
    mutating func insert(_ m: Mapping, at i: Index) {
        count += 1
        guard !chunks.isEmpty else {
            chunks = [[m]]
            lasts = [m.iova.last]
            return
        }
        // Past the end: the last chunk takes it.
        var c = i.chunk, o = i.offset
        if c == chunks.count {
            c -= 1
            o = chunks[c].count
        }
        chunks[c].insert(m, at: o)
        lasts[c] = chunks[c][chunks[c].count - 1].iova.last
        if chunks[c].count >= 2 * Self.chunkSize {
            let tail = Array(chunks[c][Self.chunkSize...])
            chunks[c].removeSubrange(Self.chunkSize...)
            lasts[c] = chunks[c][chunks[c].count - 1].iova.last
            chunks.insert(tail, at: c + 1)
            lasts.insert(tail[tail.count - 1].iova.last, at: c + 1)
        }
    }

    /// Removes `n` mappings from `i` on (they may span chunks); empty chunks go.
    mutating func remove(from i: Index, count n: Int) {
        var left = n
        let c = i.chunk
        var o = i.offset
        var emptied: [Int] = []
        var k = c
        while left > 0 && k < chunks.count {
            let take = Swift.min(left, chunks[k].count - o)
            chunks[k].removeSubrange(o ..< o + take)
            left -= take
            count -= take
            if chunks[k].isEmpty {
                emptied.append(k)
            } else {
                lasts[k] = chunks[k][chunks[k].count - 1].iova.last
            }
            o = 0
            k += 1
        }
        if let first = emptied.first, let last = emptied.last {
            // Emptied chunks are consecutive: every chunk between the first and the last
            // emptied one was removed whole.
            chunks.removeSubrange(first ... last)
            lasts.removeSubrange(first ... last)
        }
    }

    /// Every mapping, in order (for reports; not on the DMA path).
    var all: [Mapping] { chunks.flatMap { $0 } }
}
