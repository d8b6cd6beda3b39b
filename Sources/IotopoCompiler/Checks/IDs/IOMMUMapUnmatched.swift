import IotopoModel

extension ModelCheck {
    /// A requester ID that no iommu-map entry matches is not behind the IOMMU at all
    /// (drivers/of/base.c `of_map_id`): with `unmatched: bypass` the device reaches all of
    /// memory untranslated; with `abort` its DMA is dropped. Either way Linux gives it no
    /// IOMMU (no fwspec), so it has no IOMMU group and VFIO cannot assign it.
    static let iommuMapUnmatched = ModelCheck("iommu-map-unmatched", .warning, "an iommu-map leaves a device's requester ID unmatched",
                                              after: ["bridge-cycle", "bus-multiple-upstream"]) { c in
        let m = c.model
        for d in m.devices.ids(Device.self) where m.devices[d].dmaCapable {
            for s in c.streams(of: d) where !s.unmatched.isEmpty {
                let u = m.iommus[s.iommu]
                let rids = s.unmatched.map(\.description).joined(separator: ", ")
                let effect = u.unmatched == .bypass
                    ? "so its DMA bypasses the IOMMU and can reach all of memory"
                    : "so its DMA is aborted (unmatched: abort)"
                c.report("no id-map entry of IOMMU '\(u.name)' matches requester ID \(rids) of device \(c.name(d)), \(effect); Linux gives it no IOMMU and no group",
                         at: m.devices[d].origin, notes: [c.note("id-map of '\(u.name)'", u.origin)])
            }
        }
    }
}
