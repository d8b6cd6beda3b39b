import IotopoModel

extension ModelCheck {
    /// A translated mapping must land in memory: its first byte inside a region.
    static let mappingOutsideMemory = ModelCheck("mapping-outside-memory", .error, "a mapping's physical range starts outside every memory region") { c in
        let m = c.model
        for d in m.domains where d.type == .translated {
            for mp in d.mappings where m.region(containing: mp.phys, sortedRegions: c.regionsByBase) == nil {
                c.report("mapping in domain '\(d.name)' targets \(hex(mp.phys)), which is in no memory region", at: mp.origin)
            }
        }
    }

    /// ...and end in the same region it starts in.
    static let mappingCrossesRegion = ModelCheck("mapping-crosses-region", .error, "a mapping's physical range runs past the end of its region") { c in
        let m = c.model
        for d in m.domains where d.type == .translated {
            for mp in d.mappings {
                guard let r = m.region(containing: mp.phys, sortedRegions: c.regionsByBase) else { continue }
                let region = m.regions[r]
                guard mp.physRange.last > region.range.last else { continue }
                c.report("mapping in domain '\(d.name)' runs from \(hex(mp.phys)) to \(hex(mp.physRange.last)), past the end of region '\(region.name)' at \(hex(region.range.last))",
                         at: mp.origin, notes: [c.note("region '\(region.name)' is defined here", region.origin)])
            }
        }
    }
}
