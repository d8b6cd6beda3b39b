import IotopoModel

extension ModelCheck {
    /// Two mappings of one domain covering the same IOVA: the page table can hold only one
    /// translation per address (io-pgtable returns -EEXIST; virtio-iommu refuses the map).
    static let mappingOverlap = ModelCheck("mapping-overlap", .error, "two mappings of one domain cover the same IOVA") { c in
        for d in c.model.domains where d.mappings.count > 1 {
            let order = d.mappings.indices.sorted {
                d.mappings[$0].iova != d.mappings[$1].iova ? d.mappings[$0].iova < d.mappings[$1].iova : $0 < $1
            }
            var widest: Int?
            for i in order {
                let mp = d.mappings[i]
                if let w = widest, d.mappings[w].iova.overlaps(mp.iova) {
                    c.report("mapping at iova \(hex(mp.iova.base)) overlaps the mapping at iova \(hex(d.mappings[w].iova.base)) in domain '\(d.name)'",
                             at: mp.origin, notes: [c.note("the other mapping", d.mappings[w].origin)])
                }
                if widest.map({ d.mappings[$0].iova.last < mp.iova.last }) ?? true { widest = i }
            }
        }
    }
}
