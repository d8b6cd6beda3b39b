import IotopoModel

extension ModelCheck {
    /// Two memory regions claiming the same physical addresses: one sweep over the regions
    /// sorted by base.
    static let memoryOverlap = ModelCheck("memory-overlap", .error, "two memory regions share physical addresses") { c in
        let m = c.model
        var widest: RegionID?
        for r in c.regionsByBase {
            if let w = widest, m.regions[w].range.overlaps(m.regions[r].range) {
                let shared = m.regions[w].range.intersection(m.regions[r].range)
                let what = shared.map { "[\(hex($0.base)), \(hex($0.last))]" } ?? ""
                c.report("region '\(m.regions[r].name)' overlaps region '\(m.regions[w].name)' at \(what)",
                         at: m.regions[r].origin, notes: [c.note("'\(m.regions[w].name)' is defined here", m.regions[w].origin)])
            }
            if widest.map({ m.regions[$0].range.last < m.regions[r].range.last }) ?? true { widest = r }
        }
    }
}
