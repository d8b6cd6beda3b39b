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
        let reach = Reachability(m, topology: c.topology)
        for p in m.policies {
            switch p.rule {
            case let .deny(perm, patterns, regions):
                for pat in patterns where !m.devices.contains(where: { pat.matches($0.name) }) {
                    c.report("policy '\(p.name)': pattern '\(pat.text)' matches no device", at: pat.origin)
                }
                for v in reach.devices where patterns.contains(where: { $0.matches(m.devices[v.device].name) }) {
                    for r in regions {
                        guard let s = v.segments.first(where: { $0.region == r && !$0.perm.intersection(perm).isEmpty }) else { continue }
                        let verb = s.perm.intersection(perm) == .readWrite ? "read and write" : s.perm.intersection(perm) == .read ? "read" : "write"
                        c.report("policy '\(p.name)': device '\(m.devices[v.device].name)' can \(verb) region '\(m.regions[r].name)' at \(c.span(s.phys))",
                                 at: p.origin, notes: c.pathNotes(v.device, s))
                    }
                }
            case let .onlyWriters(patterns, regions):
                for pat in patterns where !m.devices.contains(where: { pat.matches($0.name) }) {
                    c.report("policy '\(p.name)': pattern '\(pat.text)' matches no device", at: pat.origin)
                }
                for v in reach.devices where !patterns.contains(where: { $0.matches(m.devices[v.device].name) }) {
                    for r in regions {
                        guard let s = v.segments.first(where: { $0.region == r && $0.perm.contains(.write) }) else { continue }
                        c.report("policy '\(p.name)': device '\(m.devices[v.device].name)', not an allowed writer, can write region '\(m.regions[r].name)' at \(c.span(s.phys))",
                                 at: p.origin, notes: c.pathNotes(v.device, s))
                    }
                }
            case let .isolated(devices):
                let groups = GroupAnalysis(m, topology: c.topology)
                for (i, a) in devices.enumerated() {
                    for b in devices[(i + 1)...] {
                        isolation(&c, p, a, b, groups, reach)
                    }
                }
            }
        }
    }

    /// Two devices a policy wants isolated: not in one IOMMU group, and no physical page
    /// that one can write and the other can reach.
    static func isolation(_ c: inout CheckContext, _ p: Policy, _ a: DeviceID, _ b: DeviceID, _ groups: GroupAnalysis, _ reach: Reachability) {
        let m = c.model
        let ga = groups.groupOf[.pci(.device(a))] ?? groups.groupOf[.platform(a)]
        let gb = groups.groupOf[.pci(.device(b))] ?? groups.groupOf[.platform(b)]
        if let ga, ga == gb {
            let g = groups.groups[ga]
            let notes = zip(g.members, g.reasons).compactMap { mem, r -> DiagnosticNote? in
                guard case let .pci(.device(d)) = mem, d == a || d == b else { return nil }
                return c.note("'\(m.devices[d].name)' is in the group because \(r.text)", r.origin)
            }
            c.report("policy '\(p.name)': '\(m.devices[a].name)' and '\(m.devices[b].name)' are in the same IOMMU group \(ga), so they cannot be isolated",
                     at: p.origin, notes: notes)
        }
        guard let va = reach.view(of: a), let vb = reach.view(of: b) else { return }
        for (w, o) in [(va, vb), (vb, va)] {
            for s in w.segments where s.perm.contains(.write) {
                guard let t = o.segments.first(where: { $0.phys.overlaps(s.phys) }), let shared = s.phys.intersection(t.phys) else { continue }
                c.report("policy '\(p.name)': '\(m.devices[w.device].name)' can write \(c.span(shared)) in region '\(m.regions[s.region].name)', which '\(m.devices[o.device].name)' can also reach",
                         at: p.origin, notes: c.pathNotes(w.device, s) + c.pathNotes(o.device, t))
                return
            }
        }
    }
}
