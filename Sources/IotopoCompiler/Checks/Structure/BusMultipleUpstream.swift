import IotopoModel

extension ModelCheck {
    /// A bus has one way up: a PCI bus has one parent bridge, a device-tree bus one parent.
    static let busMultipleUpstream = ModelCheck("bus-multiple-upstream", .error, "a bus is the downstream side of two bridges") { c in
        let m = c.model
        for bus in m.buses.ids(Bus.self) {
            let ups = c.topology.upstreamBridges[bus]
            guard ups.count > 1, let first = ups.first else { continue }
            for extra in ups.dropFirst() {
                c.report("bus '\(m.buses[bus].name)' is already below bridge '\(m.bridges[first].name)'; a bus has exactly one upstream bridge",
                         at: m.bridges[extra].origin, notes: [c.note("first upstream bridge of '\(m.buses[bus].name)'", m.bridges[first].origin)])
            }
        }
    }
}
