/// One step a DMA takes on its way from a device to memory.
public enum PathStep: Hashable, Sendable {
    /// An IOMMU intercepts the transaction.
    case iommu(IOMMUID)
    /// The transaction crosses a bridge upward; its requester-ID alias, if any, applies.
    case cross(BridgeID)
    /// The bridge's DMA windows apply to the address (before any IOMMU placed at it).
    case windows(BridgeID)
}

/// The route from a bus to memory.
public struct DMAPath: Hashable, Sendable {
    /// Steps in the order a transaction takes them.
    public var steps: [PathStep]
    /// The bus the walk ended on (the root bus, or where a cycle or a dead end stopped it).
    public var top: BusID
    /// Whether the walk ended on a bus of kind `system`, where memory is.
    public var reachesMemory: Bool
    /// Whether the walk ran into a bridge cycle.
    public var hitCycle: Bool

    /// The IOMMUs on the path, nearest the device first.
    public var iommus: [IOMMUID] {
        steps.compactMap { if case let .iommu(i) = $0 { return i } else { return nil } }
    }

    /// The bridges on the path, nearest the device first.
    public var bridges: [BridgeID] {
        steps.compactMap { if case let .cross(b) = $0 { return b } else { return nil } }
    }
}

/// Links derived from a model: which bridge is above each bus, what sits where, and the DMA
/// path from every bus. Computed once; cycles and dead ends are recorded, never followed
/// forever.
public struct Topology: Sendable {
    /// Bridges whose lower side is each bus (more than one is an error the compiler reports).
    public let upstreamBridges: [[BridgeID]]
    /// Bridges whose upper side is each bus.
    public let downstreamBridges: [[BridgeID]]
    /// Devices on each bus.
    public let devicesOnBus: [[DeviceID]]
    /// IOMMUs placed at each bus.
    public let iommusAtBus: [[IOMMUID]]
    /// IOMMUs placed at each bridge.
    public let iommusAtBridge: [[IOMMUID]]
    /// The DMA path from each bus, with every IOMMU placed on it (before scopes).
    public let busPaths: [DMAPath]
    /// Each IOMMU's scope and INCLUDE_PCI_ALL flag, by IOMMU index.
    public let iommuScopes: [[IOMMUScopeEntry]?]
    public let iommuIncludeAll: [Bool]
    /// The platform masters each IOMMU's scope names, by name, and its other entries (a DT
    /// scope names thousands of masters: a lookup, not a scan).
    let iommuScopeDevices: [Set<String>]
    let iommuScopeOthers: [[IOMMUScopeEntry]]
    /// Whether any IOMMU has a scope or is a catch-all; when none has, a function's IOMMUs are
    /// its bus's.
    public let anyScoped: Bool
    /// Each bridge's upstream bus.
    let bridgeUpstream: [BusID]

    /// Derives the topology of a model.
    public init(_ m: SystemModel) {
        var up = [[BridgeID]](repeating: [], count: m.buses.count)
        var down = [[BridgeID]](repeating: [], count: m.buses.count)
        for b in m.bridges.ids(Bridge.self) {
            up[m.bridges[b].downstream].append(b)
            down[m.bridges[b].upstream].append(b)
        }
        var devs = [[DeviceID]](repeating: [], count: m.buses.count)
        for d in m.devices.ids(Device.self) { devs[m.devices[d].bus].append(d) }
        var atBus = [[IOMMUID]](repeating: [], count: m.buses.count)
        var atBridge = [[IOMMUID]](repeating: [], count: m.bridges.count)
        var scopes: [[IOMMUScopeEntry]?] = []
        var includeAll: [Bool] = []
        for i in m.iommus.ids(IOMMU.self) {
            for p in m.iommus[i].placements {
                switch p {
                case let .bus(b): if !atBus[b].contains(i) { atBus[b].append(i) }
                case let .bridge(b): if !atBridge[b].contains(i) { atBridge[b].append(i) }
                }
            }
            scopes.append(m.iommus[i].scope)
            includeAll.append(m.iommus[i].includeAll)
        }
        iommuScopes = scopes
        iommuIncludeAll = includeAll
        iommuScopeDevices = scopes.map { s in
            Set((s ?? []).compactMap { e -> String? in if case let .device(d) = e { return m.devices[d].name } else { return nil } })
        }
        iommuScopeOthers = scopes.map { s in (s ?? []).filter { if case .device = $0 { return false } else { return true } } }
        anyScoped = scopes.contains { $0 != nil } || includeAll.contains(true)
        bridgeUpstream = m.bridges.map(\.upstream)
        upstreamBridges = up
        downstreamBridges = down
        devicesOnBus = devs
        iommusAtBus = atBus
        iommusAtBridge = atBridge
        var paths: [DMAPath] = []
        paths.reserveCapacity(m.buses.count)
        for b in m.buses.ids(Bus.self) {
            paths.append(Self.walk(from: b, model: m, up: up, atBus: atBus, atBridge: atBridge))
        }
        busPaths = paths
    }

    /// The path of a device's DMA: its bus's, keeping the IOMMUs that manage it.
    @inlinable public func path(of device: Device) -> DMAPath {
        anyScoped ? path(from: device.bus, rid: device.rid, bridge: nil, device: device.name) : busPaths[device.bus]
    }

    /// The path of DMA from a PCI function on `bus` (a bridge's own function: `bridge`), with
    /// only the IOMMUs that manage it.
    public func path(from bus: BusID, rid: RequesterID?, bridge: BridgeID?, device: String? = nil) -> DMAPath {
        var p = busPaths[bus]
        guard anyScoped else { return p }
        p.steps = p.steps.filter { s in
            if case let .iommu(i) = s { return manages(i, on: busPaths[bus], bus: bus, rid: rid, bridge: bridge, device: device) }
            return true
        }
        return p
    }

    /// Whether IOMMU `i` manages a PCI function on `bus` with requester ID `rid` (a bridge's
    /// own function: `bridge`), given the path from its bus. A scoped IOMMU manages what its
    /// scope names (VT-d 8.3.1: an endpoint, or a bridge and its sub-hierarchy); a catch-all
    /// (INCLUDE_PCI_ALL, VT-d 8.3) what no scoped IOMMU on the path manages
    /// (`dmar_find_matched_drhd_unit` tries the scoped units first); one with neither,
    /// everything below it.
    public func manages(_ i: IOMMUID, on path: DMAPath, bus: BusID, rid: RequesterID?, bridge: BridgeID?, device: String? = nil) -> Bool {
        let k = Int(i.raw)
        if let scope = iommuScopes[k] { return inScope(k, scope, path: path, bus: bus, rid: rid, bridge: bridge, device: device) }
        guard iommuIncludeAll[k] else { return true }
        for j in path.iommus where j != i {
            if let s = iommuScopes[Int(j.raw)], inScope(Int(j.raw), s, path: path, bus: bus, rid: rid, bridge: bridge, device: device) { return false }
        }
        return true
    }

    func inScope(_ k: Int, _ scope: [IOMMUScopeEntry], path: DMAPath, bus: BusID, rid: RequesterID?, bridge: BridgeID?, device: String?) -> Bool {
        if let device, iommuScopeDevices[k].contains(device) { return true }
        return iommuScopeOthers[k].contains { e in
            switch e {
            case let .rids(r): return rid.map(r.contains) ?? false
            case let .bridge(b): return bridge == b || path.bridges.contains(b)
            case let .bus(b): return bus == b || path.bridges.contains { bridgeUpstream[Int($0.raw)] == b }
            case .device: return false
            }
        }
    }

    /// Walks from `start` toward the root, taking the first upstream bridge of each bus.
    static func walk(from start: BusID, model m: SystemModel, up: [[BridgeID]],
                     atBus: [[IOMMUID]], atBridge: [[IOMMUID]]) -> DMAPath {
        var steps: [PathStep] = []
        var seen = Set<BusID>()
        var bus = start
        while true {
            if !seen.insert(bus).inserted {
                return DMAPath(steps: steps, top: bus, reachesMemory: false, hitCycle: true)
            }
            for i in atBus[bus] { steps.append(.iommu(i)) }
            guard let bridge = up[bus].first else {
                return DMAPath(steps: steps, top: bus, reachesMemory: m.buses[bus].kind == .system, hitCycle: false)
            }
            // A host bridge's inbound windows (dma-ranges) come before an IOMMU placed at it:
            // they bound the IOVA, not the IOMMU's output. Linux limits IOVAs to them
            // (of_dma_configure_id sets bus_dma_limit; iommu-dma's iova_reserve_pci_windows
            // reserves the gaps), and the root complex's inbound translation sits in front of
            // the SMMU's input.
            steps.append(.cross(bridge))
            steps.append(.windows(bridge))
            for i in atBridge[bridge] { steps.append(.iommu(i)) }
            bus = m.bridges[bridge].upstream
        }
    }
}

/// One requester ID a device's DMA can carry, and the bridge that imposed it (nil for the
/// device's own ID and its fixed aliases).
public struct DMAAlias: Hashable, Sendable {
    /// The requester ID.
    public var rid: RequesterID
    /// The bridge that substitutes it, if any.
    public var bridge: BridgeID?

    /// Creates an alias record.
    public init(rid: RequesterID, bridge: BridgeID?) {
        self.rid = rid
        self.bridge = bridge
    }
}

extension SystemModel {
    /// The requester ID a bridge substitutes for transactions it forwards upward, following
    /// `pci_for_each_dma_alias` (drivers/pci/search.c):
    /// - root ports and switch ports: none;
    /// - PCIe-to-PCI/PCI-X bridge: its secondary bus, devfn 00.0 (PCIe-to-PCI bridge spec 2.3);
    /// - PCI-to-PCIe bridge: its own requester ID;
    /// - conventional PCI bridge: its own requester ID, or secondary bus 00.0 when flagged
    ///   `PCI_DEV_FLAG_PCIE_BRIDGE_ALIAS`;
    /// - a VMD endpoint: its own requester ID (`pci_real_dma_dev`);
    /// - a bridge flagged `PCI_DEV_FLAGS_PCI_BRIDGE_NO_ALIAS`: none.
    public func bridgeAlias(_ b: BridgeID) -> RequesterID? {
        let br = bridges[b]
        if br.noAlias { return nil }
        let secondary = buses[br.downstream].number.flatMap { RequesterID(bus: Int($0), device: 0, function: 0) }
        switch br.kind {
        case .pcieToPCI: return secondary
        case .pciToPCIe, .vmd: return br.rid
        case .pciBridge: return br.pcieAlias ? secondary : br.rid
        case .rootComplex, .rootPort, .switchUpstream, .switchDownstream, .busBridge: return nil
        }
    }

    /// Every requester ID a device's DMA can present at the step `stepLimit` of its path
    /// (all steps when nil), in `pci_for_each_dma_alias` order: its own ID, its fixed
    /// aliases, then each aliasing bridge on the way up. A bridge flagged translation root
    /// stops the walk, its own alias included.
    public func dmaAliases(of d: DeviceID, path: DMAPath, stepLimit: Int? = nil) -> [DMAAlias] {
        let dev = devices[d]
        guard let rid = dev.rid else { return [] }
        var out = [DMAAlias(rid: rid, bridge: nil)]
        for fn in dev.aliases {
            out.append(DMAAlias(rid: RequesterID(raw: UInt16(rid.bus) << 8 | UInt16(fn)), bridge: nil))
        }
        for r in dev.busAliases { out.append(DMAAlias(rid: r, bridge: nil)) }
        let limit = min(stepLimit ?? path.steps.count, path.steps.count)
        for step in path.steps[..<limit] {
            guard case let .cross(b) = step else { continue }
            if bridges[b].translationRoot { break }
            if let a = bridgeAlias(b) { out.append(DMAAlias(rid: a, bridge: b)) }
        }
        return out
    }

    /// The requester ID a transaction from `d` carries when it reaches step `stepIndex`: the
    /// alias of the last aliasing bridge below that step, or the device's own ID.
    public func effectiveRID(of d: DeviceID, path: DMAPath, at stepIndex: Int) -> DMAAlias? {
        dmaAliases(of: d, path: path, stepLimit: stepIndex).last { $0.bridge != nil }
            ?? devices[d].rid.map { DMAAlias(rid: $0, bridge: nil) }
    }

    /// The stream ID a requester ID becomes at IOMMU `i`, for DMA taking `path`. The first
    /// bridge on the path with an ID map (a host bridge's `iommu-map`, an IORT root complex)
    /// decides: its first entry matching the masked ID gives the stream ID, at the IOMMU that
    /// entry names (`of_map_id`); no entry matching, or one naming another IOMMU, leaves the
    /// ID unmatched here (Linux then gives the device no IOMMU: no fwspec). With no such
    /// bridge, the IOMMU's own `id-map` applies.
    public func streamID(forRequester rid: UInt32, at i: IOMMUID, path: DMAPath) -> UInt32? {
        for b in path.bridges where !bridges[b].idMap.isEmpty {
            let br = bridges[b]
            let m = rid & br.idMapMask
            for e in br.idMap {
                if let out = e.map(m) { return e.iommu == i ? out : nil }
            }
            return nil
        }
        return iommus[i].streamID(forRequester: rid)
    }

    /// The stream IDs a device presents at the IOMMU found at `stepIndex` of its path, and the
    /// requester IDs the IOMMU's ID map leaves unmatched. Platform masters use their listed
    /// stream IDs; PCI functions map every DMA alias through the ID map, as Linux does.
    public func streamIDs(of d: DeviceID, path: DMAPath, at stepIndex: Int) -> (ids: [UInt32], unmatched: [RequesterID]) {
        let dev = devices[d]
        guard case let .iommu(i) = path.steps[stepIndex] else { return ([], []) }
        if !dev.streamIDs.isEmpty { return (dev.streamIDs, []) }
        var ids: [UInt32] = [], unmatched: [RequesterID] = []
        var presented = dmaAliases(of: d, path: path, stepLimit: stepIndex)
        // The IOMMU's own alias entries (IVRS): the function also arrives as the alias.
        if let rid = dev.rid {
            for a in iommus[i].aliasRanges where a.range.contains(rid) && !presented.contains(where: { $0.rid == a.as_ }) {
                presented.append(DMAAlias(rid: a.as_, bridge: nil))
            }
        }
        for a in presented {
            if let s = streamID(forRequester: UInt32(a.rid.raw), at: i, path: path) {
                if !ids.contains(s) { ids.append(s) }
            } else if !unmatched.contains(a.rid) {
                unmatched.append(a.rid)
            }
        }
        return (ids, unmatched)
    }

    /// The segment of the bus a device sits on.
    public func segment(of d: DeviceID) -> UInt32 { buses[devices[d].bus].segment }

    /// The region containing `address`, by binary search over regions sorted by base.
    public func region(containing address: UInt64, sortedRegions: [RegionID]) -> RegionID? {
        var lo = 0, hi = sortedRegions.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if regions[sortedRegions[mid]].range.base <= address { lo = mid + 1 } else { hi = mid }
        }
        guard lo > 0 else { return nil }
        let r = sortedRegions[lo - 1]
        return regions[r].range.contains(address) ? r : nil
    }

    /// Region IDs sorted by base address (ties by ID).
    public func regionsByBase() -> [RegionID] {
        regions.ids(MemoryRegion.self).sorted {
            regions[$0].range.base != regions[$1].range.base ? regions[$0].range.base < regions[$1].range.base : $0 < $1
        }
    }
}
