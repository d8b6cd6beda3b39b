import IotopoModel

/// A PCI function of the model: a device with a requester ID, or a bridge that is a PCI
/// function (root and switch ports, PCI bridges). Linux groups both: "bridges are devices
/// too and get groups" (docs/isolation.md).
public typealias PCIFunctionRef = FunctionRef

/// What `pci_acs_enabled` needs to know about a function (drivers/pci/pci.c).
struct PCIFunction: Sendable {
    enum PortType: Sendable {
        case endpoint, legacyEndpoint, rcIntegratedEndpoint, rcEventCollector, vmd
        case rootPort, switchUpstream, switchDownstream, pcieToPCI, pciToPCIe, conventionalBridge
    }

    var ref: PCIFunctionRef
    var name: String
    var rid: RequesterID
    /// The bus the function sits on.
    var bus: BusID
    var segment: UInt32
    /// Whether it is a PCI Express function (its bus is PCIe); conventional PCI and PCI-X
    /// functions have no ACS.
    var isPCIe: Bool
    var type: PortType
    var multifunction: Bool
    var acs: ACSCapability?
    /// Fixed DMA alias devfns (quirks), same bus.
    var fixedAliases: [UInt8]
    var origin: Origin
    /// The ACS quirk that decides its ACS answer, if any (`pci_dev_specific_acs_enabled`).
    var acsQuirk: AppliedQuirk?
    /// Its vendor and device ID, when known.
    var pciID: PCIID?
}

/// The PCI functions of a model and how they hang together, in the order Linux scans them.
struct PCIFunctions: Sendable {
    var functions: [PCIFunction]
    /// Index of each function by reference.
    var index: [PCIFunctionRef: Int]
    /// The PCI function bridge whose secondary side is each bus (`bus->self`), if any.
    var bridgeAbove: [BridgeID?]
    /// Functions on each bus.
    var onBus: [[Int]]

    init(_ m: SystemModel, _ topo: Topology) {
        var fns: [PCIFunction] = []
        for b in m.bridges.ids(Bridge.self) {
            let br = m.bridges[b]
            guard br.kind.isPCIFunction, let rid = br.rid else { continue }
            let onPCIe = m.buses[br.upstream].kind == .pcie
            let type: PCIFunction.PortType
            switch br.kind {
            case .rootPort: type = .rootPort
            case .switchUpstream: type = .switchUpstream
            case .switchDownstream: type = .switchDownstream
            case .pcieToPCI: type = .pcieToPCI
            case .pciToPCIe: type = .pciToPCIe
            case .vmd: type = .vmd
            case .pciBridge, .rootComplex, .busBridge: type = .conventionalBridge
            }
            fns.append(PCIFunction(ref: .bridge(b), name: br.name, rid: rid, bus: br.upstream, segment: m.buses[br.upstream].segment,
                                   isPCIe: (onPCIe || type == .vmd) && type != .conventionalBridge, type: type, multifunction: br.multifunction,
                                   acs: br.acs, fixedAliases: [], origin: br.origin,
                                   acsQuirk: br.quirks.first { $0.acsProvides != nil }, pciID: br.pci?.id))
        }
        for d in m.devices.ids(Device.self) {
            let dev = m.devices[d]
            guard let rid = dev.rid else { continue }
            let type: PCIFunction.PortType
            switch dev.portType {
            case .legacyEndpoint?: type = .legacyEndpoint
            case .rcIntegratedEndpoint?: type = .rcIntegratedEndpoint
            case .rcEventCollector?: type = .rcEventCollector
            default: type = .endpoint
            }
            var aliases = dev.aliases
            for q in dev.quirks {
                if case let .dmaAliases(list) = q.effect { aliases += list.filter { !aliases.contains($0) } }
            }
            // An IVRS alias on its own bus, at an IOMMU on its path (setup_aliases).
            for io in topo.path(of: dev).iommus {
                for a in m.iommus[io].aliasRanges where a.range.contains(rid) && a.as_.bus == rid.bus && a.as_ != rid {
                    let fn = UInt8(a.as_.raw & 0xFF)
                    if !aliases.contains(fn) { aliases.append(fn) }
                }
            }
            fns.append(PCIFunction(ref: .device(d), name: dev.name, rid: rid, bus: dev.bus, segment: m.buses[dev.bus].segment,
                                   isPCIe: dev.portType.map(\.isPCIe) ?? (m.buses[dev.bus].kind == .pcie), type: type,
                                   multifunction: dev.multifunction, acs: dev.acs, fixedAliases: aliases, origin: dev.origin,
                                   acsQuirk: dev.quirks.first { $0.acsProvides != nil }, pciID: dev.pci?.id))
        }
        var above = [BridgeID?](repeating: nil, count: m.buses.count)
        // `bus->self`, where a bus below a plain bus bridge (an SR-IOV virtual bus, which has
        // no bridge: `virtfn_add_bus`) takes its parent's, as Linux's walks skip virtual
        // buses (`if (!bus->self) continue;` in pci_for_each_dma_alias and pci_device_group).
        for bus in m.buses.ids(Bus.self) {
            var b = topo.upstreamBridges[bus].first
            var hops = 0
            while let x = b, m.bridges[x].kind == .busBridge, hops < m.bridges.count {
                b = topo.upstreamBridges[m.bridges[x].upstream].first
                hops += 1
            }
            if let b, m.bridges[b].kind.isPCIFunction, m.bridges[b].rid != nil { above[bus] = b }
        }
        bridgeAbove = above
        // Scan order (what `pci_bus_add_devices` does): from each root bus in segment and bus
        // number order, the functions of a bus in devfn order, then the buses below its
        // bridges, depth first, in the bridges' devfn order.
        var byBus = [[Int]](repeating: [], count: m.buses.count)
        for (i, f) in fns.enumerated() { byBus[f.bus].append(i) }
        for b in byBus.indices { byBus[b].sort { fns[$0].rid < fns[$1].rid || fns[$0].rid == fns[$1].rid && fns[$0].ref < fns[$1].ref } }
        let roots = m.buses.ids(Bus.self).filter { above[$0] == nil && !byBus[$0].isEmpty }
            .sorted { (m.buses[$0].segment, m.buses[$0].number ?? 0, $0.raw) < (m.buses[$1].segment, m.buses[$1].number ?? 0, $1.raw) }
        var order: [Int] = []
        var visited = Set<BusID>()
        func visit(_ bus: BusID) {
            guard visited.insert(bus).inserted else { return }
            order += byBus[bus]
            for i in byBus[bus] {
                if case let .bridge(b) = fns[i].ref { visit(m.bridges[b].downstream) }
            }
        }
        for r in roots { visit(r) }
        // Functions on buses no root reaches (a bridge cycle the compiler reports) last.
        var placed = [Bool](repeating: false, count: fns.count)
        for i in order { placed[i] = true }
        for i in fns.indices where !placed[i] { order.append(i) }
        functions = order.map { fns[$0] }
        var idx: [PCIFunctionRef: Int] = [:]
        for (i, f) in functions.enumerated() { idx[f.ref] = i }
        index = idx
        var on = [[Int]](repeating: [], count: m.buses.count)
        for (i, f) in functions.enumerated() { on[f.bus].append(i) }
        onBus = on
    }

    /// `pci_acs_enabled(pdev, REQ_ACS_FLAGS)` (drivers/pci/pci.c): first a device quirk
    /// (`pci_dev_specific_acs_enabled`), whatever the function's type; then conventional
    /// functions, PCIe-to-PCI / PCI-to-PCIe bridges and event collectors never; root and
    /// switch downstream ports by their flags; a multifunction endpoint (of any kind) or
    /// upstream port by its flags; anything else yes. `override` is the out-of-tree
    /// `pcie_acs_override` what-if, consulted after the in-tree quirks.
    func acsMissing(_ i: Int, required: ACSFlags = .required, override: ACSOverride? = nil) -> ACSVerdict {
        let f = functions[i]
        if let q = f.acsQuirk, let provides = q.acsProvides {
            let missing = required.subtracting(provides)
            return missing.isEmpty ? .quirk(q.function, missing: []) : .quirk(q.function, missing: missing)
        }
        if let o = override, let why = o.applies(to: f) { return .override(why) }
        guard f.isPCIe else { return .never("a conventional PCI function has no ACS") }
        switch f.type {
        case .pcieToPCI: return .never("a PCIe-to-PCI bridge cannot isolate what is behind it")
        case .pciToPCIe: return .never("a PCI-to-PCIe bridge cannot isolate what is behind it")
        case .rcEventCollector: return .never("a root complex event collector never has ACS")
        case .conventionalBridge: return .never("a conventional PCI bridge has no ACS")
        case .rootPort, .switchDownstream:
            return flagsVerdict(f.acs, required)
        case .endpoint, .legacyEndpoint, .rcIntegratedEndpoint, .vmd, .switchUpstream:
            return f.multifunction ? flagsVerdict(f.acs, required) : .enabled
        }
    }

    func flagsVerdict(_ acs: ACSCapability?, _ required: ACSFlags) -> ACSVerdict {
        guard let acs else { return .missing(required, noCapability: true) }
        if acs.enables(required) { return .enabled }
        let needed = required.intersection(acs.capability.union(.ec))
        return .missing(needed.subtracting(acs.control), noCapability: false)
    }

    /// The bus a function's parent bus chain continues on: the bus above `bus->self`.
    func parentBus(of bus: BusID, _ m: SystemModel) -> BusID? {
        bridgeAbove[bus].map { m.bridges[$0].upstream }
    }
}

/// Whether a function's ACS isolates it.
enum ACSVerdict: Equatable, Sendable {
    case enabled
    /// Flags required but not enabled (`noCapability`: it has no ACS capability at all).
    case missing(ACSFlags, noCapability: Bool)
    /// The function type can never have ACS.
    case never(String)
    /// A kernel quirk answers: the required flags it does not provide (none: isolated).
    case quirk(String, missing: ACSFlags)
    /// The `pcie_acs_override` what-if says it isolates, for the reason given.
    case override(String)

    var ok: Bool {
        switch self {
        case .enabled, .override: return true
        case let .quirk(_, missing): return missing.isEmpty
        case .missing, .never: return false
        }
    }

    /// The quirk function deciding, if one does.
    var quirkFunction: String? {
        if case let .quirk(f, _) = self { return f }
        return nil
    }

    var text: String {
        switch self {
        case .enabled: return "ACS enabled"
        case let .missing(f, none): return none ? "no ACS capability" : "ACS \(f.nameList.map { $0.uppercased() }.joined(separator: ", ")) not enabled"
        case let .never(why): return why
        case let .quirk(fn, missing):
            return missing.isEmpty ? "isolation by the quirk \(fn)"
                : "the quirk \(fn) (it reports ACS \(missing.nameList.map { $0.uppercased() }.joined(separator: ", ")) as missing)"
        case let .override(why): return "ACS assumed by the override (\(why); not upstream)"
        }
    }
}

/// A word of `--acs-override` that is not one.
public struct ACSOverrideError: Error, Sendable {
    public var word: String
}

/// The out-of-tree `pcie_acs_override=` patch, as a what-if (docs/isolation.md): it is
/// consulted after the in-tree quirks, never for a conventional function nor for one with an
/// ACS capability, and then answers "isolated" for every root and downstream port
/// (`downstream`), every multifunction endpoint or upstream port (`multifunction`), and the
/// listed vendor:device IDs (`id:`).
public struct ACSOverride: Hashable, Sendable {
    public var downstream: Bool
    public var multifunction: Bool
    public var ids: [PCIID]

    public init(downstream: Bool = false, multifunction: Bool = false, ids: [PCIID] = []) {
        self.downstream = downstream
        self.multifunction = multifunction
        self.ids = ids
    }

    /// `downstream,multifunction,id:8086:1901`; nil with the word it cannot read.
    public static func parse(_ text: String) -> Result<ACSOverride, ACSOverrideError> {
        var o = ACSOverride()
        for word in text.split(separator: ",") {
            if word == "downstream" { o.downstream = true; continue }
            if word == "multifunction" { o.multifunction = true; continue }
            let parts = word.split(separator: ":")
            guard parts.count == 3, parts[0] == "id", parts[1].count == 4, parts[2].count == 4,
                  let v = UInt16(parts[1], radix: 16), let d = UInt16(parts[2], radix: 16) else { return .failure(ACSOverrideError(word: String(word))) }
            o.ids.append(PCIID(vendor: v, device: d))
        }
        return .success(o)
    }

    /// The words it was given, in canonical order.
    public var text: String {
        ((downstream ? ["downstream"] : []) + (multifunction ? ["multifunction"] : []) + ids.map { "id:\($0)" }).joined(separator: ",")
    }

    func applies(to f: PCIFunction) -> String? {
        guard f.isPCIe, f.acs == nil else { return nil }
        if let id = f.pciID, ids.contains(id) { return "id:\(id)" }
        switch f.type {
        case .rootPort, .switchDownstream: return downstream ? "downstream" : nil
        case .endpoint, .legacyEndpoint, .rcIntegratedEndpoint, .vmd, .switchUpstream:
            return multifunction && f.multifunction ? "multifunction" : nil
        default: return nil
        }
    }
}
