import IotopoModel

/// The platform's stated policies, evaluated against its groups and reachability. The
/// `policy-violation` check reports these; `iotopo graph` highlights them.
public struct PolicyEvaluation: Sendable {
    public enum Violation: Sendable {
        /// A device has an access a `deny` or `only-writers` policy forbids: the first
        /// segment that grants it.
        case access(policy: Int, device: DeviceID, region: RegionID, perm: Permissions, segment: Reachability.Segment)
        /// Two devices an `isolated` policy separates share an IOMMU group.
        case sharedGroup(policy: Int, DeviceID, DeviceID, group: Int)
        /// One device can write a page another, meant to be isolated from it, can reach.
        case sharedPage(policy: Int, writer: DeviceID, writerSegment: Reachability.Segment,
                        other: DeviceID, otherSegment: Reachability.Segment, shared: AddressRange)
        /// A device pattern that matches nothing.
        case unmatchedPattern(policy: Int, DevicePattern)

        /// The devices involved.
        public var devices: [DeviceID] {
            switch self {
            case let .access(_, d, _, _, _): return [d]
            case let .sharedGroup(_, a, b, _): return [a, b]
            case let .sharedPage(_, w, _, o, _, _): return [w, o]
            case .unmatchedPattern: return []
            }
        }
    }

    public var violations: [Violation]

    public init(_ m: SystemModel, groups: GroupAnalysis, reach: Reachability) {
        var out: [Violation] = []
        for (pi, p) in m.policies.enumerated() {
            switch p.rule {
            case let .deny(perm, patterns, regions):
                for pat in patterns where !m.devices.contains(where: { pat.matches($0.name) }) { out.append(.unmatchedPattern(policy: pi, pat)) }
                for v in reach.devices where patterns.contains(where: { $0.matches(m.devices[v.device].name) }) {
                    for r in regions {
                        guard let s = v.segments.first(where: { $0.region == r && !$0.perm.intersection(perm).isEmpty }) else { continue }
                        out.append(.access(policy: pi, device: v.device, region: r, perm: s.perm.intersection(perm), segment: s))
                    }
                }
            case let .onlyWriters(patterns, regions):
                for pat in patterns where !m.devices.contains(where: { pat.matches($0.name) }) { out.append(.unmatchedPattern(policy: pi, pat)) }
                for v in reach.devices where !patterns.contains(where: { $0.matches(m.devices[v.device].name) }) {
                    for r in regions {
                        guard let s = v.segments.first(where: { $0.region == r && $0.perm.contains(.write) }) else { continue }
                        out.append(.access(policy: pi, device: v.device, region: r, perm: .write, segment: s))
                    }
                }
            case let .isolated(devices):
                for (i, a) in devices.enumerated() {
                    for b in devices[(i + 1)...] {
                        let ga = groups.groupOf[.pci(.device(a))] ?? groups.groupOf[.platform(a)]
                        let gb = groups.groupOf[.pci(.device(b))] ?? groups.groupOf[.platform(b)]
                        if let ga, ga == gb { out.append(.sharedGroup(policy: pi, a, b, group: ga)) }
                        if let page = Self.sharedPage(reach, a, b) {
                            out.append(.sharedPage(policy: pi, writer: page.0, writerSegment: page.1, other: page.2, otherSegment: page.3, shared: page.4))
                        }
                    }
                }
            }
        }
        violations = out
    }

    /// The first page one of two devices can write and the other can reach.
    static func sharedPage(_ reach: Reachability, _ a: DeviceID, _ b: DeviceID)
        -> (DeviceID, Reachability.Segment, DeviceID, Reachability.Segment, AddressRange)? {
        guard let va = reach.view(of: a), let vb = reach.view(of: b) else { return nil }
        for (w, o) in [(va, vb), (vb, va)] {
            for s in w.segments where s.perm.contains(.write) {
                if let t = o.segments.first(where: { $0.phys.overlaps(s.phys) }), let shared = s.phys.intersection(t.phys) {
                    return (w.device, s, o.device, t, shared)
                }
            }
        }
        return nil
    }
}
