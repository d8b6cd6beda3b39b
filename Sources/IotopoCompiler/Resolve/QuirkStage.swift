import IotopoModel
import IotopoQuirks
import IotopoSource

/// Applies the kernel's PCI quirks (docs/import.md, the quirk table) to every function with a
/// `pci-id`, for one kernel release: the command line's `--kernel`, else the platform's
/// `kernel`, else the newest release the table knows. The model records the release and
/// each function's quirks, so every later stage (checks, groups, the engine) sees the same.
enum QuirkStage {
    /// The release a compile applies, and a diagnostic when the platform's is unreadable.
    static func release(option: String?, platform: Platform) -> (KernelRelease, Diagnostic?) {
        if let o = option, let r = KernelRelease(parsing: o) { return (r, nil) }
        if let k = platform.kernel {
            if let r = KernelRelease(parsing: k) { return (r, nil) }
            return (QuirkTable.newest, Diagnostic(.error, CheckID.invalidValue,
                                                  "kernel '\(k)' is not a release (it must start with major.minor, e.g. 6.8 or 6.8.0-45-generic)",
                                                  at: platform.origin.range))
        }
        return (QuirkTable.newest, nil)
    }

    static func apply(_ m: inout SystemModel, release: KernelRelease) {
        m.platform.quirkRelease = release.description
        // The bridge whose secondary side each bus is. A root bus is one no PCI function
        // bridges to (`pci_is_root_bus`: no parent bus): below a root complex, or a VMD
        // domain's bus, which the vmd driver creates as a root bus of its own.
        var feeder = [BridgeKind?](repeating: nil, count: m.buses.count)
        for b in m.bridges where m.buses.indices.contains(b.downstream.index) { feeder[b.downstream.index] = b.kind }
        func onRootBus(_ bus: BusID) -> Bool {
            guard m.buses.indices.contains(bus.index), let k = feeder[bus.index] else { return true }
            return k == .rootComplex || k == .vmd
        }
        let amd = m.iommus.contains { $0.kind == .amdVi }
        for i in m.devices.indices {
            let d = m.devices[i]
            guard let p = d.pci, let rid = d.rid else { continue }
            let type = d.portType ?? (m.buses[d.bus].kind == .pcie ? .endpoint : .conventional)
            let s = QuirkSubject(id: p.id, classCode: p.classCode, portType: type, multifunction: d.multifunction, devfn: rid.devfn,
                                 subsystem: p.subsystem, onRootBus: onRootBus(d.bus), hasACSCapability: d.acs != nil, amdIOMMU: amd)
            let q = QuirkTable.applying(to: s, release: release).filter {
                // Bridge-only effects do nothing on a device.
                switch $0.effect {
                case .acs, .dmaAliases: return true
                case .pcieBridgeAlias, .bridgeNoAlias, .translationRoot: return false
                }
            }
            m.devices[i].quirks = q
            for case let .dmaAliases(list) in q.map(\.effect) {
                for a in list where !m.devices[i].aliases.contains(a) { m.devices[i].aliases.append(a) }
            }
        }
        for i in m.bridges.indices {
            let b = m.bridges[i]
            guard let p = b.pci, let rid = b.rid, let type = portType(b, m) else { continue }
            let s = QuirkSubject(id: p.id, classCode: p.classCode, portType: type, multifunction: b.multifunction, devfn: rid.devfn,
                                 subsystem: p.subsystem, onRootBus: onRootBus(b.upstream), hasACSCapability: b.acs != nil, amdIOMMU: amd)
            let q = QuirkTable.applying(to: s, release: release).filter {
                switch $0.effect {
                case .dmaAliases: return false
                // quirk_use_pcie_bridge_dma_alias sets the flag only on a conventional
                // bridge off the root bus whose parent is PCIe and not itself a PCIe-to-PCI
                // bridge (`pci_is_pcie(pdev->bus->self)`, not PCI_EXP_TYPE_PCI_BRIDGE).
                case .pcieBridgeAlias:
                    guard type == .conventional, !onRootBus(b.upstream), m.buses.indices.contains(b.upstream.index),
                          let parent = feeder[b.upstream.index] else { return false }
                    return m.buses[b.upstream.index].kind == .pcie && parent != .pcieToPCI
                // The no-alias flag is read only for a PCIe-to-PCI bridge.
                case .bridgeNoAlias: return type == .pcieToPCI
                default: return true
                }
            }
            m.bridges[i].quirks = q
            for e in q.map(\.effect) {
                switch e {
                case .pcieBridgeAlias: m.bridges[i].pcieAlias = true
                case .bridgeNoAlias: m.bridges[i].noAlias = true
                case .translationRoot: m.bridges[i].translationRoot = true
                case .acs, .dmaAliases: break
                }
            }
        }
    }

    /// The Express port type a bridge kind is.
    static func portType(_ b: Bridge, _ m: SystemModel) -> PCIPortType? {
        switch b.kind {
        case .rootPort: return .rootPort
        case .switchUpstream: return .upstreamPort
        case .switchDownstream: return .downstreamPort
        case .pcieToPCI: return .pcieToPCI
        case .pciToPCIe: return .pciToPCIe
        case .pciBridge: return .conventional
        case .vmd: return .rcIntegratedEndpoint
        case .rootComplex, .busBridge: return nil
        }
    }
}
