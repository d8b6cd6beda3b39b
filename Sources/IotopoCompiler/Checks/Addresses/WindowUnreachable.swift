import IotopoModel

extension ModelCheck {
    /// A DMA window whose parent-side range goes nowhere: it falls outside every window of a
    /// bridge further up, or reaches the system bus without landing in any memory region.
    /// The walk stops at the first IOMMU above (its output is decided by its domains), and an
    /// IOMMU at the bridge itself takes the window's output (windows come before it).
    static let windowUnreachable = ModelCheck("window-unreachable", .error, "a DMA window whose output reaches no memory",
                                              after: ["bridge-cycle", "bus-multiple-upstream"], needsCompleteModel: true) { c in
        let m = c.model
        for (k, b) in m.bridges.enumerated() where c.topology.iommusAtBridge[k].isEmpty {
            let path = c.topology.busPaths[b.upstream]
            windows: for w in b.windows {
                var set = RangeSet([w.parent])
                for step in path.steps {
                    switch step {
                    case .iommu: continue windows
                    case .cross: continue
                    case let .windows(up):
                        set = set.through(m.bridges[up].windows)
                        if set.isEmpty {
                            c.report("DMA window of bridge '\(b.name)' outputs [\(hex(w.parent.base)), \(hex(w.parent.last))], outside every window of bridge '\(m.bridges[up].name)' above it: DMA through it goes nowhere",
                                     at: w.origin, notes: [c.note("windows of '\(m.bridges[up].name)'", m.bridges[up].origin)])
                            continue windows
                        }
                    }
                }
                guard path.reachesMemory else { continue }
                if !set.ranges.contains(where: { r in m.regions.contains { $0.range.overlaps(r) } }) {
                    c.report("DMA window of bridge '\(b.name)' outputs [\(hex(w.parent.base)), \(hex(w.parent.last))], which holds no memory region", at: w.origin)
                }
            }
        }
    }
}
