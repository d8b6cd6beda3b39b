import IotopoModel

extension ModelCheck {
    /// Bridges whose upstream links lead back to where they started: DMA from any bus on the
    /// loop never reaches memory. Reported once per loop, at its first bridge.
    static let bridgeCycle = ModelCheck("bridge-cycle", .error, "bridges form a cycle, so DMA from the buses on it never reaches memory") { c in
        let m = c.model
        var state = [UInt8](repeating: 0, count: m.buses.count) // 0 new, 1 on the current walk, 2 done
        for start in m.buses.ids(Bus.self) where state[start] == 0 {
            var chain: [BusID] = []
            var bus = start
            var looped = false
            while true {
                if state[bus] == 1 { looped = true; break }
                if state[bus] == 2 { break }
                state[bus] = 1
                chain.append(bus)
                guard let up = c.topology.upstreamBridges[bus].first else { break }
                bus = m.bridges[up].upstream
            }
            if looped, let at = chain.firstIndex(of: bus) {
                let loop = chain[at...].compactMap { c.topology.upstreamBridges[$0].first }.sorted()
                if let first = loop.first {
                    let names = loop.map { "'\(m.bridges[$0].name)'" }.joined(separator: " -> ")
                    let notes = loop.dropFirst().map { c.note("bridge '\(m.bridges[$0].name)' is on the cycle", m.bridges[$0].origin) }
                    c.report(loop.count == 1
                             ? "bridge '\(m.bridges[first].name)' has the same bus above and below it"
                             : "bridges \(names) form a cycle: following 'upstream' never reaches memory",
                             at: m.bridges[first].origin, notes: notes)
                }
            }
            for b in chain { state[b] = 2 }
        }
    }
}
