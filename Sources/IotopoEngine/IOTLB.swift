import IotopoModel

/// A set-associative IOTLB with LRU replacement, in flat arrays.
///
/// An entry caches one leaf translation: (domain, page number, page size) to the output
/// page and its permissions. Lookups probe each page size currently cached, as an IOTLB
/// holding superpages does. Entries survive unmaps until invalidated, exactly as hardware
/// does; each remembers its domain's unmap epoch so a hit can be checked for staleness.
struct IOTLB {
    let sets: Int
    let ways: Int
    private let setMask: UInt64
    private(set) var domain: [Int32]
    private(set) var page: [UInt64]
    private(set) var shift: [UInt8]
    private(set) var output: [UInt64]
    private(set) var perm: [UInt8]
    private(set) var epoch: [UInt32]
    private var stamp: [UInt32]
    private var clock: UInt32 = 0
    /// Bit n set when some entry caches 2^n-byte pages.
    private(set) var shiftsPresent: UInt64 = 0

    init(geometry g: IOTLBGeometry) {
        sets = Int(g.sets)
        ways = Int(g.ways)
        setMask = UInt64(g.sets) - 1
        let n = sets * ways
        domain = [Int32](repeating: -1, count: n)
        page = [UInt64](repeating: 0, count: n)
        shift = [UInt8](repeating: 0, count: n)
        output = [UInt64](repeating: 0, count: n)
        perm = [UInt8](repeating: 0, count: n)
        epoch = [UInt32](repeating: 0, count: n)
        stamp = [UInt32](repeating: 0, count: n)
    }

    /// The set for a page: low page-number bits mixed with the domain, so domains that map
    /// the same IOVAs do not all collide in one set.
    @inlinable func set(_ d: Int32, _ pageNumber: UInt64) -> Int {
        Int((pageNumber ^ (UInt64(UInt32(bitPattern: d)) &* 0x9E37_79B1)) & setMask)
    }

    /// Looks up `iova` in domain `d`; returns the entry slot on a hit.
    mutating func lookup(_ d: Int32, _ iova: UInt64) -> Int? {
        var shifts = shiftsPresent
        while shifts != 0 {
            let s = UInt64(shifts.trailingZeroBitCount)
            shifts &= shifts - 1
            let pn = iova >> s
            let base = set(d, pn) * ways
            for w in base ..< base + ways where domain[w] == d && page[w] == pn && UInt64(shift[w]) == s {
                clock &+= 1
                stamp[w] = clock
                return w
            }
        }
        return nil
    }

    /// Caches a translation, replacing the least recently used way of its set.
    mutating func fill(_ d: Int32, iova: UInt64, pageShift: Int, output out: UInt64, perm p: UInt8, epoch e: UInt32) -> Int {
        let pn = iova >> UInt64(pageShift)
        let base = set(d, pn) * ways
        var victim = base
        for w in base ..< base + ways {
            if domain[w] < 0 { victim = w; break }
            if stamp[w] < stamp[victim] { victim = w }
        }
        clock &+= 1
        domain[victim] = d
        page[victim] = pn
        shift[victim] = UInt8(pageShift)
        output[victim] = out
        perm[victim] = p
        epoch[victim] = e
        stamp[victim] = clock
        shiftsPresent |= 1 << UInt64(pageShift)
        return victim
    }

    /// Marks an entry as checked against the current tables.
    mutating func refresh(_ slot: Int, epoch e: UInt32) { epoch[slot] = e }

    /// Drops every entry.
    mutating func invalidateAll() {
        for i in domain.indices { domain[i] = -1 }
        shiftsPresent = 0
    }

    /// Drops every entry of one domain.
    mutating func invalidate(domain d: Int32) {
        for i in domain.indices where domain[i] == d { domain[i] = -1 }
    }

    /// Drops the entries of one domain whose page overlaps `range`.
    mutating func invalidate(domain d: Int32, range: AddressRange) {
        for i in domain.indices where domain[i] == d {
            let s = UInt64(shift[i])
            let first = page[i] << s
            let last = first &+ ((1 << s) - 1)
            if first <= range.last && range.base <= last { domain[i] = -1 }
        }
    }

    /// Valid entries (for statistics and tests).
    var occupancy: Int { domain.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) } }
}
