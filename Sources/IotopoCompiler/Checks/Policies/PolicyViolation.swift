import IotopoAnalysis
import IotopoModel
import IotopoSource

extension ModelCheck {
    /// A policy the platform states (docs/isolation.md) does not hold: a device reaches a
    /// region it is denied, a device not among the allowed writers can write a region, or
    /// devices meant to be isolated share an IOMMU group or a page one of them can write.
    /// Reported at the policy, with notes walking the path that grants the access.
    static let policyViolation = ModelCheck("policy-violation", .error, "a stated isolation policy does not hold",
                                            after: ["attach-iommu-not-on-path", "attach-conflict"]) { c in
        let m = c.model
        guard !m.policies.isEmpty else { return }
        let (groups, reach) = c.isolation()
        let eval = PolicyEvaluation(m, groups: groups, reach: reach)
        for v in eval.violations {
            switch v {
            case let .unmatchedPattern(pi, pat):
                c.report("policy '\(m.policies[pi].name)': pattern '\(pat.text)' matches no device", at: pat.origin)
            case let .access(pi, d, r, perm, s):
                let p = m.policies[pi]
                let verb = perm == .readWrite ? "read and write" : perm == .read ? "read" : "write"
                let who: String
                if case .onlyWriters = p.rule { who = "device '\(m.devices[d].name)', not an allowed writer," } else { who = "device '\(m.devices[d].name)'" }
                c.report("policy '\(p.name)': \(who) can \(verb) region '\(m.regions[r].name)' at \(c.span(s.phys))", at: p.origin, notes: c.pathNotes(d, s))
            case let .sharedGroup(pi, a, b, g):
                let grp = groups.groups[g]
                let notes = zip(grp.members, grp.reasons).compactMap { mem, r -> DiagnosticNote? in
                    guard case let .pci(.device(d)) = mem, d == a || d == b else { return nil }
                    return c.note("'\(m.devices[d].name)' is in the group because \(r.text)", r.origin)
                }
                c.report("policy '\(m.policies[pi].name)': '\(m.devices[a].name)' and '\(m.devices[b].name)' are in the same IOMMU group \(g), so they cannot be isolated",
                         at: m.policies[pi].origin, notes: notes)
            case let .sharedPage(pi, w, ws, o, os, shared):
                c.report("policy '\(m.policies[pi].name)': '\(m.devices[w].name)' can write \(c.span(shared)) in region '\(m.regions[ws.region].name)', which '\(m.devices[o].name)' can also reach",
                         at: m.policies[pi].origin, notes: c.pathNotes(w, ws) + c.pathNotes(o, os))
            }
        }
    }
}
