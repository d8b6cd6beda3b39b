import IotopoModel

extension ModelCheck {
    /// A mapping must be aligned to the page size it uses: IOVA, physical address and size
    /// (docs/semantics.md section 5; io-pgtable refuses unaligned maps).
    static let mappingMisaligned = ModelCheck("mapping-misaligned", .error, "a mapping's IOVA, physical address or size is not a multiple of its page size") { c in
        for d in c.model.domains {
            for mp in d.mappings {
                let mask = mp.pageSize &- 1
                var bad: [String] = []
                if mp.iova.base & mask != 0 { bad.append("iova \(hex(mp.iova.base))") }
                if mp.phys & mask != 0 { bad.append("phys \(hex(mp.phys))") }
                if mp.iova.size & mask != 0 { bad.append("size \(sizeText(mp.iova.size))") }
                guard !bad.isEmpty else { continue }
                c.report("\(bad.joined(separator: ", ")) of a mapping in domain '\(d.name)' \(bad.count == 1 ? "is" : "are") not aligned to its page size \(sizeText(mp.pageSize))",
                         at: mp.origin)
            }
        }
    }
}
