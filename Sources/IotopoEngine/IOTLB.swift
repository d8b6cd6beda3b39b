import IotopoModel

/// A set-associative IOTLB with LRU replacement, and its IOMMU's counters.
///
/// An entry caches one leaf translation: (domain, page number, page size) to the output
/// page and its permissions. Lookups probe each page size currently cached, as an IOTLB
/// holding superpages does. Entries survive unmaps until invalidated, exactly as hardware
/// does; each remembers its domain's unmap epoch so a hit can be checked for staleness.
///
/// The storage is raw memory owned by the engine, which frees it (`Engine` is noncopyable,
/// so exactly one engine owns each IOTLB): the DMA hot path reads and updates it millions of
/// times a second, and raw buffers cost neither bounds checks, copy-on-write checks nor
/// reference counting. Every index is computed here from `sets` and `ways`.
struct IOTLB {
    let sets: Int
    let ways: Int
    private let setMask: UInt64
    /// Per entry, what a lookup compares and LRU reads across a set, one array each so a
    /// set's tags share a cache line: page number << 6 | log2(page size); domain; LRU
    /// stamp. Then what a hit reads and a fill writes, together in one 16-byte record.
    private let key: UnsafeMutablePointer<UInt64>
    private let domain: UnsafeMutablePointer<Int32>
    private let stamp: UnsafeMutablePointer<UInt32>
    private let payload: UnsafeMutablePointer<Payload>
    /// LRU clock, the set of page sizes cached (bit n: 2^n-byte pages), and the counters.
    private let state: UnsafeMutablePointer<State>

    struct Payload {
        var output: UInt64 = 0
        var epoch: UInt32 = 0
        var perm: UInt8 = 0
    }

    /// The output page, permissions (PTE bits) and unmap epoch of entry `w`.
    @inline(__always) func output(_ w: Int) -> UInt64 { payload[w].output }
    @inline(__always) func perm(_ w: Int) -> UInt8 { payload[w].perm }
    @inline(__always) func epoch(_ w: Int) -> UInt32 { payload[w].epoch }

    struct State {
        var clock: UInt32 = 0
        var shiftsPresent: UInt64 = 0
        var stats = IOMMUStats()
    }

    /// This IOMMU's translation counters.
    var stats: IOMMUStats {
        get { state.pointee.stats }
        nonmutating set { state.pointee.stats = newValue }
    }

    /// Counts one lookup (and whether it hit) and its cost.
    @inline(__always) func count(hit: Bool, walk: Bool, cycles: UInt32) {
        state.pointee.stats.lookups &+= 1
        if hit { state.pointee.stats.hits &+= 1 }
        if walk { state.pointee.stats.walks &+= 1 }
        state.pointee.stats.cycles &+= UInt64(cycles)
    }

    var shiftsPresent: UInt64 { state.pointee.shiftsPresent }

    init(geometry g: IOTLBGeometry) {
        sets = Int(g.sets)
        ways = Int(g.ways)
        setMask = UInt64(g.sets) - 1
        let n = sets * ways
        key = .allocate(capacity: n)
        key.initialize(repeating: 0, count: n)
        domain = .allocate(capacity: n)
        domain.initialize(repeating: -1, count: n)
        payload = .allocate(capacity: n)
        payload.initialize(repeating: Payload(), count: n)
        stamp = .allocate(capacity: n)
        stamp.initialize(repeating: 0, count: n)
        state = .allocate(capacity: 1)
        state.initialize(to: State())
    }

    /// Frees the storage; called once, by the owning engine's `deinit`.
    func free() {
        state.deallocate()
        key.deallocate()
        domain.deallocate()
        payload.deallocate()
        stamp.deallocate()
    }

    /// Number of entries.
    var capacity: Int { sets * ways }

    /// The set for a page: low page-number bits mixed with the domain, so domains that map
    /// the same IOVAs do not all collide in one set.
    @inline(__always) func set(_ d: Int32, _ pageNumber: UInt64) -> Int {
        Int(truncatingIfNeeded: (pageNumber ^ (UInt64(UInt32(bitPattern: d)) &* 0x9E37_79B1)) & setMask)
    }

    /// Looks up `iova` in domain `d`; returns the entry on a hit.
    @inline(__always) func lookup(_ d: Int32, _ iova: UInt64) -> Int? {
        var shifts = state.pointee.shiftsPresent
        while shifts != 0 {
            let s = UInt64(shifts.trailingZeroBitCount)
            shifts &= shifts &- 1
            let pn = iova >> s
            let k = pn << 6 | s
            let base = set(d, pn) &* ways
            var w = base
            let end = base &+ ways
            while w < end {
                if key[w] == k && domain[w] == d {
                    state.pointee.clock &+= 1
                    stamp[w] = state.pointee.clock
                    return w
                }
                w &+= 1
            }
        }
        return nil
    }

    /// The page size (log2) of an entry.
    @inline(__always) func shift(_ w: Int) -> Int { Int(truncatingIfNeeded: key[w] & 63) }

    /// Caches a translation, replacing the least recently used way of its set.
    @discardableResult
    func fill(_ d: Int32, iova: UInt64, pageShift: Int, output out: UInt64, perm p: UInt8, epoch e: UInt32) -> Int {
        let pn = iova >> UInt64(pageShift)
        let base = set(d, pn) * ways
        var victim = base
        for w in base ..< base + ways {
            if domain[w] < 0 { victim = w; break }
            if stamp[w] < stamp[victim] { victim = w }
        }
        state.pointee.clock &+= 1
        domain[victim] = d
        key[victim] = pn << 6 | UInt64(pageShift)
        payload[victim] = Payload(output: out, epoch: e, perm: p)
        stamp[victim] = state.pointee.clock
        state.pointee.shiftsPresent |= 1 << UInt64(pageShift)
        return victim
    }

    /// The lowest address in `first...last` that a valid entry of domain `d` covers, if any
    /// (every page size; one pass over the entries).
    func firstCovered(domain d: Int32, first: UInt64, last: UInt64) -> UInt64? {
        var best: UInt64?
        for i in 0 ..< capacity where domain[i] == d {
            let (base, end) = span(i)
            guard base <= last && first <= end else { continue }
            let a = max(base, first)
            if best.map({ a < $0 }) ?? true { best = a }
        }
        return best
    }

    /// Counts `n` lookups that all missed and walked, each costing `cycles`.
    func countMisses(_ n: UInt64, cycles: UInt32) {
        state.pointee.stats.lookups &+= n
        state.pointee.stats.walks &+= n
        state.pointee.stats.cycles &+= n &* UInt64(cycles)
    }

    /// Moves the LRU clock on by `n` ticks, as `n` fills would (it wraps as they would).
    func advanceClock(by n: UInt64) {
        state.pointee.clock &+= UInt32(truncatingIfNeeded: n)
    }

    /// Marks an entry as checked against the current tables.
    func refresh(_ slot: Int, epoch e: UInt32) { payload[slot].epoch = e }

    /// Drops every entry.
    func invalidateAll() {
        for i in 0 ..< capacity { domain[i] = -1 }
        state.pointee.shiftsPresent = 0
    }

    /// Drops every entry of one domain.
    func invalidate(domain d: Int32) {
        for i in 0 ..< capacity where domain[i] == d { domain[i] = -1 }
    }

    /// Drops the entries of one domain whose page overlaps `range`.
    func invalidate(domain d: Int32, range: AddressRange) {
        for i in 0 ..< capacity where domain[i] == d {
            let (first, last) = span(i)
            if first <= range.last && range.base <= last { domain[i] = -1 }
        }
    }

    /// The first and last address of entry `w`'s page.
    @inline(__always) func span(_ w: Int) -> (first: UInt64, last: UInt64) {
        let s = UInt64(shift(w))
        guard s < 64 else { return (0, .max) }
        let first = (key[w] >> 6) << s
        return (first, first &+ ((1 << s) &- 1))
    }

    /// Valid entries (for statistics and tests).
    var occupancy: Int { (0 ..< capacity).reduce(0) { $0 + (domain[$1] >= 0 ? 1 : 0) } }
}
