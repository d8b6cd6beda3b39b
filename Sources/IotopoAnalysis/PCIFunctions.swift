import IotopoModel

/// A PCI function of the model: a device with a requester ID, or a bridge that is a PCI
/// function (root and switch ports, PCI bridges). Linux groups both: "bridges are devices
/// too and get groups" (REFERENCE.md section 2).
public enum PCIFunctionRef: Hashable, Sendable, Comparable {
    case device(DeviceID)
    case bridge(BridgeID)

    public static func < (a: PCIFunctionRef, b: PCIFunctionRef) -> Bool {
        switch (a, b) {
        case let (.bridge(x), .bridge(y)): return x < y
        case let (.device(x), .device(y)): return x < y
        case (.bridge, .device): return true
        case (.device, .bridge): return false
        }
    }
}

/// What `pci_acs_enabled` needs to know about a function (drivers/pci/pci.c).
struct PCIFunction: Sendable {
    enum PortType: Sendable {
        case endpoint, rootPort, switchUpstream, switchDownstream, pcieToPCI, pciToPCIe, conventionalBridge
    }

    var ref: PCIFunctionRef
    var name: String
    var rid: RequesterID
    /// The bus the function sits on.
    var bus: BusID
    var segment: UInt16
    /// Whether it is a PCI Express function (its bus is PCIe); conventional PCI and PCI-X
    /// functions have no ACS.
    var isPCIe: Bool
    var type: PortType
    var multifunction: Bool
    var acs: ACSCapability?
    /// Fixed DMA alias devfns (quirks), same bus.
    var fixedAliases: [UInt8]
    var origin: Origin
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
            case .pciBridge, .rootComplex, .busBridge: type = .conventionalBridge
            }
            fns.append(PCIFunction(ref: .bridge(b), name: br.name, rid: rid, bus: br.upstream, segment: m.buses[br.upstream].segment,
                                   isPCIe: onPCIe && type != .conventionalBridge, type: type, multifunction: br.multifunction,
                                   acs: br.acs, fixedAliases: [], origin: br.origin))
        }
        for d in m.devices.ids(Device.self) {
            let dev = m.devices[d]
            guard let rid = dev.rid else { continue }
            fns.append(PCIFunction(ref: .device(d), name: dev.name, rid: rid, bus: dev.bus, segment: m.buses[dev.bus].segment,
                                   isPCIe: m.buses[dev.bus].kind == .pcie, type: .endpoint, multifunction: dev.multifunction,
                                   acs: dev.acs, fixedAliases: dev.aliases, origin: dev.origin))
        }
        var above = [BridgeID?](repeating: nil, count: m.buses.count)
        for bus in m.buses.ids(Bus.self) {
            if let b = topo.upstreamBridges[bus].first, m.bridges[b].kind.isPCIFunction, m.bridges[b].rid != nil { above[bus] = b }
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

    /// `pci_acs_enabled(pdev, REQ_ACS_FLAGS)` (drivers/pci/pci.c): conventional functions and
    /// PCIe-to-PCI / PCI-to-PCIe bridges never; root and switch downstream ports by their
    /// flags; a multifunction endpoint or upstream port by its flags; anything else yes.
    /// Returns the required flags that are missing (empty when ACS holds) or nil for "never".
    func acsMissing(_ i: Int, required: ACSFlags = .required) -> ACSVerdict {
        let f = functions[i]
        guard f.isPCIe else { return .never("a conventional PCI function has no ACS") }
        switch f.type {
        case .pcieToPCI: return .never("a PCIe-to-PCI bridge cannot isolate what is behind it")
        case .pciToPCIe: return .never("a PCI-to-PCIe bridge cannot isolate what is behind it")
        case .conventionalBridge: return .never("a conventional PCI bridge has no ACS")
        case .rootPort, .switchDownstream:
            return flagsVerdict(f.acs, required)
        case .endpoint, .switchUpstream:
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

    var ok: Bool { self == .enabled }

    var text: String {
        switch self {
        case .enabled: return "ACS enabled"
        case let .missing(f, none): return none ? "no ACS capability" : "ACS \(f.nameList.map { $0.uppercased() }.joined(separator: ", ")) not enabled"
        case let .never(why): return why
        }
    }
}
