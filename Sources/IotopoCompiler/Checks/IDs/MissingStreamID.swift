import IotopoModel

extension ModelCheck {
    /// A DMA master behind an IOMMU must present some ID there: a requester ID (PCI) or
    /// stream IDs (platform devices, the device tree's `iommus` property).
    static let missingStreamID = ModelCheck("missing-stream-id", .error, "a DMA-capable device behind an IOMMU has neither a requester ID nor stream IDs",
                                            after: ["bridge-cycle", "bus-multiple-upstream"]) { c in
        let m = c.model
        for d in m.devices where d.dmaCapable && d.rid == nil && d.streamIDs.isEmpty {
            guard let first = c.topology.path(of: d).iommus.first else { continue }
            c.report("device '\(d.name)' masters DMA behind IOMMU '\(m.iommus[first].name)' but has no 'stream-ids' to identify it there",
                     at: d.origin)
        }
    }
}
