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
            let place: String
            switch m.iommus[i].placement {
            case let .bridge(b): place = "bridge '\(m.bridges[b].name)'"
            case let .bus(b): place = "bus '\(m.buses[b].name)'"
            }
            c.report("IOMMU '\(m.iommus[i].name)' sits at \(place), where no DMA-capable device's path passes", at: m.iommus[i].origin)
        }
    }
}
