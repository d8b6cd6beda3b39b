import IotopoModel

extension ModelCheck {
    /// A writable mapping onto firmware-reserved or secure memory hands a device the power
    /// to corrupt firmware or the secure world. The identity mapping of a reserved range a
    /// device of the domain declares (an RMRR) is exempt: the firmware requires it.
    static let writableProtectedRegion = ModelCheck("writable-protected-region", .warning, "a writable mapping of a region marked reserved or secure") { c in
        let m = c.model
        let protected = m.regions.filter { $0.kind == .reserved || $0.secure }
        guard !protected.isEmpty else { return }
        var reservedOf = [RangeSet](repeating: RangeSet(), count: m.domains.count)
        for a in m.attachments {
            for r in m.devices[a.device].reserved { reservedOf[a.domain].insert(r.range) }
        }
        for (di, d) in m.domains.enumerated() where d.type == .translated {
            for mp in d.mappings where mp.perm.contains(.write) {
                // The identity mapping of a reserved range declared by a device using this
                // domain is required (reserved-not-identity), not a hazard.
                if mp.iova.base == mp.phys && reservedOf[di].contains(mp.physRange) { continue }
                for r in protected where r.range.overlaps(mp.physRange) {
                    let what = r.secure ? "secure" : "reserved"
                    c.report("writable mapping in domain '\(d.name)' targets \(what) region '\(r.name)'", at: mp.origin,
                             notes: [c.note("region '\(r.name)' is marked \(what) here", r.origin)])
                }
            }
        }
    }
}
