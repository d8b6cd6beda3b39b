import IotopoModel

/// Which rules decide IOMMU groups (docs/semantics.md section 2; docs/isolation.md).
public enum ACSPolicy: String, Sendable, CaseIterable {
    /// Linux's `pci_device_group` as it has been since 2012.
    case classic
    /// The 2025 series that reads ACS as egress control (docs/isolation.md cites it).
    case egress
}

/// A member of an IOMMU group.
public enum GroupMember: Hashable, Sendable {
    /// A PCI function: an endpoint or a bridge.
    case pci(PCIFunctionRef)
    /// A platform device, known to its IOMMU by stream IDs.
    case platform(DeviceID)
}

/// Why a member is in its group: the rule that put it there, the member or bridge that
/// rule involves, and where in the topology that comes from.
public struct GroupReason: Hashable, Sendable {
    public enum Rule: String, Sendable {
        /// It started the group: nothing tied it to an earlier one.
        case own
        /// A DMA alias ties it to the alias's owner (a bridge that substitutes its requester
        /// ID, or a fixed alias quirk).
        case alias
        /// A bridge above it lacks ACS on the path to the root, so it shares the bridge's group.
        case upstreamWithoutACS = "upstream-without-acs"
        /// A function on the same bus is its DMA alias.
        case sameBusAlias = "same-bus-alias"
        /// A multifunction device without ACS: its functions can talk to each other.
        case multifunction
        /// A platform device sharing a stream ID with another at the same IOMMU.
        case sharedStreamID = "shared-stream-id"
        /// Egress rules: the bus it sits on lets peers reach one another, so everything on
        /// it (and below) shares a group.
        case nonIsolatedBus = "non-isolated-bus"
        /// Egress rules: the bridge above it heads a non-isolated hierarchy.
        case nonIsolatedHierarchy = "non-isolated-hierarchy"
    }

    public var rule: Rule
    /// The member the rule joins it to (nil for `own`).
    public var via: GroupMember?
    /// One line of explanation.
    public var text: String
    /// The source of the fact that causes it (the bridge without ACS, the alias, the device).
    public var origin: Origin
}

/// One IOMMU group.
public struct IOMMUGroup: Sendable {
    /// Its number, in creation order (docs/isolation.md).
    public var number: Int
    /// The IOMMU that translates for it (the first on its members' path).
    public var iommu: IOMMUID
    /// Members in the order they joined.
    public var members: [GroupMember]
    /// Why each member is here, in member order.
    public var reasons: [GroupReason]
}

/// The IOMMU groups of a platform, and the DMA masters that have none.
public struct GroupAnalysis: Sendable {
    public var policy: ACSPolicy
    public var groups: [IOMMUGroup]
    /// Group number of each member.
    public var groupOf: [GroupMember: Int]
    /// DMA-capable devices with no IOMMU on their path: Linux gives them no group, and
    /// nothing isolates them.
    public var ungrouped: [DeviceID]
    /// PCI functions an SMMUv3 refused: one of their stream IDs was already another's, and
    /// `arm_smmu_insert_master` (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c) fails the
    /// probe, so Linux gives them no group.
    public var refused: [RefusedFunction]
    /// PCI functions a requester ID of which no ID-map entry matches (a host bridge's
    /// iommu-map, an IORT root complex, the IOMMU's id-map): `of_map_id` finds no translation,
    /// so the IOMMU driver never gets a fwspec for them and Linux gives them no IOMMU and no
    /// group (drivers/of/base.c of_map_id, drivers/iommu/of_iommu.c
    /// of_iommu_configure_dev_id; IORT's iort_iommu_configure_id likewise).
    public var unmatched: [UnmatchedFunction]

    /// A function Linux gives no IOMMU because an ID map leaves its requester ID unmatched.
    public struct UnmatchedFunction: Sendable {
        public var function: PCIFunctionRef
        /// The first requester ID (its own, or an alias a bridge gives it) nothing matches.
        public var rid: RequesterID
        public var iommu: IOMMUID
    }

    /// A function an SMMUv3 refused.
    public struct RefusedFunction: Sendable {
        public var function: PCIFunctionRef
        public var streamID: UInt32
        /// The function that holds the stream ID.
        public var holder: PCIFunctionRef
        public var iommu: IOMMUID
    }

    /// The `pcie_acs_override` what-if the groups were computed with, if any.
    public var override: ACSOverride?

    /// Computes the groups.
    public init(_ m: SystemModel, topology topo: Topology? = nil, policy: ACSPolicy = .classic, override: ACSOverride? = nil) {
        let topo = topo ?? Topology(m)
        self.policy = policy
        self.override = override
        var builder = GroupBuilder(m: m, topo: topo, fns: PCIFunctions(m, topo), policy: policy)
        builder.override = override
        builder.run()
        groups = builder.groups
        groupOf = builder.groupOf
        ungrouped = builder.ungrouped
        refused = builder.refused
        unmatched = builder.unmatched
    }
}

/// The algorithm, kept apart from the result.
struct GroupBuilder {
    let m: SystemModel
    let topo: Topology
    let fns: PCIFunctions
    let policy: ACSPolicy
    var groups: [IOMMUGroup] = []
    var groupOf: [GroupMember: Int] = [:]
    var ungrouped: [DeviceID] = []
    var refused: [GroupAnalysis.RefusedFunction] = []
    var unmatched: [GroupAnalysis.UnmatchedFunction] = []
    /// Groups whose whole downstream hierarchy belongs to them (egress rules:
    /// `BUS_DATA_PCI_NON_ISOLATED`).
    var nonIsolated = Set<Int>()
    /// The `pcie_acs_override` what-if, if any.
    var override: ACSOverride?

    init(m: SystemModel, topo: Topology, fns: PCIFunctions, policy: ACSPolicy) {
        self.m = m
        self.topo = topo
        self.fns = fns
        self.policy = policy
    }

    /// The first IOMMU on the path from a bus.
    func iommu(onPathFrom bus: BusID) -> IOMMUID? { topo.busPaths[bus].iommus.first }

    /// The IOMMU that manages a PCI function: the first on its path whose scope takes it (an
    /// AMD-Vi IVHD's device entries: Linux probes only the device IDs the IVRS lists,
    /// `check_device`; a DMAR unit's device scope, else its segment's INCLUDE_PCI_ALL unit,
    /// `dmar_find_matched_drhd_unit`). Nil: no IOMMU, so no group.
    func iommu(for f: PCIFunction) -> IOMMUID? {
        var bridge: BridgeID?
        if case let .bridge(b) = f.ref { bridge = b }
        return topo.path(from: f.bus, rid: f.rid, bridge: bridge).iommus.first
    }

    /// `pci_acs_enabled` for a function, with the what-if override.
    func acs(_ i: Int) -> ACSVerdict { fns.acsMissing(i, override: override) }

    func member(_ i: Int) -> GroupMember { .pci(fns.functions[i].ref) }

    func group(of i: Int) -> Int? { groupOf[member(i)] }

    mutating func join(_ i: Int, _ g: Int, _ reason: GroupReason) {
        groups[g].members.append(member(i))
        groups[g].reasons.append(reason)
        groupOf[member(i)] = g
    }

    mutating func newGroup(_ mem: GroupMember, iommu: IOMMUID, origin: Origin, because notes: [String] = []) {
        groupOf[mem] = groups.count
        let text = (["first of its group"] + notes).joined(separator: "; ")
        groups.append(IOMMUGroup(number: groups.count, iommu: iommu, members: [mem],
                                 reasons: [GroupReason(rule: .own, via: nil, text: text, origin: origin)]))
    }

    /// `pci_quirk_rciep_acs (Linux 5.8)`: the ACS quirk deciding a function, as --why names it.
    func quirkName(_ i: Int) -> String? {
        guard let q = fns.functions[i].acsQuirk else { return nil }
        return "the quirk \(q.function) (since Linux \(q.since))"
    }

    /// What kept a function that starts a group out of an earlier one, where a kernel quirk
    /// decided it (docs/import.md, the quirk table): a quirk giving a bridge on the path
    /// above its ACS, or a quirk isolating it from the other functions of its slot.
    func quirkNotes(start i: Int, candidate pdev: Int) -> [String] {
        var notes: [String] = []
        // The bridges whose ACS stopped the climb (the path from the first bridge above).
        var bus = fns.functions[pdev].bus
        var seen = Set<BusID>()
        while let b = fns.bridgeAbove[bus], seen.insert(bus).inserted, let bi = fns.index[.bridge(b)] {
            if acs(bi).quirkFunction != nil, acs(bi).ok, let q = quirkName(bi) {
                notes.append("\(q) gives \(kindText(fns.functions[bi])) '\(fns.functions[bi].name)' above it ACS")
            }
            bus = fns.functions[bi].bus
        }
        let f = fns.functions[pdev]
        if f.multifunction {
            let slot = fns.onBus[f.bus].filter { $0 != pdev && fns.functions[$0].rid.device == f.rid.device }
            if acs(pdev).ok, acs(pdev).quirkFunction != nil, !slot.isEmpty, let q = quirkName(pdev) {
                notes.append("\(q) isolates \(pdev == i ? "it" : "'\(f.name)'") from the other functions of its slot")
            } else if !acs(pdev).ok {
                let kept = slot.filter { acs($0).ok && acs($0).quirkFunction != nil }
                for j in kept {
                    if let q = quirkName(j) { notes.append("\(q) isolates its slot's function '\(fns.functions[j].name)' from it") }
                }
            }
        }
        return notes
    }

    mutating func run() {
        var holders: [IOMMUID: [UInt32: Int]] = [:]
        // Stream IDs are only worked out where they decide something: at an SMMUv3 (one
        // master per ID), or where an ID map can leave an ID unmatched. A VT-d or AMD-Vi
        // platform with no ID map skips the per-function path walk.
        let hostIDMaps = m.bridges.contains { !$0.idMap.isEmpty }
        for i in fns.functions.indices {
            guard let io = iommu(for: fns.functions[i]) else { continue }
            // Every DMA alias goes through the ID map (pci_for_each_dma_alias stops at the
            // first that fails): one unmatched and the function has no IOMMU at all.
            let needed = m.iommus[io].kind == .armSMMUv3 || hostIDMaps || !m.iommus[io].idMap.isEmpty
            let (sids, missing) = needed ? streamIDs(i, io) : ([], [])
            if let rid = missing.first {
                unmatched.append(GroupAnalysis.UnmatchedFunction(function: fns.functions[i].ref, rid: rid, iommu: io))
                continue
            }
            // arm-smmu-v3 keeps one master per stream ID: a function presenting a stream ID an
            // earlier-probed function holds is refused ("stream %u already in tree",
            // arm_smmu_insert_master returns -EINVAL), so it gets no group. Functions probe in
            // bus-scan order, this loop's order. (SMMUv2 shares the stream-map entry and the
            // group instead; VT-d and AMD-Vi alias freely.)
            if m.iommus[io].kind == .armSMMUv3 {
                if let (sid, holder) = sids.lazy.compactMap({ s in holders[io]?[s].map { (s, $0) } }).first(where: { $0.1 != i }) {
                    refused.append(GroupAnalysis.RefusedFunction(function: fns.functions[i].ref, streamID: sid,
                                                                 holder: fns.functions[holder].ref, iommu: io))
                    continue
                }
                for s in sids where holders[io]?[s] == nil { holders[io, default: [:]][s] = i }
            }
            switch policy {
            case .classic: assignPCI(i, iommu: io)
            case .egress: assignPCIEgress(i, iommu: io)
            }
        }
        assignPlatform()
        let refusedSet = Set(refused.map(\.function) + unmatched.map(\.function))
        for d in m.devices.ids(Device.self) where m.devices[d].dmaCapable && groupOf[.pci(.device(d))] == nil && groupOf[.platform(d)] == nil
            && !refusedSet.contains(.device(d)) {
            ungrouped.append(d)
        }
    }

    /// The stream IDs a PCI function presents to `io`: its requester ID, its quirk aliases and
    /// the IDs bridges above substitute (`pci_for_each_dma_alias`, as iort_pci_iommu_init
    /// and of_pci_iommu_init collect them), each through the IOMMU's ID map; and the
    /// requester IDs no ID-map entry matches.
    func streamIDs(_ i: Int, _ io: IOMMUID) -> (ids: [UInt32], unmatched: [RequesterID]) {
        let f = fns.functions[i]
        if case let .device(d) = f.ref, !m.devices[d].streamIDs.isEmpty { return (m.devices[d].streamIDs, []) }
        var rids = [f.rid]
        for a in f.fixedAliases { rids.append(RequesterID(raw: UInt16(f.rid.bus) << 8 | UInt16(a))) }
        for (owner, rid) in aliasOwners(i) where owner != i { rids.append(rid) }
        var bridge: BridgeID?
        if case let .bridge(b) = f.ref { bridge = b }
        let path = topo.path(from: f.bus, rid: f.rid, bridge: bridge)
        var out: [UInt32] = []
        var missing: [RequesterID] = []
        for r in rids {
            guard let s = m.streamID(forRequester: UInt32(r.raw), at: io, path: path) else {
                if !missing.contains(r) { missing.append(r) }
                continue
            }
            if !out.contains(s) { out.append(s) }
        }
        return (out, missing)
    }

    // MARK: PCI (drivers/iommu/iommu.c `pci_device_group`)

    /// The DMA alias owners of a function, in `pci_for_each_dma_alias` order: itself (its
    /// own ID and fixed aliases), then each bridge above it that substitutes its requester
    /// ID, up to a translation root (drivers/pci/search.c).
    func aliasOwners(_ i: Int) -> [(owner: Int, rid: RequesterID)] {
        let f = fns.functions[i]
        var out: [(Int, RequesterID)] = [(i, f.rid)]
        var bus = f.bus
        var seen = Set<BusID>()
        while let b = fns.bridgeAbove[bus], seen.insert(bus).inserted {
            if m.bridges[b].translationRoot { break }
            if let alias = m.bridgeAlias(b), let owner = fns.index[.bridge(b)] { out.append((owner, alias)) }
            bus = m.bridges[b].upstream
        }
        return out
    }

    /// `pci_acs_path_enabled(start, NULL, REQ_ACS_FLAGS)`: ACS holds for the function and
    /// every bridge above it up to the root bus. Returns the first that fails.
    func acsPathFailure(_ i: Int) -> (Int, ACSVerdict)? {
        var j = i
        var seen = Set<Int>()
        while seen.insert(j).inserted {
            let v = acs(j)
            if !v.ok { return (j, v) }
            guard let up = fns.bridgeAbove[fns.functions[j].bus], let k = fns.index[.bridge(up)] else { return nil }
            j = k
        }
        return nil
    }

    mutating func assignPCI(_ i: Int, iommu io: IOMMUID) {
        let f = fns.functions[i]
        // 1. A DMA alias whose owner already has a group: join it.
        var pdev = i
        for (owner, rid) in aliasOwners(i) {
            pdev = owner
            if owner != i, let g = group(of: owner) {
                let o = fns.functions[owner]
                let id = rid.description(segment: o.segment)
                // One sentence, which names the function's own ID only when the bridge's alias
                // is that ID (a PCIe-to-PCI bridge's secondary bus, devfn 0).
                let text = rid == f.rid
                    ? "\(kindText(o)) '\(o.name)' above it presents all DMA from below it as \(id), which is also this function's own requester ID, so the two share a group"
                    : "\(kindText(o)) '\(o.name)' above it presents its DMA to the IOMMU as \(id), so the two share a group"
                join(i, g, GroupReason(rule: .alias, via: member(owner), text: text, origin: o.origin))
                return
            }
        }
        // 2. Climb from the last alias owner's bus toward the root; the first bridge whose ACS
        //    path holds stops the climb; otherwise that bridge's group is joined.
        var bus = fns.functions[pdev].bus
        var seen = Set<BusID>()
        while let b = fns.bridgeAbove[bus], seen.insert(bus).inserted, let bi = fns.index[.bridge(b)] {
            guard let (at, verdict) = acsPathFailure(bi) else { break }
            pdev = bi
            if let g = group(of: bi) {
                let culprit = fns.functions[at]
                let text = at == bi
                    ? "\(kindText(fns.functions[bi])) '\(fns.functions[bi].name)' above it has \(verdict.text), so it cannot keep its children apart"
                    : "the path above \(kindText(fns.functions[bi])) '\(fns.functions[bi].name)' is not isolated: '\(culprit.name)' has \(verdict.text)"
                join(i, g, GroupReason(rule: .upstreamWithoutACS, via: member(bi), text: text, origin: culprit.origin))
                return
            }
            bus = fns.functions[bi].bus
        }
        // 3. Functions on the same bus that alias the candidate, then (a multifunction
        //    candidate without ACS) its sibling functions without ACS.
        if let (g, via) = sameBusAliasGroup(pdev, visited: []) {
            let source = aliasQuirk(pdev, via) ?? aliasQuirk(via, pdev) ?? "a fixed alias"
            join(i, g, GroupReason(rule: .sameBusAlias, via: member(via),
                                   text: "'\(fns.functions[via].name)' and '\(fns.functions[pdev].name)' are DMA aliases of each other (\(source))",
                                   origin: fns.functions[via].origin))
            return
        }
        if fns.functions[pdev].multifunction, !acs(pdev).ok {
            for j in fns.onBus[fns.functions[pdev].bus] where j != pdev {
                let s = fns.functions[j]
                guard s.rid.device == fns.functions[pdev].rid.device, !acs(j).ok, let g = group(of: j) else { continue }
                join(i, g, GroupReason(rule: .multifunction, via: member(j),
                                       text: "multifunction device: '\(fns.functions[pdev].name)' (\(acs(pdev).text)) and its function '\(s.name)' can reach each other",
                                       origin: fns.functions[pdev].origin))
                return
            }
        }
        newGroup(member(i), iommu: io, origin: f.origin, because: quirkNotes(start: i, candidate: pdev))
    }

    /// `get_pci_alias_group`: a function on the same bus that is a fixed DMA alias of `i`
    /// (either way), or an alias of such a function, that has a group.
    func sameBusAliasGroup(_ i: Int, visited: Set<Int>) -> (Int, Int)? {
        var visited = visited
        visited.insert(i)
        let f = fns.functions[i]
        for j in fns.onBus[f.bus] where !visited.contains(j) {
            let t = fns.functions[j]
            guard f.fixedAliases.contains(t.rid.devfn) || t.fixedAliases.contains(f.rid.devfn) else { continue }
            if let g = group(of: j) { return (g, j) }
            if let found = sameBusAliasGroup(j, visited: visited) { return found }
        }
        return nil
    }

    /// The quirk that makes `other`'s devfn a DMA alias of function `i`, as --why names it.
    func aliasQuirk(_ i: Int, _ other: Int) -> String? {
        guard case let .device(d) = fns.functions[i].ref else { return nil }
        let devfn = fns.functions[other].rid.devfn
        for q in m.devices[d].quirks {
            if case let .dmaAliases(list) = q.effect, list.contains(devfn) { return "from \(q.function), since Linux \(q.since)" }
        }
        return nil
    }

    func kindText(_ f: PCIFunction) -> String {
        switch f.type {
        case .endpoint, .legacyEndpoint, .rcIntegratedEndpoint, .rcEventCollector: return "device"
        case .vmd: return "VMD endpoint"
        case .rootPort: return "root port"
        case .switchUpstream: return "switch upstream port"
        case .switchDownstream: return "switch downstream port"
        case .pcieToPCI: return "PCIe-to-PCI bridge"
        case .pciToPCIe: return "PCI-to-PCIe bridge"
        case .conventionalBridge: return "PCI bridge"
        }
    }

    // MARK: Platform devices

    /// Platform devices behind an IOMMU: one group per set of devices linked by a shared
    /// stream ID at the same IOMMU (each device its own group otherwise), in declaration
    /// order. On an arm-smmu, a stream match (ID and mask) that lies within an earlier
    /// master's reuses its stream mapping entry, and so its group (`arm_smmu_find_sme`:
    /// "entirely within an existing entry"; `arm_smmu_device_group` returns that entry's group).
    mutating func assignPlatform() {
        var owner: [UInt64: DeviceID] = [:]
        var smrs: [(io: IOMMUID, id: UInt32, mask: UInt32, device: DeviceID)] = []
        for d in m.devices.ids(Device.self) {
            let dev = m.devices[d]
            guard dev.rid == nil, !dev.streamIDs.isEmpty, let io = topo.path(of: dev).iommus.first else { continue }
            var joined = false
            if m.iommus[io].kind == .armSMMU {
                for (k, s) in dev.streamIDs.enumerated() where !joined {
                    let mask = dev.streamMask(k)
                    guard let e = smrs.first(where: { $0.io == io && $0.device != d && (mask & $0.mask) == mask && ((s ^ $0.id) & ~$0.mask) == 0 }),
                          let g = groupOf[.platform(e.device)] else { continue }
                    groups[g].members.append(.platform(d))
                    groups[g].reasons.append(GroupReason(rule: .sharedStreamID, via: .platform(e.device),
                                                         text: "its stream match \(hex(UInt64(s)))/\(hex(UInt64(mask))) lies within '\(m.devices[e.device].name)''s \(hex(UInt64(e.id)))/\(hex(UInt64(e.mask))) at '\(m.iommus[io].name)', whose stream mapping entry it reuses",
                                                         origin: dev.origin))
                    groupOf[.platform(d)] = g
                    joined = true
                }
                for (k, s) in dev.streamIDs.enumerated() { smrs.append((io, s, dev.streamMask(k), d)) }
            }
            for s in dev.streamIDs {
                let key = UInt64(UInt32(bitPattern: io.raw)) << 32 | UInt64(s)
                if let other = owner[key], let g = groupOf[.platform(other)], !joined {
                    groups[g].members.append(.platform(d))
                    groups[g].reasons.append(GroupReason(rule: .sharedStreamID, via: .platform(other),
                                                         text: "it shares stream ID \(hex(UInt64(s))) with '\(m.devices[other].name)' at '\(m.iommus[io].name)'",
                                                         origin: dev.origin))
                    groupOf[.platform(d)] = g
                    joined = true
                }
            }
            if !joined { newGroup(.platform(d), iommu: io, origin: dev.origin) }
            for s in dev.streamIDs {
                let key = UInt64(UInt32(bitPattern: io.raw)) << 32 | UInt64(s)
                if owner[key] == nil { owner[key] = d }
            }
        }
    }
}
