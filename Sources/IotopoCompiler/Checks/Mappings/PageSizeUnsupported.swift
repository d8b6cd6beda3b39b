import IotopoModel

extension ModelCheck {
    /// A mapping whose page size the IOMMU does not offer (its `page-sizes`, which the granule
    /// and table format bound).
    static let pageSizeUnsupported = ModelCheck("page-size-unsupported", .error, "a mapping uses a page size its IOMMU does not support") { c in
        let m = c.model
        for d in m.domains {
            let u = m.iommus[d.iommu]
            for mp in d.mappings where !u.supportsPageSize(mp.pageSize) {
                let list = u.pageSizeList.map(sizeText).joined(separator: ", ")
                c.report("page size \(sizeText(mp.pageSize)) is not supported by IOMMU '\(u.name)' (supported: \(list))",
                         at: mp.origin, notes: [c.note("page sizes of '\(u.name)'", u.origin)])
            }
        }
    }
}
