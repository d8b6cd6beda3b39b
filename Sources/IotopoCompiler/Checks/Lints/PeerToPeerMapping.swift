import IotopoModel

extension ModelCheck {
    /// A mapping onto MMIO lets a device's DMA reach another device's registers
    /// (peer-to-peer): sometimes intended (GPU direct), always worth a second look. A domain
    /// used only by the region's owner is exempt; an unowned MMIO region counts for anyone.
    static let peerToPeerMapping = ModelCheck("peer-to-peer-mapping", .warning, "a mapping targets a device's MMIO (peer-to-peer DMA)") { c in
        let m = c.model
        let mmio = m.regions.filter { $0.kind == .mmio }
        guard !mmio.isEmpty else { return }
        var users = [[DeviceID]](repeating: [], count: m.domains.count)
        for a in m.attachments { users[a.domain].append(a.device) }
        for (di, d) in m.domains.enumerated() where d.type == .translated {
            for mp in d.mappings {
                for r in mmio where r.range.overlaps(mp.physRange) {
                    // A device reaching its own registers is not peer-to-peer.
                    let others = users[di].filter { $0 != r.owner }
                    guard let other = others.first else { continue }
                    let whose = r.owner.map { "MMIO region '\(r.name)' of device '\(m.devices[$0].name)'" } ?? "MMIO region '\(r.name)'"
                    c.report("mapping in domain '\(d.name)' targets \(whose): DMA from '\(m.devices[other].name)' through it is peer-to-peer", at: mp.origin,
                             notes: [c.note("region '\(r.name)' is defined here", r.origin)])
                }
            }
        }
    }
}
