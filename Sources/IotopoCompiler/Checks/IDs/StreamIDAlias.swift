import IotopoModel

extension ModelCheck {
    /// Arm SMMUv3 gives each stream ID one master; Linux refuses a second device that ends
    /// with a stream ID already taken ("Aliasing StreamID ... unsupported",
    /// drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c). Behind a PCIe-to-PCI bridge every device
    /// aliases to the bridge's ID, so this is what such a bridge does to an SMMUv3 system.
    static let streamIDAlias = ModelCheck("stream-id-alias", .error, "two devices end with the same stream ID at an Arm SMMUv3",
                                          after: ["bridge-cycle", "bus-multiple-upstream"]) { c in
        let m = c.model
        var owner: [UInt64: DeviceID] = [:]
        for d in m.devices.ids(Device.self) where m.devices[d].dmaCapable {
            for s in c.streams(of: d) where m.iommus[s.iommu].kind == .armSMMUv3 {
                for sid in s.ids {
                    let key = UInt64(s.iommu.raw) << 32 | UInt64(sid)
                    guard let other = owner[key] else { owner[key] = d; continue }
                    if other == d { continue }
                    var notes = [c.note("\(c.name(other)) already has stream ID \(hex(UInt64(sid)))", m.devices[other].origin)]
                    let path = c.topology.path(of: m.devices[d])
                    if let a = m.effectiveRID(of: d, path: path, at: s.step), let b = a.bridge {
                        notes.append(c.note("bridge '\(m.bridges[b].name)' presents the DMA of the devices below it as \(a.rid)", m.bridges[b].origin))
                    }
                    c.report("device \(c.name(d)) reaches SMMUv3 '\(m.iommus[s.iommu].name)' with stream ID \(hex(UInt64(sid))), which \(c.name(other)) also uses; Linux refuses aliasing stream IDs",
                             at: m.devices[d].origin, notes: notes)
                }
            }
        }
    }
}
