import IotopoModel

/// How isolated a bus is: `pci_bus_isolated()` of the 2025 series "Fix incorrect
/// iommu_groups with PCIe ACS" (Jason Gunthorpe; drivers/pci/search.c), which reads ACS as
/// control over where traffic entering a port may go.
enum BusIsolation: Equatable {
    /// Traffic on the bus cannot reach a peer: the root bus, a root port's link, a
    /// downstream port's link, a switch whose downstream ports all have ACS.
    case isolated
    /// The internal bus of a switch whose upstream port is isolated but some downstream
    /// port is not: the downstream ports share a group.
    case switchDSPNonIsolated(String)
    /// Nothing isolates the bus from its bridge: everything below shares the bridge's group.
    case pcieNonIsolated(String)
    /// A conventional PCI bus behind a PCIe-to-PCI bridge that does not join: the devices on
    /// it share a group, the bridge keeps its own.
    case pciBusNonIsolated(String)
    /// A conventional PCI bus: the bridge and everything below share a group.
    case pciBridgeNonIsolated(String)
}

extension GroupBuilder {
    /// `pci_bus_isolated(bus)`. ACS flags this model does not describe (the memory-target
    /// controls DSP_MT_RR and USP_MT_RR) count as implemented-and-off only when the
    /// function has no ACS capability at all, as `pci_acs_flags_enabled` treats flags a
    /// capability lacks as on.
    func isolation(of bus: BusID) -> BusIsolation {
        guard let b = fns.bridgeAbove[bus], let bi = fns.index[.bridge(b)] else { return .isolated }
        let bridge = fns.functions[bi]
        if !bridge.isPCIe {
            return m.bridges[b].pcieAlias ? pcieToPCIIsolation(bridge) : .pciBridgeNonIsolated("'\(bridge.name)' is a conventional PCI bridge: PCI has no ACS")
        }
        switch bridge.type {
        case .rootPort:
            // Point to point: isolated unless an ACS capability is there with its flags off
            // (no capability: assumed to have no internal loopback).
            if let acs = bridge.acs, !acs.enables(.required) {
                return .pcieNonIsolated("root port '\(bridge.name)' has \(fns.flagsVerdict(acs, .required).text)")
            }
            return .isolated
        case .switchDownstream:
            return .isolated
        case .switchUpstream:
            for j in fns.onBus[bus] {
                let f = fns.functions[j]
                guard f.isPCIe, f.type == .switchDownstream, f.fixedAliases.isEmpty else {
                    return .pcieNonIsolated("'\(f.name)' on the switch's internal bus is not a downstream port")
                }
                let v = fns.flagsVerdict(f.acs, .required)
                if !v.ok {
                    // Without any ACS capability the port cannot be kept from the upstream
                    // port either (USP_MT_RR is off): the whole switch is one group.
                    if f.acs == nil { return .pcieNonIsolated("downstream port '\(f.name)' has no ACS capability") }
                    return .switchDSPNonIsolated("downstream port '\(f.name)' has \(v.text)")
                }
            }
            return .isolated
        case .pcieToPCI:
            return pcieToPCIIsolation(bridge)
        case .pciToPCIe, .conventionalBridge:
            return .pciBridgeNonIsolated("'\(bridge.name)' bridges from conventional PCI")
        case .vmd:
            // Everything in a VMD domain reaches the IOMMU as the endpoint: one group.
            return .pcieNonIsolated("'\(bridge.name)' is a VMD endpoint: its domain's DMA carries the endpoint's requester ID")
        case .endpoint, .legacyEndpoint, .rcIntegratedEndpoint, .rcEventCollector:
            return .pciBridgeNonIsolated("'\(bridge.name)' bridges from conventional PCI")
        }
    }

    /// A PCIe-to-PCI bridge: the devices behind it alias to (secondary bus, 00.0), which only
    /// they use, so the bridge keeps its own group unless it has MMIO of its own (a memory
    /// region it owns is not modelled for bridges, so it never has).
    func pcieToPCIIsolation(_ bridge: PCIFunction) -> BusIsolation {
        .pciBusNonIsolated("'\(bridge.name)' leads to a conventional PCI bus, where any device can claim another's DMA")
    }

    /// Whether two functions of one slot can loop back into each other (patch 6,
    /// `pci_mfds_are_same_group`): when their multifunction flags disagree (conservative),
    /// or when either has an ACS capability that fails the isolation flags. A function with
    /// no ACS capability at all is taken to have no internal loopback (PCIe 6.12.1.2), the
    /// reverse of the classic rule and the contested point of the series.
    func mfdLinked(_ a: Int, _ b: Int) -> Bool {
        let x = fns.functions[a], y = fns.functions[b]
        guard x.bus == y.bus, x.rid.device == y.rid.device, a != b else { return false }
        if x.multifunction != y.multifunction { return true }
        guard x.multifunction else { return false }
        func fails(_ f: PCIFunction) -> Bool { f.acs.map { !$0.enables(.required) } ?? false }
        return fails(x) || fails(y)
    }

    /// `pci_reachable_set`: the transitive closure over functions of the same bus linked by
    /// a fixed DMA alias or by multifunction loopback, in scan order.
    func reachableSet(_ i: Int) -> [Int] {
        var seen: Set<Int> = [i]
        var queue = [i]
        while let k = queue.popLast() {
            let f = fns.functions[k]
            for j in fns.onBus[f.bus] where !seen.contains(j) {
                let t = fns.functions[j]
                let aliased = f.fixedAliases.contains(t.rid.devfn) || t.fixedAliases.contains(f.rid.devfn)
                if aliased || mfdLinked(k, j) {
                    seen.insert(j)
                    queue.append(j)
                }
            }
        }
        return fns.onBus[fns.functions[i].bus].filter { seen.contains($0) }
    }

    func loopbackText(_ a: Int, _ b: Int) -> String {
        let x = fns.functions[a], y = fns.functions[b]
        if x.multifunction != y.multifunction { return "'\(x.name)' and '\(y.name)' disagree on being multifunction" }
        let failing = [x, y].first { $0.acs.map { !$0.enables(.required) } ?? false } ?? x
        return "'\(failing.name)' has \(fns.flagsVerdict(failing.acs, .required).text)"
    }

    /// `pci_device_group` of the 2025 series (drivers/iommu/iommu.c).
    mutating func assignPCIEgress(_ i: Int, iommu io: IOMMUID) {
        let f = fns.functions[i]
        if case let .bridge(b) = f.ref, m.bridges[b].translationRoot {
            newGroup(member(i), iommu: io, origin: f.origin)
            return
        }
        // Anything upstream enforcing non-isolation? (`pci_hierarchy_group`)
        if let up = fns.bridgeAbove[f.bus], let ui = fns.index[.bridge(up)], let g = group(of: ui), nonIsolated.contains(g) {
            join(i, g, GroupReason(rule: .nonIsolatedHierarchy, via: member(ui),
                                   text: "everything below '\(fns.functions[ui].name)' shares its group (its hierarchy is not isolated)",
                                   origin: fns.functions[ui].origin))
            return
        }
        switch isolation(of: f.bus) {
        case .isolated:
            // The functions this one can reach without the IOMMU: `pci_reachable_set` over
            // DMA aliases and multifunction loopback (patch 6 of the series).
            let set = reachableSet(i)
            for j in set where j != i {
                guard let g = group(of: j) else { continue }
                let s = fns.functions[j]
                let aliased = f.fixedAliases.contains(s.rid.devfn) || s.fixedAliases.contains(f.rid.devfn)
                let reason = aliased
                    ? GroupReason(rule: .sameBusAlias, via: member(j), text: "'\(s.name)' and '\(f.name)' are DMA aliases of each other (a fixed alias)", origin: s.origin)
                    : GroupReason(rule: .multifunction, via: member(j),
                                  text: "multifunction device: \(loopbackText(i, j)), so its functions can reach each other", origin: f.origin)
                join(i, g, reason)
                return
            }
            newGroup(member(i), iommu: io, origin: f.origin)
            // Functions that loop back into one another: the group also takes whatever is
            // below any of them that is a bridge.
            if set.count > 1, let g = group(of: i) { nonIsolated.insert(g) }
        case let .pcieNonIsolated(why), let .pciBridgeNonIsolated(why):
            guard let up = fns.bridgeAbove[f.bus], let ui = fns.index[.bridge(up)], let g = group(of: ui) else {
                newGroup(member(i), iommu: io, origin: f.origin)
                return
            }
            nonIsolated.insert(g)
            join(i, g, GroupReason(rule: .nonIsolatedBus, via: member(ui), text: "its bus is not isolated (\(why)), so it shares the group of '\(fns.functions[ui].name)'",
                                   origin: fns.functions[ui].origin))
        case let .pciBusNonIsolated(why), let .switchDSPNonIsolated(why):
            for j in fns.onBus[f.bus] where j != i {
                guard let g = group(of: j) else { continue }
                nonIsolated.insert(g)
                join(i, g, GroupReason(rule: .nonIsolatedBus, via: member(j), text: "its bus is not isolated (\(why)), so it shares a group with '\(fns.functions[j].name)'",
                                       origin: fns.functions[j].origin))
                return
            }
            newGroup(member(i), iommu: io, origin: f.origin)
            if let g = group(of: i) { nonIsolated.insert(g) }
        }
    }
}
