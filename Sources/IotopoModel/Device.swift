/// A device's MSI capability and how its messages are programmed.
public struct MSICapability: Hashable, Sendable {
    /// Number of vectors the device can raise.
    public var vectors: UInt32
    /// Interrupt handle of vector 0 when an interrupt-remapping IOMMU is in the path (vector
    /// `v` uses handle `handle + v`, VT-d's sub-handle scheme); nil when unprogrammed.
    public var handle: UInt32?
    /// Destination CPU of compatibility-format messages (no remapping).
    public var cpu: UInt32
    /// Destination vector of vector 0 in compatibility format (vector `v` goes to `vector + v`).
    public var vector: UInt8
    /// The address the device writes its messages to, when that write goes through the DMA
    /// path (an Arm GIC ITS doorbell IOVA behind an SMMU); nil for an interrupt controller
    /// reached directly.
    public var address: UInt64?

    /// Creates a capability.
    public init(vectors: UInt32, handle: UInt32?, cpu: UInt32, vector: UInt8, address: UInt64? = nil) {
        self.vectors = vectors
        self.handle = handle
        self.cpu = cpu
        self.vector = vector
        self.address = address
    }
}

/// A range that must stay identity-mapped for a device (an RMRR, an IVMD unity range, an
/// IORT RMR).
public struct ReservedRange: Hashable, Sendable {
    /// The range.
    public var range: AddressRange
    /// Where it was declared.
    public var origin: Origin

    /// Creates a reserved range.
    public init(range: AddressRange, origin: Origin) {
        self.range = range
        self.origin = origin
    }
}

/// A device: a PCI function or a platform bus master.
public struct Device: NamedEntity, Hashable {
    /// Unique name.
    public var name: String
    /// Free-form kind (nvme, nic, gpu, usb...).
    public var kind: String
    /// The bus it sits on.
    public var bus: BusID
    /// Requester ID, for PCI functions.
    public var rid: RequesterID?
    /// Stream IDs given directly (platform masters behind an SMMU).
    public var streamIDs: [UInt32]
    /// Part of a multifunction device.
    public var multifunction: Bool
    /// ACS capability, if any.
    public var acs: ACSCapability?
    /// Whether the device can master DMA at all.
    public var dmaCapable: Bool
    /// DMA address width in bits: it cannot emit addresses at or above 2^dmaBits.
    public var dmaBits: UInt8
    /// MSI capability, if any.
    public var msi: MSICapability?
    /// Fixed DMA aliases: extra devfns on its own bus it also uses (quirks).
    public var aliases: [UInt8]
    /// Ranges that must stay identity-mapped for it.
    public var reserved: [ReservedRange]
    /// Where it was declared.
    public var origin: Origin
    /// Its PCI IDs and what a real machine's description records of it.
    public var pci: PCIIdentity?
    /// Its PCIe port type as written (`port-type`); nil: PCIe when its bus is.
    public var portType: PCIPortType?
    /// The physical function of an SR-IOV virtual function.
    public var physfn: DeviceID?
    /// The kernel quirks that match it, for the release the model was compiled for.
    public var quirks: [AppliedQuirk] = []
    /// Its default domain type as the kernel reported it (a `DefaultDomainType` word).
    public var defaultDomain: String?
    /// Requester IDs on other buses its requests also arrive with (IVRS alias entries): they
    /// give stream IDs at its IOMMUs, but Linux keeps them out of groups (`setup_aliases`
    /// adds only same-bus aliases with `pci_add_dma_alias`).
    public var busAliases: [RequesterID] = []
    /// SMMUv2 stream-match masks, one per entry of `streamIDs` (0: match the ID exactly); the
    /// second cell of an `iommus` specifier for a two-cell arm-smmu.
    public var streamMasks: [UInt32] = []
    /// A PCIe controller in endpoint mode: what a remote root complex writes through its BARs
    /// reaches this system as DMA mastered by the controller, with its stream IDs.
    public var pcieEndpoint = false

    /// The stream-match mask of stream ID entry `i`.
    @inlinable public func streamMask(_ i: Int) -> UInt32 { i < streamMasks.count ? streamMasks[i] : 0 }

    /// Creates a device.
    public init(name: String, kind: String, bus: BusID, rid: RequesterID?, streamIDs: [UInt32], multifunction: Bool,
                acs: ACSCapability?, dmaCapable: Bool, dmaBits: UInt8, msi: MSICapability?, aliases: [UInt8],
                reserved: [ReservedRange], origin: Origin) {
        self.name = name
        self.kind = kind
        self.bus = bus
        self.rid = rid
        self.streamIDs = streamIDs
        self.multifunction = multifunction
        self.acs = acs
        self.dmaCapable = dmaCapable
        self.dmaBits = dmaBits
        self.msi = msi
        self.aliases = aliases
        self.reserved = reserved
        self.origin = origin
    }

    /// The highest address it can emit.
    @inlinable public var dmaLimit: UInt64 { dmaBits >= 64 ? .max : (UInt64(1) << UInt64(dmaBits)) - 1 }
}

/// The types `/sys/kernel/iommu_groups/N/type` reports (drivers/iommu/iommu.c,
/// `iommu_group_show_type`): the group's default domain, or `unmanaged` while a driver such
/// as VFIO owns the group.
public enum DefaultDomainType: String, Sendable, CaseIterable {
    case dma = "DMA"
    case dmaFQ = "DMA-FQ"
    case identity
    case blocked
    case unmanaged
}
