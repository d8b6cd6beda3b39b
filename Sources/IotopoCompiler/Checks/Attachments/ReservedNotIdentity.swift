import IotopoModel

extension ModelCheck {
    /// A reserved range (an RMRR, an IVMD unity range, an IORT RMR) must stay identity-mapped,
    /// readable and writable, in every domain its device uses: firmware keeps DMA-ing there
    /// (docs/semantics.md section 4).
    static let reservedNotIdentity = ModelCheck("reserved-not-identity", .error, "a device's reserved range is not identity-mapped in its domain",
                                                after: ["attach-iommu-not-on-path"]) { c in
        let m = c.model
        for a in m.attachments {
            let dev = m.devices[a.device], dom = m.domains[a.domain]
            for r in dev.reserved {
                switch dom.type {
                case .identity: continue
                case .blocked:
                    c.report("device '\(dev.name)' has reserved range [\(hex(r.range.base)), \(hex(r.range.last))] but is attached to blocked domain '\(dom.name)'",
                             at: a.origin, notes: [c.note("reserved range", r.origin)])
                case .translated:
                    var covered = RangeSet()
                    for mp in dom.mappings where mp.iova.base == mp.phys && mp.perm == .readWrite && mp.iova.overlaps(r.range) {
                        covered.insert(mp.iova)
                    }
                    let gaps = covered.missing(from: r.range)
                    guard let g = gaps.first else { continue }
                    c.report("reserved range [\(hex(r.range.base)), \(hex(r.range.last))] of device '\(dev.name)' is not identity-mapped read-write in domain '\(dom.name)' (first gap at \(hex(g.base)))",
                             at: a.origin, notes: [c.note("reserved range", r.origin), c.note("domain '\(dom.name)'", dom.origin)])
                }
            }
        }
    }
}
