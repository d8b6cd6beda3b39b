import IotopoModel

extension ModelCheck {
    /// A device that cannot emit addresses above its DMA width, with no IOMMU to remap it (or
    /// one that passes it through: an identity domain, an unmatched stream with `bypass`),
    /// cannot reach RAM above that limit (after the bridge windows on its way): Linux then
    /// bounces its buffers through swiotlb (docs/semantics.md section 7).
    static let dmaLimitBelowRAM = ModelCheck("dma-limit-below-ram", .warning, "a device without an IOMMU cannot address some RAM (a 32-bit device with RAM above 4 GiB)",
                                             after: ["bridge-cycle", "bus-multiple-upstream", "bus-no-path-to-memory"], needsCompleteModel: true) { c in
        let m = c.model
        let ram = m.regions.filter { $0.kind == .ram }
        for id in m.devices.ids(Device.self) where m.devices[id].dmaCapable && m.devices[id].dmaBits < 64 {
            let d = m.devices[id]
            let path = c.topology.path(of: d)
            guard path.reachesMemory, c.untranslated(id, path: path) else { continue }
            // Compare with what a full 64-bit master would reach through the same windows, so
            // RAM the windows hide from everyone is not blamed on the device's width.
            var reach = RangeSet([AddressRange(base: 0, last: d.dmaLimit)])
            var full = RangeSet([AddressRange.all])
            for step in path.steps {
                if case let .windows(b) = step {
                    reach = reach.through(m.bridges[b].windows)
                    full = full.through(m.bridges[b].windows)
                }
            }
            let missed = ram.filter { r in
                full.ranges.contains { $0.overlaps(r.range) } && !(full.ranges.compactMap { $0.intersection(r.range) }.allSatisfy { reach.contains($0) })
            }
            guard let first = missed.first else { continue }
            let names = missed.prefix(3).map { "'\($0.name)'" }.joined(separator: ", ") + (missed.count > 3 ? " and \(missed.count - 3) more" : "")
            c.report("\(d.dmaBits)-bit device '\(d.name)' reaches memory untranslated and cannot reach all of RAM \(names); Linux will bounce its DMA through swiotlb",
                     at: d.origin, notes: [c.note("RAM region '\(first.name)' starts at \(hex(first.range.base))", first.origin)])
        }
    }
}
