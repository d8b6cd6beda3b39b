/// A set of addresses as sorted, disjoint, non-adjacent ranges.
public struct RangeSet: Hashable, Sendable {
    /// The ranges, ascending.
    public private(set) var ranges: [AddressRange]

    /// The empty set.
    public init() { ranges = [] }

    /// A set from arbitrary ranges (merged and sorted).
    public init(_ list: [AddressRange]) {
        ranges = []
        for r in list.sorted() { insertSorted(r) }
    }

    /// Whether it holds no address.
    public var isEmpty: Bool { ranges.isEmpty }

    private mutating func insertSorted(_ r: AddressRange) {
        if let last = ranges.last, r.base <= last.last || (last.last != .max && r.base == last.last + 1) {
            ranges[ranges.count - 1] = AddressRange(base: last.base, last: max(last.last, r.last))
        } else {
            ranges.append(r)
        }
    }

    /// Adds a range.
    public mutating func insert(_ r: AddressRange) {
        self = RangeSet(ranges + [r])
    }

    /// Whether every address of `r` is in the set.
    public func contains(_ r: AddressRange) -> Bool {
        ranges.contains { $0.contains(r) }
    }

    /// Whether any address of `r` is in the set.
    public func intersects(_ r: AddressRange) -> Bool {
        ranges.contains { $0.overlaps(r) }
    }

    /// The addresses of `r` not in the set.
    public func missing(from r: AddressRange) -> [AddressRange] {
        var out: [AddressRange] = []
        var cursor: UInt64? = r.base
        for s in ranges {
            guard let cur = cursor else { break }
            if s.last < cur { continue }
            if s.base > r.last { break }
            if s.base > cur { out.append(AddressRange(base: cur, last: s.base - 1)) }
            cursor = s.last >= r.last ? nil : s.last + 1
        }
        if let cur = cursor { out.append(AddressRange(base: cur, last: r.last)) }
        return out
    }

    /// The image of the set through a bridge's DMA windows (dma-ranges): only addresses
    /// inside a window pass, translated; no windows means identity.
    public func through(_ windows: [DMAWindow]) -> RangeSet {
        if windows.isEmpty { return self }
        var out: [AddressRange] = []
        for r in ranges {
            for w in windows {
                guard let part = r.intersection(w.child) else { continue }
                out.append(AddressRange(base: w.translate(part.base), last: w.translate(part.last)))
            }
        }
        return RangeSet(out)
    }
}
