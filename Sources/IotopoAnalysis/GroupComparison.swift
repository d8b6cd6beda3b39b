import IotopoModel

/// A PCI function's place: segment and requester ID, the key groups are compared by.
public struct FunctionKey: Hashable, Comparable, Sendable {
    public var segment: UInt32
    public var rid: RequesterID

    public init(segment: UInt32, rid: RequesterID) {
        self.segment = segment
        self.rid = rid
    }

    public static func < (a: FunctionKey, b: FunctionKey) -> Bool { (a.segment, a.rid.raw) < (b.segment, b.rid.raw) }

    public var description: String { rid.description(segment: segment) }
}

/// iotopo's groups held against the kernel's (`groups --compare`): the same partition of the
/// PCI functions into groups, or the places it differs. Group numbers depend on probe order
/// and are reported apart; they never decide the verdict.
public struct GroupComparison: Sendable {
    /// One place the partitions differ: a set of functions linked by a predicted or an
    /// observed group, with each side's groups.
    public struct Difference: Sendable {
        /// Predicted groups involved (numbers), with their members; `nil` number: no group.
        public var predicted: [(number: Int?, members: [FunctionKey])]
        /// Observed groups involved.
        public var observed: [(number: Int?, members: [FunctionKey])]
    }

    public var differences: [Difference]
    /// Matching groups whose numbers differ: (iotopo's, the kernel's).
    public var renumbered: [(Int, Int)]
    /// How many groups matched.
    public var matched: Int
    /// Functions the observation has that the topology lacks.
    public var missingFromTopology: [FunctionKey]
    /// How many functions were compared.
    public var functions: Int

    /// Whether the partitions agree.
    public var same: Bool { differences.isEmpty && missingFromTopology.isEmpty }

    /// Compares the groups of `analysis` on `m` with `observed` (function -> kernel group;
    /// a function absent from it had none).
    public init(_ analysis: GroupAnalysis, _ m: SystemModel, observed: [FunctionKey: Int], observedFunctions: Set<FunctionKey>? = nil) {
        let keys = GroupComparison.keys(m)
        var predicted: [FunctionKey: Int] = [:]
        for grp in analysis.groups {
            for mem in grp.members {
                guard case let .pci(ref) = mem, let k = keys[ref] else { continue }
                predicted[k] = grp.number
            }
        }
        let all = Set(keys.values)
        functions = all.count
        missingFromTopology = (observedFunctions ?? Set(observed.keys)).subtracting(all).sorted()
        var predMembers: [Int: [FunctionKey]] = [:], obsMembers: [Int: [FunctionKey]] = [:]
        for k in all.sorted() {
            if let g = predicted[k] { predMembers[g, default: []].append(k) }
            if let g = observed[k] { obsMembers[g, default: []].append(k) }
        }
        // A function's class on each side: its group's members, or itself alone when it has
        // none (two ungrouped functions are not "together").
        func side(_ k: FunctionKey, _ map: [FunctionKey: Int], _ members: [Int: [FunctionKey]]) -> (Int?, [FunctionKey]) {
            guard let g = map[k] else { return (nil, [k]) }
            return (g, members[g] ?? [k])
        }
        var bad = Set<FunctionKey>()
        var renumbered: [(Int, Int)] = []
        var matched = 0
        for k in all.sorted() {
            let p = side(k, predicted, predMembers), o = side(k, observed, obsMembers)
            if p.1 != o.1 || (p.0 == nil) != (o.0 == nil) {
                bad.insert(k)
            } else if let pg = p.0, let og = o.0, p.1.first == k {
                matched += 1
                if pg != og { renumbered.append((pg, og)) }
            }
        }
        self.renumbered = renumbered
        self.matched = matched
        // Components of mismatching functions, linked through either side's groups.
        var done = Set<FunctionKey>()
        var diffs: [Difference] = []
        for start in bad.sorted() where !done.contains(start) {
            var comp = Set<FunctionKey>([start]), queue = [start]
            while let k = queue.popLast() {
                for x in side(k, predicted, predMembers).1 + side(k, observed, obsMembers).1 where comp.insert(x).inserted { queue.append(x) }
            }
            done.formUnion(comp)
            func groups(_ map: [FunctionKey: Int], _ members: [Int: [FunctionKey]]) -> [(number: Int?, members: [FunctionKey])] {
                var seen = Set<Int>()
                var out: [(number: Int?, members: [FunctionKey])] = []
                for k in comp.sorted() {
                    if let g = map[k] {
                        if seen.insert(g).inserted { out.append((g, members[g] ?? [])) }
                    } else {
                        out.append((nil, [k]))
                    }
                }
                return out
            }
            diffs.append(Difference(predicted: groups(predicted, predMembers), observed: groups(observed, obsMembers)))
        }
        differences = diffs
    }

    /// The key of every PCI function of a model.
    public static func keys(_ m: SystemModel) -> [FunctionRef: FunctionKey] {
        var out: [FunctionRef: FunctionKey] = [:]
        for d in m.devices.ids(Device.self) {
            if let r = m.devices[d].rid { out[.device(d)] = FunctionKey(segment: m.segment(of: d), rid: r) }
        }
        for b in m.bridges.ids(Bridge.self) where m.bridges[b].kind.isPCIFunction {
            if let r = m.bridges[b].rid { out[.bridge(b)] = FunctionKey(segment: m.buses[m.bridges[b].upstream].segment, rid: r) }
        }
        return out
    }

    /// An `pcie_acs_override` setting that makes iotopo's groups the observed ones, trying
    /// `downstream`, `multifunction`, then both; nil when none does.
    public static func explainingOverride(_ m: SystemModel, policy: ACSPolicy, observed: [FunctionKey: Int],
                                          functions: Set<FunctionKey>?) -> ACSOverride? {
        let tries = [ACSOverride(downstream: true), ACSOverride(multifunction: true), ACSOverride(downstream: true, multifunction: true)]
        let topo = Topology(m)
        for o in tries where GroupComparison(GroupAnalysis(m, topology: topo, policy: policy, override: o), m,
                                             observed: observed, observedFunctions: functions).same {
            return o
        }
        return nil
    }

    /// The groups recorded in the topology (`observed-groups`), by function.
    public static func recorded(_ m: SystemModel) -> [FunctionKey: Int] {
        let keys = keys(m)
        var out: [FunctionKey: Int] = [:]
        for g in m.observedGroups {
            for mem in g.members { if let k = keys[mem] { out[k] = g.number } }
        }
        return out
    }
}
