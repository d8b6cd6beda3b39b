import IotopoModel

extension ModelCheck {
    /// A bus master with no IOMMU between it and memory can read and write every address
    /// its DMA width and the bridge windows let it emit.
    static let dmaWithoutIOMMU = ModelCheck("dma-without-iommu", .warning, "a DMA-capable device with no IOMMU on its path can reach all of memory",
                                            after: ["bridge-cycle", "bus-multiple-upstream", "bus-no-path-to-memory"], needsCompleteModel: true) { c in
        let m = c.model
        for d in m.devices where d.dmaCapable && c.topology.path(of: d).iommus.isEmpty && c.topology.path(of: d).reachesMemory {
            // IOMMUs on its bus's path whose scopes leave it out (a DMAR scope, IVHD entries).
            let passed = c.topology.busPaths[d.bus].iommus.map { "'\(m.iommus[$0].name)'" }
            if passed.isEmpty {
                c.report("device '\(d.name)' can master DMA and no IOMMU is on its path: it can read and write all memory it can address", at: d.origin)
            } else {
                c.report("device '\(d.name)' can master DMA and no IOMMU manages it (\(passed.joined(separator: ", ")) on its path leave\(passed.count == 1 ? "s" : "") it out of scope): it can read and write all memory it can address", at: d.origin)
            }
        }
    }
}
