import IotopoModel

/// Page-table entry encoding, close to the hardware formats: a valid bit, a table bit,
/// read and write bits, and the next table or the output page in bits 12 and up.
///
/// Table entries hold a table index (shifted by 12, as a table's "address"). An entry may
/// also be a lazy table: valid and table but not yet built; building it reads the mappings.
public enum PTE {
    public static let valid: UInt64 = 1 << 0
    public static let table: UInt64 = 1 << 1
    public static let read: UInt64 = 1 << 2
    public static let write: UInt64 = 1 << 3
    public static let lazy: UInt64 = 1 << 4
    public static let addressMask: UInt64 = ~UInt64(0xFFF)

    /// The permission bits of a mapping.
    @inlinable public static func bits(_ p: Permissions) -> UInt64 {
        (p.contains(.read) ? read : 0) | (p.contains(.write) ? write : 0)
    }

    /// Readable description of an entry, for `explain`.
    /// `tableNumber` turns a table entry's pointer into the table's number in build order.
    public static func describe(_ e: UInt64, tableNumber: (UInt64) -> Int) -> String {
        if e & valid == 0 { return "invalid" }
        if e & table != 0 { return e & lazy != 0 ? "table (not yet built)" : "table #\(tableNumber(e >> 12))" }
        let p = (e & read != 0 ? "r" : "-") + (e & write != 0 ? "w" : "-")
        return "leaf \(hex(e & addressMask)) \(p)"
    }
}

/// The page tables of every domain of one IOMMU.
///
/// A domain's tables are a real radix tree: levels and indices follow the IOMMU's geometry
/// (docs/semantics.md section 5), a mapping with a large page becomes a block entry at the level
/// whose entries span its page size. Tables are built on demand, a whole table at a time,
/// from the domain's sorted mappings, so memory follows what DMA actually touches.
///
/// A built table never changes shape (only a lazy entry becomes a table pointer), so each
/// is stored as its valid entries alone, sorted by index, in one pool: a 4 KiB hardware table
/// holding two entries costs twenty bytes here, and a walk reads the same levels, indices and
/// entries as hardware would. A map or unmap drops the domain's tables; when dropped entries
/// outnumber live ones the pool is compacted by dropping every table, which are then rebuilt
/// from the mappings as DMA needs them, so memory never grows with the number of steps.
struct TablePool {
    let geometry: PageTableGeometry
    let entriesPerTable: Int
    let levels: Int
    /// Per level: the shift of the address bits an entry covers, and the index mask (raw
    /// memory like `words`, so reading them costs no reference counting).
    private let levelShift: UnsafeMutablePointer<UInt64>
    private let levelMask: UnsafeMutablePointer<UInt64>
    /// Tables back to back. A table at offset t starts with two header words: its entry
    /// count (bits 0-31), a dense flag (bit 32) and, when dense, its first index (bits
    /// 33-49); then its 0-based number in build order, which `explain` shows. A dense table,
    /// whose valid entries have consecutive indices (the usual case: mappings are runs of
    /// pages), holds just the entries, so a lookup is one subtraction, as in hardware; any
    /// other holds (index, entry) pairs sorted by index. Either way a table holding a few
    /// entries is one or two cache lines. Raw memory owned by the engine (which frees it in
    /// `deinit`), so a walk pays no bounds, uniqueness or reference-counting checks.
    private var words: UnsafeMutablePointer<UInt64>
    private var capacity: Int
    private(set) var used = 0
    private var dropped = 0
    private var tables = 0
    private var droppedTables = 0

    init(geometry: PageTableGeometry) {
        self.geometry = geometry
        entriesPerTable = 1 << Int(geometry.bitsPerLevel)
        levels = Int(geometry.levels)
        let n = max(1, Int(geometry.levels))
        levelShift = .allocate(capacity: n)
        levelMask = .allocate(capacity: n)
        for l in 0 ..< Int(geometry.levels) {
            levelShift[l] = UInt64(geometry.shift(level: l))
            let bits = geometry.indexBits(level: l)
            levelMask[l] = bits >= 64 ? .max : (UInt64(1) << UInt64(bits)) - 1
        }
        capacity = 1 << 12
        words = .allocate(capacity: capacity)
    }

    /// Frees the storage; called once, by the owning engine's `deinit`.
    func free() {
        words.deallocate()
        levelShift.deallocate()
        levelMask.deallocate()
    }

    /// Tables built and not dropped (for statistics).
    var liveTables: Int { tables - droppedTables }

    /// The table index of `iova` at `level`.
    @inline(__always) func index(_ iova: UInt64, level: Int) -> Int {
        Int(truncatingIfNeeded: (iova >> levelShift[level]) & levelMask[level])
    }

    private mutating func reserve(_ n: Int) {
        guard used + n > capacity else { return }
        var c = capacity * 2
        while used + n > c { c *= 2 }
        let grown = UnsafeMutablePointer<UInt64>.allocate(capacity: c)
        grown.update(from: words, count: used)
        words.deallocate()
        words = grown
        capacity = c
    }

    private static let denseFlag: UInt64 = 1 << 32

    /// The words a table of `entries` takes.
    static func size(_ entries: [(UInt16, UInt64)]) -> Int {
        isDense(entries) ? 2 + entries.count : 2 + 2 * entries.count
    }

    private static func isDense(_ entries: [(UInt16, UInt64)]) -> Bool {
        guard let first = entries.first, let last = entries.last else { return false }
        return Int(last.0) - Int(first.0) + 1 == entries.count
    }

    /// Appends a table given as (index, entry) pairs in index order; returns its offset.
    mutating func add(_ entries: [(UInt16, UInt64)]) -> Int32 {
        let n = Self.size(entries)
        reserve(n)
        let t = used
        words[t + 1] = UInt64(tables)
        tables += 1
        if Self.isDense(entries) {
            words[t] = UInt64(entries.count) | Self.denseFlag | UInt64(entries[0].0) << 33
            for (k, e) in entries.enumerated() { words[t + 2 + k] = e.1 }
        } else {
            words[t] = UInt64(entries.count)
            var w = t + 2
            for (i, v) in entries {
                words[w] = UInt64(i)
                words[w + 1] = v
                w += 2
            }
        }
        used = t + n
        return Int32(t)
    }

    /// The number of table `t` in build order since the pool was last compacted (0-based:
    /// the first table built, a root, is #0).
    func number(_ t: Int32) -> Int { Int(truncatingIfNeeded: words[Int(t) + 1]) }

    /// The word holding entry `i` of table `t`, or -1 when the entry is invalid.
    @inline(__always) func slot(_ t: Int32, _ i: Int) -> Int {
        let base = Int(t)
        let header = words[base]
        let count = Int(truncatingIfNeeded: header & 0xFFFF_FFFF)
        if header & Self.denseFlag != 0 {
            let k = i &- Int(truncatingIfNeeded: (header >> 33) & 0x1FFFF)
            return UInt(bitPattern: k) < UInt(count) ? base + 2 + k : -1
        }
        let key = UInt64(i)
        let pairs = base + 2
        if count <= 8 {
            var s = pairs
            let end = pairs + 2 * count
            while s < end {
                if words[s] == key { return s + 1 }
                s += 2
            }
            return -1
        }
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if words[pairs + 2 * mid] < key { lo = mid + 1 } else { hi = mid }
        }
        return lo < count && words[pairs + 2 * lo] == key ? pairs + 1 + 2 * lo : -1
    }

    /// Entry `i` of table `t` (0 when invalid).
    func entry(_ t: Int32, _ i: Int) -> UInt64 {
        let s = slot(t, i)
        return s < 0 ? 0 : words[s]
    }

    /// Records that a domain's tables (`words` of pool) were dropped. Returns true when the
    /// pool was compacted instead, in which case every domain of the IOMMU must drop its
    /// tables (they are rebuilt on demand).
    mutating func drop(words n: Int, tables t: Int) -> Bool {
        dropped += n
        droppedTables += t
        if dropped > 1 << 16 && dropped * 2 > used {
            used = 0
            dropped = 0
            tables = 0
            droppedTables = 0
            return true
        }
        return false
    }
}

/// One domain's mappings, sorted by IOVA. (Its type, unmap epoch and table root, which
/// every DMA reads, live in the engine's compact arrays.)
struct DomainState {
    let iommu: IOMMUID
    /// Mappings sorted by IOVA base; never overlapping.
    var mappings: MappingList

    /// The place of the first mapping whose IOVA range ends at or after `a`.
    func firstMapping(endingAtOrAfter a: UInt64) -> MappingList.Index { mappings.firstEnding(atOrAfter: a) }

    /// The mapping containing `a`, if any.
    func mapping(containing a: UInt64) -> Mapping? {
        let i = firstMapping(endingAtOrAfter: a)
        return i < mappings.endIndex && mappings[i].iova.contains(a) ? mappings[i] : nil
    }
}

/// What a walk found.
struct WalkResult {
    /// The leaf entry (0 when the walk faulted).
    var entry: UInt64
    /// log2 of the page the leaf maps.
    var pageShift: Int
    /// Levels read (for the cost).
    var levels: Int
    /// The level where the walk stopped on an invalid entry, if it did.
    var faultLevel: Int?
}

/// A domain's place in its IOMMU's pool: its root table (-1 until first needed) and how
/// much of the pool its tables use, for compaction.
struct DomainTables {
    var root: Int32 = -1
    var words: Int32 = 0
    var tables: Int32 = 0
}

/// A domain's per-DMA state: its tables' place in the pool, its unmap epoch (bumped by
/// every unmap, so IOTLB entries filled under an older epoch may be stale) and its type.
struct DomainHot {
    var tables: DomainTables
    var epoch: UInt32
    var type: DomainType
}

extension TablePool {
    /// Builds one complete table of a domain at `level` covering IOVAs from `base`.
    mutating func build(_ m: MappingList, _ d: inout DomainTables, level: Int, base: UInt64) -> Int32 {
        let shift = geometry.shift(level: level)
        let count = level == 0 ? (1 << geometry.indexBits(level: 0)) : entriesPerTable
        let span: UInt64 = shift >= 64 ? .max : UInt64(1) << UInt64(shift)
        var entries: [(UInt16, UInt64)] = []
        var i = m.firstEnding(atOrAfter: base)
        let end = m.endIndex
        var index = 0
        while index < count {
            let (start, o) = base.addingReportingOverflow(UInt64(index) << UInt64(shift))
            if o { break }
            let last = start &+ (span &- 1)
            while i < end && m[i].iova.last < start { i = m.index(after: i) }
            guard i < end else { break }
            let mp = m[i]
            guard mp.iova.base <= last else {
                // Skip straight to the entry holding the next mapping.
                let next = (mp.iova.base &- base) >> UInt64(shift)
                index = next > UInt64(count) ? count : max(index + 1, Int(next))
                continue
            }
            if mp.pageSize == span && mp.iova.contains(start) {
                // A leaf: a page at the last level, a block above it.
                entries.append((UInt16(index), PTE.valid | PTE.bits(mp.perm) | ((mp.phys &+ (start &- mp.iova.base)) & PTE.addressMask)))
            } else if level + 1 < levels {
                entries.append((UInt16(index), PTE.valid | PTE.table | PTE.lazy))
            }
            index += 1
        }
        let t = add(entries)
        d.words &+= Int32(Self.size(entries))
        d.tables &+= 1
        return t
    }

    /// Walks tables that are already built: the same levels, indices and entries as `walk`,
    /// without touching the mappings. Nil when the walk reaches a table not yet built (or
    /// the domain has no root yet); the caller then runs `walk`, which builds it.
    @inline(__always)
    func walkBuilt(root: Int32, iova: UInt64) -> WalkResult? {
        guard root >= 0 else { return nil }
        var table = root
        var level = 0
        while true {
            let s = slot(table, index(iova, level: level))
            guard s >= 0 else { return WalkResult(entry: 0, pageShift: 0, levels: level + 1, faultLevel: level) }
            let e = words[s]
            if e & PTE.lazy != 0 { return nil }
            if e & PTE.table == 0 || level + 1 >= levels {
                return WalkResult(entry: e, pageShift: Int(levelShift[level]), levels: level + 1, faultLevel: nil)
            }
            table = Int32(truncatingIfNeeded: e >> 12)
            level += 1
        }
    }

    /// Walks a domain's tables for `iova`, building tables it needs on the way. `trace`
    /// receives (level, index, entry) per level when given.
    @inline(__always)
    mutating func walk(_ m: MappingList, _ d: inout DomainTables, iova: UInt64, trace: ((Int, Int, UInt64) -> Void)? = nil) -> WalkResult {
        if d.root < 0 { d.root = build(m, &d, level: 0, base: 0) }
        var table = d.root
        var level = 0
        while true {
            let index = self.index(iova, level: level)
            let s = slot(table, index)
            guard s >= 0 else {
                trace?(level, index, 0)
                return WalkResult(entry: 0, pageShift: 0, levels: level + 1, faultLevel: level)
            }
            var e = words[s]
            if e & PTE.lazy != 0 {
                let shift = levelShift[level]
                let base = shift >= 64 ? 0 : (iova >> shift) << shift
                let child = build(m, &d, level: level + 1, base: base)
                e = PTE.valid | PTE.table | (UInt64(UInt32(bitPattern: child)) << 12)
                words[s] = e
            }
            trace?(level, index, e)
            if e & PTE.table == 0 || level + 1 >= levels {
                return WalkResult(entry: e, pageShift: Int(levelShift[level]), levels: level + 1, faultLevel: nil)
            }
            table = Int32(truncatingIfNeeded: e >> 12)
            level += 1
        }
    }
}
