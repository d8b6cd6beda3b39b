import IotopoModel

extension ModelCheck {
    /// A mapping onto MMIO lets a device's DMA reach another device's registers
    /// (peer-to-peer): sometimes intended (GPU direct), always worth a second look.
    static let peerToPeerMapping = ModelCheck("peer-to-peer-mapping", .warning, "a mapping targets a device's MMIO (peer-to-peer DMA)") { c in
        let m = c.model
        let mmio = m.regions.filter { $0.kind == .mmio }
        guard !mmio.isEmpty else { return }
        for d in m.domains where d.type == .translated {
            for mp in d.mappings {
                for r in mmio where r.range.overlaps(mp.physRange) {
                    let whose = r.owner.map { "device '\(m.devices[$0].name)''s MMIO region '\(r.name)'" } ?? "MMIO region '\(r.name)'"
                    c.report("mapping in domain '\(d.name)' targets \(whose): DMA through it is peer-to-peer", at: mp.origin,
                             notes: [c.note("region '\(r.name)' is defined here", r.origin)])
                }
            }
        }
    }
}
