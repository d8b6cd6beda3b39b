import IotopoModel

extension ModelCheck {
    /// A stream ID that does not fit the IOMMU's stream-ID width: given directly, produced by
    /// the id-map, or a requester ID passed through unchanged (no id-map).
    static let streamIDTooWide = ModelCheck("stream-id-too-wide", .error, "a stream ID wider than the IOMMU's stream-ID width",
                                            after: ["bridge-cycle", "bus-multiple-upstream"]) { c in
        let m = c.model
        for u in m.iommus {
            let limit = UInt64(1) << UInt64(u.streamIDBits)
            for e in u.idMap where UInt64(e.outputBase) + UInt64(e.length) > limit {
                c.report("id-map entry outputs stream IDs up to \(hex(UInt64(e.outputBase) + UInt64(e.length) - 1)), wider than the \(u.streamIDBits) bits of IOMMU '\(u.name)'",
                         at: e.origin)
            }
        }
        for d in m.devices.ids(Device.self) where m.devices[d].dmaCapable {
            for s in c.streams(of: d) {
                let bits = m.iommus[s.iommu].streamIDBits
                for sid in s.ids where UInt64(sid) >= UInt64(1) << UInt64(bits) {
                    c.report("device \(c.name(d)) has stream ID \(hex(UInt64(sid))), wider than the \(bits) bits of IOMMU '\(m.iommus[s.iommu].name)'",
                             at: m.devices[d].origin, notes: [c.note("stream-id-bits of '\(m.iommus[s.iommu].name)'", m.iommus[s.iommu].origin)])
                }
            }
        }
    }
}
