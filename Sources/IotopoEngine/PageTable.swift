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
    public static func describe(_ e: UInt64) -> String {
        if e & valid == 0 { return "invalid" }
        if e & table != 0 { return e & lazy != 0 ? "table (not yet built)" : "table #\(e >> 12)" }
        let p = (e & read != 0 ? "r" : "-") + (e & write != 0 ? "w" : "-")
        return "leaf \(hex(e & addressMask)) \(p)"
    }
}

/// The page tables of every domain of one IOMMU, in one pool of fixed-size tables.
///
/// A domain's tables are a real radix tree: levels and indices follow the IOMMU's geometry
/// (REFERENCE.md section 5), a mapping with a large page becomes a block entry at the level
/// whose entries span its page size. Tables are built on demand, a whole table at a time,
/// from the domain's sorted mappings, so memory follows what DMA actually touches; a map or
/// unmap returns the domain's tables to the pool and they are rebuilt as needed.
struct TablePool {
    let geometry: PageTableGeometry
    let entriesPerTable: Int
    private(set) var entries: [UInt64] = []
    private var free: [Int32] = []

    init(geometry: PageTableGeometry) {
        self.geometry = geometry
        entriesPerTable = 1 << Int(geometry.bitsPerLevel)
    }

    /// Tables in use (for statistics).
    var tableCount: Int { entries.count / entriesPerTable - free.count }

    mutating func allocate() -> Int32 {
        if let t = free.popLast() {
            let base = Int(t) * entriesPerTable
            for i in base ..< base + entriesPerTable { entries[i] = 0 }
            return t
        }
        let t = Int32(entries.count / entriesPerTable)
        entries.append(contentsOf: repeatElement(0, count: entriesPerTable))
        return t
    }

    mutating func release(_ tables: [Int32]) { free.append(contentsOf: tables) }

    @inlinable func entry(_ table: Int32, _ index: Int) -> UInt64 { entries[Int(table) * entriesPerTable + index] }

    mutating func set(_ table: Int32, _ index: Int, _ value: UInt64) { entries[Int(table) * entriesPerTable + index] = value }
}

/// One domain's translation state: its type, its mappings sorted by IOVA, its tables.
struct DomainState {
    var type: DomainType
    let iommu: IOMMUID
    /// Mappings sorted by IOVA base; never overlapping.
    var mappings: [Mapping]
    /// Root table, or -1 until first needed.
    var root: Int32 = -1
    /// Tables this domain owns, returned to the pool when its mappings change.
    var tables: [Int32] = []
    /// Bumped by every unmap: IOTLB entries filled under an older epoch may be stale.
    var epoch: UInt32 = 0

    /// Index of the first mapping whose IOVA range ends at or after `a`.
    func firstMapping(endingAtOrAfter a: UInt64) -> Int {
        var lo = 0, hi = mappings.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if mappings[mid].iova.last < a { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// The mapping containing `a`, if any.
    func mapping(containing a: UInt64) -> Mapping? {
        let i = firstMapping(endingAtOrAfter: a)
        return i < mappings.count && mappings[i].iova.contains(a) ? mappings[i] : nil
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

extension TablePool {
    /// Builds one complete table of `domain` at `level` covering IOVAs from `base`.
    mutating func build(_ d: inout DomainState, level: Int, base: UInt64) -> Int32 {
        let t = allocate()
        d.tables.append(t)
        let shift = geometry.shift(level: level)
        let count = level == 0 ? (1 << geometry.indexBits(level: 0)) : entriesPerTable
        let span: UInt64 = shift >= 64 ? .max : UInt64(1) << UInt64(shift)
        var i = d.firstMapping(endingAtOrAfter: base)
        for index in 0 ..< count {
            let (start, o) = base.addingReportingOverflow(UInt64(index) << UInt64(shift))
            if o { break }
            let last = start &+ (span &- 1)
            while i < d.mappings.count && d.mappings[i].iova.last < start { i += 1 }
            guard i < d.mappings.count, d.mappings[i].iova.base <= last else { continue }
            let m = d.mappings[i]
            if m.pageSize == span && m.iova.contains(start) {
                // A leaf: a page at the last level, a block above it.
                set(t, index, PTE.valid | PTE.bits(m.perm) | ((m.phys &+ (start &- m.iova.base)) & PTE.addressMask))
            } else if level + 1 < Int(geometry.levels) {
                set(t, index, PTE.valid | PTE.table | PTE.lazy)
            }
        }
        return t
    }

    /// Walks `domain`'s tables for `iova`, building tables it needs on the way. `trace`
    /// receives (level, index, entry) per level when given.
    mutating func walk(_ d: inout DomainState, iova: UInt64, trace: ((Int, Int, UInt64) -> Void)? = nil) -> WalkResult {
        if d.root < 0 { d.root = build(&d, level: 0, base: 0) }
        var table = d.root
        var level = 0
        let levels = Int(geometry.levels)
        while true {
            let index = geometry.index(iova, level: level)
            var e = entry(table, index)
            if e & (PTE.valid | PTE.table | PTE.lazy) == PTE.valid | PTE.table | PTE.lazy {
                let shift = geometry.shift(level: level)
                let base = shift >= 64 ? 0 : (iova >> UInt64(shift)) << UInt64(shift)
                let child = build(&d, level: level + 1, base: base)
                e = PTE.valid | PTE.table | (UInt64(child) << 12)
                set(table, index, e)
            }
            trace?(level, index, e)
            if e & PTE.valid == 0 {
                return WalkResult(entry: 0, pageShift: 0, levels: level + 1, faultLevel: level)
            }
            if e & PTE.table == 0 || level + 1 >= levels {
                return WalkResult(entry: e, pageShift: geometry.shift(level: level), levels: level + 1, faultLevel: nil)
            }
            table = Int32(truncatingIfNeeded: e >> 12)
            level += 1
        }
    }

    /// Returns a domain's tables to the pool; they are rebuilt from the mappings on demand.
    mutating func reset(_ d: inout DomainState) {
        release(d.tables)
        d.tables.removeAll(keepingCapacity: true)
        d.root = -1
    }
}
