import IotopoModel

extension ModelCheck {
    /// `rid-base` bits outside `iommu-map-mask` can never match a masked ID; the binding
    /// calls that an error (Documentation/devicetree/bindings/pci/pci-iommu.txt).
    static let iommuMapMask = ModelCheck("iommu-map-mask", .error, "an id-map entry's rid-base has bits outside id-map-mask") { c in
        for u in c.model.iommus {
            for e in u.idMap where e.ridBase & ~u.idMapMask != 0 {
                c.report("rid-base \(hex(UInt64(e.ridBase))) has bits outside id-map-mask \(hex(UInt64(u.idMapMask))) of IOMMU '\(u.name)', so it can never match",
                         at: e.origin)
            }
        }
    }
}
