import IotopoModel

extension ModelCheck {
    /// A region that ends at or beyond 2^address-bits of the platform.
    static let regionPastAddressSpace = ModelCheck("region-past-address-space", .error, "a memory region extends past the platform's physical address width") { c in
        let m = c.model
        let bits = m.platform.addressBits
        guard bits < 64 else { return }
        let limit = UInt64(1) << UInt64(bits)
        for r in m.regions where r.range.last >= limit {
            c.report("region '\(r.name)' ends at \(hex(r.range.last)), past the platform's \(bits)-bit physical address space (last address \(hex(limit - 1)))",
                     at: r.origin, notes: [c.note("the platform, with address-bits: \(bits), is declared here", m.platform.origin)])
        }
    }
}
