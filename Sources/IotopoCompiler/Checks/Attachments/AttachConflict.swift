import IotopoModel

extension ModelCheck {
    /// Devices that present the same stream ID at an IOMMU share one context entry, so they
    /// share one domain whether the description says so or not (this is why Linux puts them
    /// in one IOMMU group). Attaching them to different domains cannot work.
    static let attachConflict = ModelCheck("attach-conflict", .error, "devices sharing a stream ID are attached to different domains",
                                           after: ["bridge-cycle", "bus-multiple-upstream", "attach-iommu-not-on-path"]) { c in
        let m = c.model
        var owner: [UInt64: (device: DeviceID, attachment: Int)] = [:]
        for (i, a) in m.attachments.enumerated() {
            let iommu = m.domains[a.domain].iommu
            guard let s = c.streams(of: a.device).first(where: { $0.iommu == iommu }) else { continue }
            for sid in s.ids {
                let key = UInt64(iommu.raw) << 32 | UInt64(sid)
                guard let o = owner[key] else { owner[key] = (a.device, i); continue }
                let prev = m.attachments[o.attachment]
                if o.device == a.device || prev.domain == a.domain { continue }
                c.report("device '\(m.devices[a.device].name)' is attached to domain '\(m.domains[a.domain].name)', but it shares stream ID \(hex(UInt64(sid))) at IOMMU '\(m.iommus[iommu].name)' with device '\(m.devices[o.device].name)', attached to domain '\(m.domains[prev.domain].name)'",
                         at: a.origin, notes: [c.note("the other attachment", prev.origin)])
                break
            }
        }
    }
}
