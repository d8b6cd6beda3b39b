/// The kind of a bus.
public enum BusKind: String, Sendable, CaseIterable {
    case system, pcie, pci, pcix, axi, ahb, apb, other

    /// Whether devices on it are addressed by PCI requester IDs.
    public var isPCI: Bool { self == .pcie || self == .pci || self == .pcix }
}

/// A bus: the system interconnect, a PCI bus, or an on-chip bus.
public struct Bus: NamedEntity, Hashable {
    /// Unique name.
    public var name: String
    /// Its kind.
    public var kind: BusKind
    /// PCI segment (domain), for PCI kinds: 32 bits, as Linux numbers them (the VMD driver
    /// gives its domains numbers from 0x10000, above every ACPI segment).
    public var segment: UInt32
    /// PCI bus number, for PCI kinds.
    public var number: UInt8?
    /// Where it was declared.
    public var origin: Origin

    /// Creates a bus.
    public init(name: String, kind: BusKind, segment: UInt32, number: UInt8?, origin: Origin) {
        self.name = name
        self.kind = kind
        self.segment = segment
        self.number = number
        self.origin = origin
    }
}

/// The kind of a bridge, which decides how it aliases requester IDs (docs/semantics.md section 1).
public enum BridgeKind: String, Sendable, CaseIterable {
    case rootComplex = "root-complex"
    case rootPort = "root-port"
    case switchUpstream = "switch-upstream"
    case switchDownstream = "switch-downstream"
    case pcieToPCI = "pcie-to-pci"
    case pciToPCIe = "pci-to-pcie"
    case pciBridge = "pci-bridge"
    case busBridge = "bus-bridge"
    /// An Intel Volume Management Device endpoint hosting a PCI domain of its own: the DMA
    /// of everything in it reaches the IOMMU with the endpoint's requester ID
    /// (`pci_real_dma_dev`, arch/x86/pci/common.c).
    case vmd

    /// Whether the bridge is itself a PCI function with a requester ID.
    public var isPCIFunction: Bool {
        switch self {
        case .rootPort, .switchUpstream, .switchDownstream, .pcieToPCI, .pciToPCIe, .pciBridge, .vmd: return true
        case .rootComplex, .busBridge: return false
        }
    }
}

/// One `dma-ranges` entry: device addresses `[child, child + size)` on the bridge's lower
/// bus reach `[parent, parent + size)` on its upper bus (docs/semantics.md section 3).
public struct DMAWindow: Hashable, Sendable {
    /// Addresses on the lower (child) bus.
    public var child: AddressRange
    /// Where they land on the upper (parent) bus.
    public var parentBase: UInt64
    /// Where it was declared.
    public var origin: Origin

    /// Creates a window; the caller has checked that the parent range fits in 64 bits.
    public init(child: AddressRange, parentBase: UInt64, origin: Origin) {
        self.child = child
        self.parentBase = parentBase
        self.origin = origin
    }

    /// The parent-side range.
    public var parent: AddressRange { AddressRange(base: parentBase, last: parentBase &+ (child.last &- child.base)) }

    /// Translates a child address inside the window.
    @inlinable public func translate(_ a: UInt64) -> UInt64 { parentBase &+ (a &- child.base) }
}

/// One entry of a host bridge's ID map: `m = rid & mask`; `rid-base <= m < rid-base +
/// length` gives stream ID `m - rid-base + output-base` at `iommu` (drivers/of/base.c
/// `of_map_id`; an IORT ID mapping, `iort_id_map`, with its inclusive count made a length).
public struct HostIDMapEntry: Hashable, Sendable {
    public var ridBase: UInt32
    public var iommu: IOMMUID
    public var outputBase: UInt32
    public var length: UInt32
    public var origin: Origin

    public init(ridBase: UInt32, iommu: IOMMUID, outputBase: UInt32, length: UInt32, origin: Origin) {
        self.ridBase = ridBase
        self.iommu = iommu
        self.outputBase = outputBase
        self.length = length
        self.origin = origin
    }

    /// The output for a masked input ID, or nil when the entry does not match it.
    @inlinable public func map(_ masked: UInt32) -> UInt32? {
        guard masked >= ridBase, UInt64(masked) < UInt64(ridBase) + UInt64(length) else { return nil }
        return outputBase &+ (masked &- ridBase)
    }
}

/// One entry of a host bridge's MSI map: `m = rid & mask`; `rid-base <= m < rid-base +
/// length` gives device ID `m - rid-base + output-base` at the MSI controller named (a GIC
/// ITS: `of_msi_map_id`, `iort_msi_map_id`). The controller is named, not modelled.
public struct MSIMapEntry: Hashable, Sendable {
    public var ridBase: UInt32
    public var controller: String
    public var outputBase: UInt32
    public var length: UInt32
    public var origin: Origin

    public init(ridBase: UInt32, controller: String, outputBase: UInt32, length: UInt32, origin: Origin) {
        self.ridBase = ridBase
        self.controller = controller
        self.outputBase = outputBase
        self.length = length
        self.origin = origin
    }
}

/// A bridge between an upper bus and a lower bus.
public struct Bridge: NamedEntity, Hashable {
    /// Unique name.
    public var name: String
    /// Its kind.
    public var kind: BridgeKind
    /// The bus above (toward memory).
    public var upstream: BusID
    /// The bus below.
    public var downstream: BusID
    /// DMA windows; empty means identity (dma-ranges semantics).
    public var windows: [DMAWindow]
    /// ACS capability, if it has one.
    public var acs: ACSCapability?
    /// Its own requester ID, when it is a PCI function.
    public var rid: RequesterID?
    /// Part of a multifunction device.
    public var multifunction: Bool
    /// `PCI_DEV_FLAGS_BRIDGE_XLATE_ROOT`: requester-ID aliasing stops here.
    public var translationRoot: Bool
    /// Treat a conventional PCI bridge as a PCIe bridge for aliasing
    /// (`PCI_DEV_FLAG_PCIE_BRIDGE_ALIAS`): alias as secondary bus, devfn 00.0.
    public var pcieAlias: Bool
    /// Where it was declared.
    public var origin: Origin
    /// Its PCI IDs and what a real machine's description records of it.
    public var pci: PCIIdentity?
    /// The kernel quirks that match it, for the release the model was compiled for.
    public var quirks: [AppliedQuirk] = []
    /// `PCI_DEV_FLAGS_PCI_BRIDGE_NO_ALIAS` (a quirk): it forwards requester IDs unchanged.
    public var noAlias = false
    /// A host bridge's ID map (the device tree's `iommu-map` on the PCIe controller node, an
    /// IORT root complex's ID mappings): requester IDs of the functions below it become
    /// stream IDs at the IOMMU each entry names. Empty: the IOMMUs' own `id-map`s apply.
    public var idMap: [HostIDMapEntry] = []
    /// `iommu-map-mask`.
    public var idMapMask: UInt32 = .max
    /// A host bridge's MSI map (the device tree's `msi-map`, IORT root-complex mappings to an
    /// ITS group): the device ID each requester ID's MSIs carry at an MSI controller.
    public var msiMap: [MSIMapEntry] = []
    /// `msi-map-mask`.
    public var msiMapMask: UInt32 = .max

    /// Creates a bridge.
    public init(name: String, kind: BridgeKind, upstream: BusID, downstream: BusID, windows: [DMAWindow],
                acs: ACSCapability?, rid: RequesterID?, multifunction: Bool, translationRoot: Bool,
                pcieAlias: Bool, origin: Origin) {
        self.name = name
        self.kind = kind
        self.upstream = upstream
        self.downstream = downstream
        self.windows = windows
        self.acs = acs
        self.rid = rid
        self.multifunction = multifunction
        self.translationRoot = translationRoot
        self.pcieAlias = pcieAlias
        self.origin = origin
    }
}
