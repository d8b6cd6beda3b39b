import IotopoModel

extension ModelCheck {
    /// An IOVA at or beyond 2^input-bits cannot be translated (REFERENCE.md section 5).
    static let mappingIOVATooWide = ModelCheck("mapping-iova-too-wide", .error, "a mapping's IOVA range passes the IOMMU's input width") { c in
        let m = c.model
        for d in m.domains {
            let u = m.iommus[d.iommu]
            guard u.inputBits < 64 else { continue }
            for mp in d.mappings where mp.iova.last >> UInt64(u.inputBits) != 0 {
                c.report("mapping iova range ends at \(hex(mp.iova.last)), past the \(u.inputBits)-bit input width of IOMMU '\(u.name)'",
                         at: mp.origin, notes: [c.note("input-bits of '\(u.name)'", u.origin)])
            }
        }
    }

    /// A physical address at or beyond 2^output-bits cannot be produced (an address-size
    /// fault on SMMUv3, beyond MGAW on VT-d).
    static let mappingPhysTooWide = ModelCheck("mapping-phys-too-wide", .error, "a mapping's physical range passes the IOMMU's output width") { c in
        let m = c.model
        for d in m.domains {
            let u = m.iommus[d.iommu]
            guard u.outputBits < 64 else { continue }
            for mp in d.mappings where mp.physRange.last >> UInt64(u.outputBits) != 0 {
                c.report("mapping physical range ends at \(hex(mp.physRange.last)), past the \(u.outputBits)-bit output width of IOMMU '\(u.name)'",
                         at: mp.origin, notes: [c.note("output-bits of '\(u.name)'", u.origin)])
            }
        }
    }
}
