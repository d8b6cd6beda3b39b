import IotopoModel

extension ModelCheck {
    /// A device can only use a domain of an IOMMU its DMA actually passes through.
    static let attachIOMMUNotOnPath = ModelCheck("attach-iommu-not-on-path", .error, "a device is attached to a domain of an IOMMU not on its DMA path",
                                                 after: ["bridge-cycle", "bus-multiple-upstream"]) { c in
        let m = c.model
        for a in m.attachments {
            let dev = m.devices[a.device], dom = m.domains[a.domain]
            let path = c.topology.path(of: dev)
            guard !path.iommus.contains(dom.iommu) else { continue }
            let on = path.iommus.isEmpty ? "no IOMMU is on its path" : "its path crosses " + path.iommus.map { "'\(m.iommus[$0].name)'" }.joined(separator: ", ")
            c.report("device '\(dev.name)' is attached to domain '\(dom.name)' of IOMMU '\(m.iommus[dom.iommu].name)', but \(on)",
                     at: a.origin, notes: [c.note("IOMMU '\(m.iommus[dom.iommu].name)' is placed here", m.iommus[dom.iommu].origin)])
        }
    }
}
