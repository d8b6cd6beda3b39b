import IotopoModel

/// Two versions of a platform compared by meaning (`iotopo diff A B`): devices added and
/// removed, reachability gained and lost per device and region (read and write), IOMMU
/// groups merged and split, policy violations that appeared or went away. Entities are
/// matched by name, so reordering a file or moving an entry to an include changes nothing.
public struct PlatformDiff: Sendable {
    public struct ReachChange: Sendable, Equatable {
        public var device: String
        public var region: String
        /// "read" or "write".
        public var access: String
        public var ranges: [AddressRange]
        public var bytes: UInt64 { ranges.reduce(UInt64(0)) { $0 &+ $1.size } }
    }

    public struct GroupChange: Sendable, Equatable {
        /// Devices that now share a group and did not (merged), or the reverse (split).
        public var merged: Bool
        public var devices: [String]
        public var groupBefore: [Int]
        public var groupAfter: [Int]
        /// Devices among `devices` that only the version after has (or only the one before,
        /// for a split).
        public var newDevices: [String] = []
    }

    public var devicesAdded: [String] = []
    public var devicesRemoved: [String] = []
    public var gained: [ReachChange] = []
    public var lost: [ReachChange] = []
    public var groupChanges: [GroupChange] = []
    public var violationsAdded: [String] = []
    public var violationsRemoved: [String] = []

    /// Whether any device can reach more than before (new devices included).
    public var reachGrew: Bool { !gained.isEmpty }

    public var isEmpty: Bool {
        devicesAdded.isEmpty && devicesRemoved.isEmpty && gained.isEmpty && lost.isEmpty && groupChanges.isEmpty
            && violationsAdded.isEmpty && violationsRemoved.isEmpty
    }

    /// Compares `a` (before) with `b` (after).
    public init(_ a: SystemModel, _ b: SystemModel, policy: ACSPolicy = .classic) {
        let namesA = a.devices.map(\.name), namesB = b.devices.map(\.name)
        let setA = Set(namesA), setB = Set(namesB)
        devicesAdded = namesB.filter { !setA.contains($0) }
        devicesRemoved = namesA.filter { !setB.contains($0) }

        let reachA = Reachability(a), reachB = Reachability(b)
        let accessA = Self.access(a, reachA), accessB = Self.access(b, reachB)
        for key in Self.sortedKeys(accessA, accessB) {
            let k = Key(key.0, key.1, key.2)
            let before = accessA[k] ?? RangeSet(), after = accessB[k] ?? RangeSet()
            let more = after.ranges.flatMap { before.missing(from: $0) }
            let less = before.ranges.flatMap { after.missing(from: $0) }
            if !more.isEmpty { gained.append(ReachChange(device: key.0, region: key.1, access: key.2, ranges: more)) }
            if !less.isEmpty { lost.append(ReachChange(device: key.0, region: key.1, access: key.2, ranges: less)) }
        }

        let groupsA = GroupAnalysis(a, policy: policy), groupsB = GroupAnalysis(b, policy: policy)
        let gA = Self.groupByName(a, groupsA), gB = Self.groupByName(b, groupsB)
        // Pairs of devices whose togetherness changed, gathered per group: a new device that
        // joins an existing device's group counts as a merge (what it can reach, the other
        // can no longer be kept from).
        var mergedBy: [Int: Set<String>] = [:], splitBy: [Int: Set<String>] = [:]
        let all = namesB + devicesRemoved
        for (i, x) in all.enumerated() {
            for y in all[(i + 1)...] where setA.contains(x) || setA.contains(y) {
                let beforeTogether = gA[x] != nil && gA[x] == gA[y]
                let afterTogether = gB[x] != nil && gB[x] == gB[y]
                if afterTogether && !beforeTogether, let g = gB[x] { mergedBy[g, default: []].formUnion([x, y]) }
                if beforeTogether && !afterTogether, let g = gA[x] { splitBy[g, default: []].formUnion([x, y]) }
            }
        }
        let order = Dictionary(uniqueKeysWithValues: namesB.enumerated().map { ($1, $0) })
        let orderA = Dictionary(uniqueKeysWithValues: namesA.enumerated().map { ($1, $0) })
        for g in mergedBy.keys.sorted() {
            let devs = mergedBy[g, default: []].sorted { order[$0, default: 0] < order[$1, default: 0] }
            groupChanges.append(GroupChange(merged: true, devices: devs, groupBefore: Array(Set(devs.compactMap { gA[$0] })).sorted(), groupAfter: [g],
                                            newDevices: devs.filter { !setA.contains($0) }))
        }
        for g in splitBy.keys.sorted() {
            let devs = splitBy[g, default: []].sorted { orderA[$0, default: 0] < orderA[$1, default: 0] }
            groupChanges.append(GroupChange(merged: false, devices: devs, groupBefore: [g], groupAfter: Array(Set(devs.compactMap { gB[$0] })).sorted(),
                                            newDevices: devs.filter { !setB.contains($0) }))
        }

        let vA = Self.violations(a, groupsA, reachA), vB = Self.violations(b, groupsB, reachB)
        violationsAdded = vB.filter { !vA.contains($0) }
        violationsRemoved = vA.filter { !vB.contains($0) }
    }

    static func access(_ m: SystemModel, _ r: Reachability) -> [Key: RangeSet] {
        var out: [Key: [AddressRange]] = [:]
        for v in r.devices {
            for s in v.segments {
                let k = (m.devices[v.device].name, m.regions[s.region].name)
                if s.perm.contains(.read) { out[Key(k.0, k.1, "read"), default: []].append(s.phys) }
                if s.perm.contains(.write) { out[Key(k.0, k.1, "write"), default: []].append(s.phys) }
            }
        }
        return out.mapValues { RangeSet($0) }
    }

    struct Key: Hashable {
        var device: String, region: String, access: String
        init(_ d: String, _ r: String, _ a: String) { device = d; region = r; access = a }
    }

    /// Keys of both, in a stable order: device, region, read before write.
    static func sortedKeys(_ a: [Key: RangeSet], _ b: [Key: RangeSet]) -> [(String, String, String)] {
        Set(a.keys).union(b.keys).map { ($0.device, $0.region, $0.access) }.sorted {
            ($0.0, $0.1, $0.2) < ($1.0, $1.1, $1.2)
        }
    }

    static func groupByName(_ m: SystemModel, _ g: GroupAnalysis) -> [String: Int] {
        var out: [String: Int] = [:]
        for grp in g.groups {
            for mem in grp.members {
                switch mem {
                case let .pci(.device(d)), let .platform(d): out[m.devices[d].name] = grp.number
                case .pci(.bridge): continue
                }
            }
        }
        return out
    }

    /// Violations as sentences, by name (IDs differ between versions).
    static func violations(_ m: SystemModel, _ g: GroupAnalysis, _ r: Reachability) -> [String] {
        PolicyEvaluation(m, groups: g, reach: r).violations.map { v in
            switch v {
            case let .access(p, d, reg, perm, _):
                return "policy '\(m.policies[p].name)': '\(m.devices[d].name)' can \(perm == .readWrite ? "read and write" : perm == .read ? "read" : "write") '\(m.regions[reg].name)'"
            case let .sharedGroup(p, x, y, _):
                return "policy '\(m.policies[p].name)': '\(m.devices[x].name)' and '\(m.devices[y].name)' share an IOMMU group"
            case let .sharedPage(p, w, _, o, os, _):
                return "policy '\(m.policies[p].name)': '\(m.devices[w].name)' can write memory '\(m.devices[o].name)' reaches in '\(m.regions[os.region].name)'"
            case let .unmatchedPattern(p, pat):
                return "policy '\(m.policies[p].name)': pattern '\(pat.text)' matches no device"
            }
        }
    }
}
