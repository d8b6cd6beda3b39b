import IotopoModel

extension ModelCheck {
    /// A writable mapping onto firmware-reserved or secure memory hands a device the power
    /// to corrupt firmware or the secure world.
    static let writableProtectedRegion = ModelCheck("writable-protected-region", .warning, "a writable mapping of a region marked reserved or secure") { c in
        let m = c.model
        let protected = m.regions.filter { $0.kind == .reserved || $0.secure }
        guard !protected.isEmpty else { return }
        for d in m.domains where d.type == .translated {
            for mp in d.mappings where mp.perm.contains(.write) {
                for r in protected where r.range.overlaps(mp.physRange) {
                    let what = r.secure ? "secure" : "reserved"
                    c.report("writable mapping in domain '\(d.name)' targets \(what) region '\(r.name)'", at: mp.origin,
                             notes: [c.note("region '\(r.name)' is marked \(what) here", r.origin)])
                }
            }
        }
    }
}
