import IotopoModel

extension ModelCheck {
    /// An IOMMU no DMA-capable device's path crosses: almost always placed at the wrong
    /// bridge or bus, leaving the devices it was meant to guard unguarded.
    static let iommuNoDMA = ModelCheck("iommu-no-dma", .warning, "an IOMMU placed where no DMA passes",
                                       after: ["bridge-cycle", "bus-multiple-upstream"], needsCompleteModel: true) { c in
        let m = c.model
        var used = [Bool](repeating: false, count: m.iommus.count)
        for d in m.devices where d.dmaCapable {
            for i in c.topology.path(of: d).iommus { used[i] = true }
        }
        for i in m.iommus.ids(IOMMU.self) where !used[i] {
            let places = m.iommus[i].placements.map { p -> String in
                switch p {
                case let .bridge(b): return "bridge '\(m.bridges[b].name)'"
                case let .bus(b): return "bus '\(m.buses[b].name)'"
                }
            }
            let place = places.count == 1 ? places[0] : places.dropLast().joined(separator: ", ") + " and " + (places.last ?? "")
            let why = m.iommus[i].scope != nil ? ", or no such device is in its scope" : m.iommus[i].includeAll ? ", or every such device is in another unit's scope" : ""
            c.report("IOMMU '\(m.iommus[i].name)' sits at \(place), where no DMA-capable device's path passes\(why)", at: m.iommus[i].origin)
        }
    }
}
