import IotopoModel
import IotopoQuirks

/// A topology about to be written: entities with the names, keys and comments the emitter
/// prints, in the order it prints them.
public struct TopologyDraft: Sendable {
    public var sourceFormat = ""
    public var sourcePath = ""
    public var name: String?
    public var kernel: String?
    /// The IOMMU words of the kernel command line (a snapshot's `cmdline:`).
    public var commandLine: [String] = []
    /// Set when groups computed from this import cannot be trusted, and why.
    public var unverified: String?
    /// Every assumption made, one sentence each.
    public var assumptions: [String] = []
    public var memory: [DraftRegion] = []
    public var buses: [DraftBus] = []
    public var bridges: [DraftBridge] = []
    public var iommus: [DraftIOMMU] = []
    public var devices: [DraftDevice] = []
    /// Platform masters the firmware names (IORT named components), with stream IDs.
    public var platformDevices: [DraftPlatformDevice] = []
    /// What each firmware table said, one line each, for the header.
    public var firmwareNotes: [String] = []
    public var observedGroups: [(number: Int, members: [String], type: String?)] = []
    /// Bridge index, segment and bus of each root complex.
    var rootComplexes: [(Int, UInt32, UInt8)] = []

    public init() {}
}

public struct DraftRegion: Sendable {
    public var name: String
    public var base: UInt64
    public var size: UInt64
    public var comment: String?
    /// `reserved` for firmware memory; nil: RAM.
    public var kind: String?
}

public struct DraftBus: Sendable {
    public var name: String
    public var kind: String
    public var segment: UInt32
    public var number: UInt8?
    public var comment: String?
}

/// What a PCI function's entry says of the function itself, bridge or device.
public struct DraftPCI: Sendable {
    public var function: HostFunction
    public var multifunction = false
    /// The PF's name, for a VF.
    public var physfn: String?
    public var vfIndex: Int?
    /// The port type could not be read and was assumed.
    public var portTypeAssumed = false
    /// False for a function only firmware names: its IDs and class are unknown.
    public var identityKnown = true

    init(function: HostFunction) { self.function = function }
}

public struct DraftBridge: Sendable {
    public var name: String
    public var kind: String
    public var upstream: String
    public var downstream: String
    /// The host function that is this bridge, if any.
    var function: Int?
    public var rid: PCIAddress?
    public var pci: DraftPCI?
    public var comment: String?
    /// A host bridge's ID map (IORT root complex mappings, a DT `iommu-map`).
    public var idMap: [DraftHostMap] = []
    public var idMapMask: UInt32?
    /// A host bridge's MSI map: (rid-base, controller, output-base, length).
    public var msiMap: [(UInt32, String, UInt32, UInt32)] = []
    public var msiMapMask: UInt32?
    /// The device tree node it comes from, for diagnostics.
    public var sourceNode: String?
    /// DMA windows (a DT bus's `dma-ranges`).
    public var windows: [DraftWindow] = []

    init(name: String, kind: String, upstream: String, downstream: String, function: Int?, rid: PCIAddress? = nil,
         pci: DraftPCI? = nil, comment: String?) {
        self.name = name
        self.kind = kind
        self.upstream = upstream
        self.downstream = downstream
        self.function = function
        self.rid = rid
        self.pci = pci
        self.comment = comment
    }
}

public struct DraftIOMMU: Sendable {
    public var name: String
    public var kind: String
    public var at: String
    /// Further places it intercepts DMA (an INCLUDE_PCI_ALL unit on every root bus).
    public var alsoAt: [String] = []
    /// What it manages; nil: everything below it.
    public var scope: [DraftScope]?
    /// DMAR INCLUDE_PCI_ALL.
    public var includeAll = false
    /// IVRS alias entries: (first, last, as).
    public var aliases: [(RequesterID, RequesterID, RequesterID)] = []
    /// Output address width (DMAR's host address width).
    public var outputBits: Int?
    /// Stream ID width, when not the kind's default.
    public var streamIDBits: Int?
    /// Its own PCI function (AMD-Vi).
    var function: Int?
    public var comment: String?
    /// Comments on single scope entries, by entry index.
    public var scopeComments: [Int: String] = [:]
    /// Checks silenced on it, with the reason.
    public var suppress: [(String, String)] = []

    init(name: String, kind: String, at: String) {
        self.name = name
        self.kind = kind
        self.at = at
    }
}

/// A DMA window: device addresses [child, child + size) reach [parent, ...).
public struct DraftWindow: Sendable {
    public var child: UInt64
    public var parent: UInt64
    public var size: UInt64
}

/// One entry of a host bridge's ID map.
public struct DraftHostMap: Sendable {
    public var ridBase: UInt32
    public var iommu: String
    public var outputBase: UInt32
    public var length: UInt32
    public var comment: String?
}

/// A platform master (not a PCI function): its bus and stream IDs.
public struct DraftPlatformDevice: Sendable {
    public var name: String
    public var bus: String
    public var streamIDs: [UInt32]
    /// SMMUv2 stream-match masks, parallel to `streamIDs`.
    public var streamMasks: [UInt32] = []
    /// A PCIe controller in endpoint mode.
    public var endpoint = false
    /// False for a master whose every stream ID its SMMU refuses: its transactions match no
    /// stream and are aborted.
    public var dma = true
    public var dmaBits: Int?
    public var comment: String?
    public var reserved: [DraftReserved] = []

    init(name: String, bus: String, streamIDs: [UInt32]) {
        self.name = name
        self.bus = bus
        self.streamIDs = streamIDs
    }
}

/// One entry of an IOMMU's scope in a draft.
public enum DraftScope: Sendable {
    /// Requester IDs, inclusive.
    case rids(RequesterID, RequesterID)
    /// A function and, when `subtree`, everything below it; written as the bridge's name, or
    /// the function's requester ID, once names are chosen.
    case function(Int, subtree: Bool)
    case bridge(String)
    /// A platform master, by name.
    case device(String)
}

/// A range a device must keep identity-mapped (RMRR, IVMD, RMR), and where it comes from.
public struct DraftReserved: Sendable {
    public var base: UInt64
    public var size: UInt64
    public var comment: String
}

public struct DraftDevice: Sendable {
    public var name: String
    public var kind: String
    public var bus: String
    public var rid: PCIAddress
    public var pci: DraftPCI
    public var dma = true
    /// The type of its IOMMU group's default domain, as the kernel reported it.
    public var defaultDomain: String?
    /// Checks silenced on it, with the reason: (check ID, reason).
    public var suppress: [(String, String)] = []
    /// Ranges firmware reserves for it.
    public var reserved: [DraftReserved] = []
    /// Fixed DMA aliases on its own bus (devfns), with why.
    public var aliases: [(UInt8, String)] = []
    public var comment: String?

    init(name: String, kind: String, bus: String, rid: PCIAddress, pci: DraftPCI) {
        self.name = name
        self.kind = kind
        self.bus = bus
        self.rid = rid
        self.pci = pci
    }
}
