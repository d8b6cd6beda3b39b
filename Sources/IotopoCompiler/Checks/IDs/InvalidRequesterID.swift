import IotopoModel

extension ModelCheck {
    /// A requester ID's bus field must be the number of the bus the function sits on (a
    /// bridge sits on its upstream bus). Malformed IDs are `bad-requester-id`, reported by the
    /// decoder; a segment prefix that contradicts the bus is reported under this ID by the
    /// resolver, which still has the ID's own range.
    static let invalidRequesterID = ModelCheck(CheckID.invalidRequesterID, .error, "a requester ID whose bus field or segment is not that of the bus it sits on") { c in
        let m = c.model
        for d in m.devices {
            guard let rid = d.rid, let number = m.buses[d.bus].number, rid.bus != number else { continue }
            c.report("device '\(d.name)' has requester ID \(rid), but it sits on bus '\(m.buses[d.bus].name)', number \(String(format2: number))",
                     at: d.origin, notes: [c.note("bus '\(m.buses[d.bus].name)' is defined here", m.buses[d.bus].origin)])
        }
        for b in m.bridges {
            guard let rid = b.rid, let number = m.buses[b.upstream].number, rid.bus != number else { continue }
            c.report("bridge '\(b.name)' has requester ID \(rid), but it sits on its upstream bus '\(m.buses[b.upstream].name)', number \(String(format2: number))",
                     at: b.origin, notes: [c.note("bus '\(m.buses[b.upstream].name)' is defined here", m.buses[b.upstream].origin)])
        }
    }
}

extension String {
    /// Two lowercase hex digits.
    init(format2 v: UInt8) {
        let s = String(v, radix: 16)
        self = s.count < 2 ? "0" + s : s
    }
}
