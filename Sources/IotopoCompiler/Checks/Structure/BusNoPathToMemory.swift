import IotopoModel

extension ModelCheck {
    /// Every bus must lead, bridge by bridge, to a bus of kind `system`, where memory is.
    /// Reported once per dead end, at the bus where the way up stops.
    static let busNoPathToMemory = ModelCheck("bus-no-path-to-memory", .error, "a bus whose chain of upstream bridges does not reach a system bus",
                                              after: ["bridge-cycle", "bus-multiple-upstream"], needsCompleteModel: true) { c in
        let m = c.model
        var below = [Int](repeating: 0, count: m.buses.count)
        for bus in m.buses.ids(Bus.self) {
            let p = c.topology.busPaths[bus]
            if !p.reachesMemory && !p.hitCycle { below[p.top] += 1 }
        }
        let hasSystem = m.buses.contains { $0.kind == .system }
        for top in m.buses.ids(Bus.self) where below[top] > 0 {
            let b = m.buses[top]
            let more = below[top] > 1 ? " (nor can the \(below[top] - 1) bus\(below[top] == 2 ? "" : "es") below it)" : ""
            let why = hasSystem ? "add a bridge from it to the system bus" : "the platform has no bus of kind system, where memory is"
            c.report("bus '\(b.name)' (\(b.kind.rawValue)) has no upstream bridge and is not a system bus: DMA from it cannot reach memory\(more); \(why)",
                     at: b.origin)
        }
    }
}
