import IotopoModel

extension ModelCheck {
    /// Interrupt-remapping table entries: one entry per index, and a source device whose
    /// interrupts actually reach this IOMMU (VT-d source-id validation would reject
    /// anything else).
    static let remapEntryInvalid = ModelCheck("remap-entry-invalid", .error, "an interrupt-remapping entry repeats an index or names a device not behind its IOMMU",
                                              after: ["bridge-cycle", "bus-multiple-upstream"]) { c in
        let m = c.model
        for u in m.iommus.ids(IOMMU.self) {
            var seen: [UInt32: RemapEntry] = [:]
            for e in m.iommus[u].remapTable {
                if let prev = seen[e.index] {
                    c.report("remap-table index \(e.index) of IOMMU '\(m.iommus[u].name)' is already used", at: e.origin,
                             notes: [c.note("first entry with index \(e.index)", prev.origin)])
                    continue
                }
                seen[e.index] = e
                if let s = e.source, !c.topology.path(of: m.devices[s]).iommus.contains(u) {
                    c.report("remap-table entry \(e.index) names device '\(m.devices[s].name)', whose interrupts do not pass IOMMU '\(m.iommus[u].name)'",
                             at: e.origin)
                }
            }
        }
    }
}
