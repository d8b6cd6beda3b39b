import IotopoModel
import IotopoSource

/// Declarations: what one file says, decoded and typed but with names not yet resolved.
/// A nil required field means its problem was already reported; the resolver then drops the
/// entity without reporting again.

/// A requester ID as written, with an optional segment prefix.
package struct RIDDecl: Hashable {
    package var rid: RequesterID
    package var segment: UInt32?
    package var range: SourceRange
}

package struct PlatformDecl {
    package var name: Ref?
    package var description = ""
    package var addressBits: UInt8 = 64
    package var kernel: String?
    package var unverified: String?
    package var origin: Origin
}

package struct RegionDecl {
    package var name: Ref
    package var range: AddressRange?
    package var kind: MemoryKind?
    package var secure = false
    package var owner: Ref?
    package var origin: Origin
}

package struct BusDecl {
    package var name: Ref
    package var kind: BusKind?
    package var segment: UInt32 = 0
    package var number: UInt8?
    package var numberGiven = false
    package var origin: Origin
}

package struct BridgeDecl {
    package var name: Ref
    package var kind: BridgeKind?
    package var upstream: Ref?
    package var downstream: Ref?
    package var windows: [DMAWindow]?
    package var acs: ACSCapability?
    package var rid: RIDDecl?
    package var multifunction = false
    package var translationRoot = false
    package var pcieAlias = false
    package var pci: PCIDecl?
    /// A host bridge's `id-map` and `id-map-mask`.
    package var idMap: [HostIDMapDecl] = []
    package var idMapMask: UInt32 = .max
    package var msiMap: [MSIMapEntry] = []
    package var msiMapMask: UInt32 = .max
    package var complete = true
    package var origin: Origin
}

/// A host bridge's ID-map entry as written: the IOMMU by name.
package struct HostIDMapDecl {
    package var ridBase: UInt32
    package var iommu: Ref
    package var outputBase: UInt32
    package var length: UInt32
    package var origin: Origin
}

package struct RemapDecl {
    package var index: UInt32
    package var source: Ref?
    package var cpu: UInt32
    package var vector: UInt8
    package var origin: Origin
}

package struct IOMMUDecl {
    package var name: Ref
    package var kind: IOMMUKind?
    package var at: Ref?
    /// Further places (`at: [a, b]`).
    package var alsoAt: [Ref] = []
    package var inputBits: UInt8 = 48
    package var outputBits: UInt8 = 48
    package var granuleShift: UInt8 = 12
    package var pageSizes: UInt64 = 0
    package var iotlb = IOTLBGeometry.default
    package var interruptRemapping = false
    package var remapTable: [RemapDecl] = []
    package var streamIDBits: UInt8 = 16
    package var idMap: [IDMapEntry] = []
    package var idMapMask: UInt32 = .max
    package var unmatched = UnmatchedPolicy.abort
    package var scope: [ScopeDecl]?
    package var includeAll = false
    package var aliasRanges: [IOMMUAlias] = []
    package var complete = true
    package var origin: Origin
}

/// An IOMMU scope entry as written: requester IDs, or a bridge or bus by name.
package enum ScopeDecl {
    case rids(RIDRange)
    case bridge(Ref)
    case bus(Ref)
    case device(Ref)
}

package struct DeviceDecl {
    package var name: Ref
    package var kind = "device"
    package var bus: Ref?
    package var rid: RIDDecl?
    package var streamIDs: [UInt32] = []
    package var streamIDsRange: SourceRange?
    package var multifunction = false
    package var acs: ACSCapability?
    package var dmaCapable = true
    package var dmaBits: UInt8 = 64
    package var msi: MSICapability?
    package var aliases: [UInt8] = []
    package var reserved: [ReservedRange] = []
    package var pci: PCIDecl?
    package var portType: PCIPortType?
    package var physfn: Ref?
    package var defaultDomain: String?
    package var streamMasks: [UInt32] = []
    package var busAliases: [RequesterID] = []
    package var pcieEndpoint = false
    package var complete = true
    package var origin: Origin
}

/// A mapping's physical side: an absolute address, or `region + offset`.
package enum PhysDecl {
    case absolute(UInt64)
    case region(Ref, offset: UInt64)
}

package struct MappingDecl {
    package var iova: UInt64
    package var phys: PhysDecl
    package var size: UInt64
    package var perm: Permissions
    package var pageSize: UInt64?
    package var origin: Origin
}

package struct DomainDecl {
    package var name: Ref
    package var iommu: Ref?
    package var type = DomainType.translated
    /// `stage: 1 | 2`; nil: the architecture's default.
    package var stage: TranslationStage?
    package var mappings: [MappingDecl] = []
    package var complete = true
    package var origin: Origin
}

package struct AttachmentDecl {
    package var device: Ref?
    package var domain: Ref?
    package var origin: Origin
}

/// An `include` entry.
package struct IncludeDecl {
    package var path: String
    package var range: SourceRange
}

/// Everything one file declares.
package struct FileDecl {
    package var platform: PlatformDecl?
    /// The topology this one starts from (`extends`), root files only.
    package var extends: IncludeDecl?
    package var includes: [IncludeDecl] = []
    package var regions: [RegionDecl] = []
    package var buses: [BusDecl] = []
    package var bridges: [BridgeDecl] = []
    package var iommus: [IOMMUDecl] = []
    package var devices: [DeviceDecl] = []
    package var domains: [DomainDecl] = []
    package var attachments: [AttachmentDecl] = []
    package var policies: [PolicyDecl] = []
    package var vms: [VMDecl] = []
    package var observedGroups: [ObservedGroupDecl] = []
}
