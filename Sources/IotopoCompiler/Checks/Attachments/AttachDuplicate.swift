import IotopoModel

extension ModelCheck {
    /// A device has one domain per IOMMU; a second attachment at the same IOMMU is a mistake.
    static let attachDuplicate = ModelCheck("attach-duplicate", .error, "a device is attached twice at the same IOMMU") { c in
        let m = c.model
        var first: [UInt64: Int] = [:]
        for (i, a) in m.attachments.enumerated() {
            let key = UInt64(a.device.raw) << 32 | UInt64(m.domains[a.domain].iommu.raw)
            guard let j = first[key] else { first[key] = i; continue }
            let prev = m.attachments[j]
            c.report("device '\(m.devices[a.device].name)' is already attached to domain '\(m.domains[prev.domain].name)' of IOMMU '\(m.iommus[m.domains[a.domain].iommu].name)'",
                     at: a.origin, notes: [c.note("first attachment", prev.origin)])
        }
    }
}
