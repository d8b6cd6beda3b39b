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
    /// Requester-ID ranges it manages, inclusive; nil: everything below it.
    public var scope: [(RequesterID, RequesterID)]?
    /// Its own PCI function (AMD-Vi).
    var function: Int?
    public var comment: String?

    init(name: String, kind: String, at: String) {
        self.name = name
        self.kind = kind
        self.at = at
    }
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
    public var comment: String?

    init(name: String, kind: String, bus: String, rid: PCIAddress, pci: DraftPCI) {
        self.name = name
        self.kind = kind
        self.bus = bus
        self.rid = rid
        self.pci = pci
    }
}
