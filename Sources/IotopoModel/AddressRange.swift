/// A non-empty range of 64-bit addresses, stored inclusively as `[base, last]` so a range may
/// end at the very top of the address space without overflow.
public struct AddressRange: Hashable, Sendable, Comparable {
    /// First address.
    public let base: UInt64
    /// Last address (inclusive).
    public let last: UInt64

    /// Creates `[base, last]`; `last` must be at least `base`.
    @inlinable public init(base: UInt64, last: UInt64) {
        self.base = base
        self.last = max(base, last)
    }

    /// Creates `[base, base + size)`, or nil when `size` is zero or `base + size` passes 2^64.
    @inlinable public init?(base: UInt64, size: UInt64) {
        guard size > 0 else { return nil }
        let (last, overflow) = base.addingReportingOverflow(size - 1)
        guard !overflow else { return nil }
        self.base = base
        self.last = last
    }

    /// The number of addresses; 0 stands for 2^64 (the whole space), the one size that does
    /// not fit in 64 bits.
    @inlinable public var size: UInt64 { last &- base &+ 1 }

    /// One past the last address, or nil when the range ends at 2^64 - 1.
    @inlinable public var end: UInt64? {
        let (e, o) = last.addingReportingOverflow(1)
        return o ? nil : e
    }

    /// Whether `a` is inside.
    @inlinable public func contains(_ a: UInt64) -> Bool { a >= base && a <= last }

    /// Whether `r` is entirely inside.
    @inlinable public func contains(_ r: AddressRange) -> Bool { r.base >= base && r.last <= last }

    /// Whether the two ranges share an address.
    @inlinable public func overlaps(_ r: AddressRange) -> Bool { base <= r.last && r.base <= last }

    /// The common part, if any.
    @inlinable public func intersection(_ r: AddressRange) -> AddressRange? {
        overlaps(r) ? AddressRange(base: max(base, r.base), last: min(last, r.last)) : nil
    }

    public static func < (a: AddressRange, b: AddressRange) -> Bool {
        a.base != b.base ? a.base < b.base : a.last < b.last
    }

    /// The whole 64-bit space.
    public static let all = AddressRange(base: 0, last: .max)
}

/// Fixed-width hexadecimal rendering for addresses, as in `0x0000_0001_0000_0000`-free
/// plain form: `0x` followed by at least `digits` lowercase digits. Renderers use it so
/// goldens line up and never depend on locale.
public func hex(_ v: UInt64, digits: Int = 1) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, digits - s.count)) + s
}

/// A size rendered with the largest binary unit that divides it (`4KiB`, `2MiB`), else in
/// decimal bytes below 1 MiB (`1500`) and in hex above (`0x1234567`).
public func sizeText(_ v: UInt64) -> String {
    let units: [(UInt64, String)] = [(1 << 40, "TiB"), (1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
    for (u, name) in units where v >= u && v % u == 0 {
        return "\(v / u)\(name)"
    }
    return v < 1 << 20 ? "\(v)" : hex(v)
}
