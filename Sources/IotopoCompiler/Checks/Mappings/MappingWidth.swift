import IotopoModel

extension ModelCheck {
    /// An IOVA at or beyond 2^input-bits cannot be translated (docs/semantics.md section 5).
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

    /// A physical address at or beyond 2^output-bits cannot be produced (F_ADDR_SIZE on
    /// SMMUv3; reserved bits of a second-stage entry, reason 0xC, on VT-d), and io-pgtable
    /// refuses to map it (-ERANGE).
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

    /// A write-only mapping in a first-stage domain: the format has no write-only entry, and
    /// Linux maps it read-write (io-pgtable-arm.c arm_lpae_prot_to_pte: AP_RDONLY only for
    /// read without write; the VT-d first-stage format makes every present entry readable).
    static let mappingWriteOnlyFirstStage = ModelCheck("mapping-write-only-first-stage", .warning,
                                                       "a write-only mapping in a first-stage domain, which the hardware makes read-write") { c in
        let m = c.model
        for d in m.domains where d.stage == .first {
            for mp in d.mappings where mp.requested == .write {
                c.report("write-only mapping at iova \(hex(mp.iova.base)) in stage-1 domain '\(d.name)': stage-1 tables have no write-only encoding, so the hardware holds it read-write and the device can also read \(hex(mp.phys))-\(hex(mp.physRange.last))",
                         at: mp.origin, notes: [c.note("domain '\(d.name)' is stage 1" + (d.stage == TranslationStage.defaultStage(m.iommus[d.iommu].kind) ? " (the default for \(m.iommus[d.iommu].kind.rawValue)); a stage-2 domain can be write-only" : "; a stage-2 domain can be write-only"), d.origin)])
            }
        }
    }
}
