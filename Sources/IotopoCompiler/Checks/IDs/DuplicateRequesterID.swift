import IotopoModel

extension ModelCheck {
    /// Two PCI functions (devices or bridges) with one requester ID on one segment: the
    /// IOMMU could not tell their DMA apart.
    static let duplicateRequesterID = ModelCheck("duplicate-requester-id", .error, "two PCI functions share a requester ID on one segment") { c in
        let m = c.model
        var items: [(key: UInt64, what: String, origin: Origin)] = []
        for b in m.bridges {
            if let rid = b.rid { items.append((UInt64(m.buses[b.upstream].segment) << 16 | UInt64(rid.raw), "bridge '\(b.name)'", b.origin)) }
        }
        for d in m.devices {
            if let rid = d.rid { items.append((UInt64(m.buses[d.bus].segment) << 16 | UInt64(rid.raw), "device '\(d.name)'", d.origin)) }
        }
        items.sort { $0.origin.range != $1.origin.range ? $0.origin.range < $1.origin.range : ($0.origin.instance ?? 0) < ($1.origin.instance ?? 0) }
        var first: [UInt64: Int] = [:]
        first.reserveCapacity(items.count)
        for (i, it) in items.enumerated() {
            if let j = first[it.key] {
                let rid = RequesterID(raw: UInt16(truncatingIfNeeded: it.key))
                c.report("\(it.what) has requester ID \(rid.description(segment: UInt32(truncatingIfNeeded: it.key >> 16))), already used by \(items[j].what)",
                         at: it.origin, notes: [c.note("\(items[j].what) is defined here", items[j].origin)])
            } else {
                first[it.key] = i
            }
        }
    }
}
