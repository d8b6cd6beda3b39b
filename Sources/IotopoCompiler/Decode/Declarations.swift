import IotopoModel
import IotopoSource

/// Declarations: what one file says, decoded and typed but with names not yet resolved.
/// A nil required field means its problem was already reported; the resolver then drops the
/// entity without reporting again.

/// A requester ID as written, with an optional segment prefix.
struct RIDDecl: Hashable {
    var rid: RequesterID
    var segment: UInt32?
    var range: SourceRange
}

struct PlatformDecl {
    var name: Ref?
    var description = ""
    var addressBits: UInt8 = 64
    var kernel: String?
    var unverified: String?
    var origin: Origin
}

struct RegionDecl {
    var name: Ref
    var range: AddressRange?
    var kind: MemoryKind?
    var secure = false
    var owner: Ref?
    var origin: Origin
}

struct BusDecl {
    var name: Ref
    var kind: BusKind?
    var segment: UInt32 = 0
    var number: UInt8?
    var numberGiven = false
    var origin: Origin
}

struct BridgeDecl {
    var name: Ref
    var kind: BridgeKind?
    var upstream: Ref?
    var downstream: Ref?
    var windows: [DMAWindow]?
    var acs: ACSCapability?
    var rid: RIDDecl?
    var multifunction = false
    var translationRoot = false
    var pcieAlias = false
    var pci: PCIDecl?
    var complete = true
    var origin: Origin
}

struct RemapDecl {
    var index: UInt32
    var source: Ref?
    var cpu: UInt32
    var vector: UInt8
    var origin: Origin
}

struct IOMMUDecl {
    var name: Ref
    var kind: IOMMUKind?
    var at: Ref?
    var inputBits: UInt8 = 48
    var outputBits: UInt8 = 48
    var granuleShift: UInt8 = 12
    var pageSizes: UInt64 = 0
    var iotlb = IOTLBGeometry.default
    var interruptRemapping = false
    var remapTable: [RemapDecl] = []
    var streamIDBits: UInt8 = 16
    var idMap: [IDMapEntry] = []
    var idMapMask: UInt32 = .max
    var unmatched = UnmatchedPolicy.abort
    var scope: [RIDRange]?
    var complete = true
    var origin: Origin
}

struct DeviceDecl {
    var name: Ref
    var kind = "device"
    var bus: Ref?
    var rid: RIDDecl?
    var streamIDs: [UInt32] = []
    var streamIDsRange: SourceRange?
    var multifunction = false
    var acs: ACSCapability?
    var dmaCapable = true
    var dmaBits: UInt8 = 64
    var msi: MSICapability?
    var aliases: [UInt8] = []
    var reserved: [ReservedRange] = []
    var pci: PCIDecl?
    var portType: PCIPortType?
    var physfn: Ref?
    var defaultDomain: String?
    var complete = true
    var origin: Origin
}

/// A mapping's physical side: an absolute address, or `region + offset`.
enum PhysDecl {
    case absolute(UInt64)
    case region(Ref, offset: UInt64)
}

struct MappingDecl {
    var iova: UInt64
    var phys: PhysDecl
    var size: UInt64
    var perm: Permissions
    var pageSize: UInt64?
    var origin: Origin
}

struct DomainDecl {
    var name: Ref
    var iommu: Ref?
    var type = DomainType.translated
    var mappings: [MappingDecl] = []
    var complete = true
    var origin: Origin
}

struct AttachmentDecl {
    var device: Ref?
    var domain: Ref?
    var origin: Origin
}

/// An `include` entry.
struct IncludeDecl {
    var path: String
    var range: SourceRange
}

/// Everything one file declares.
struct FileDecl {
    var platform: PlatformDecl?
    /// The topology this one starts from (`extends`), root files only.
    var extends: IncludeDecl?
    var includes: [IncludeDecl] = []
    var regions: [RegionDecl] = []
    var buses: [BusDecl] = []
    var bridges: [BridgeDecl] = []
    var iommus: [IOMMUDecl] = []
    var devices: [DeviceDecl] = []
    var domains: [DomainDecl] = []
    var attachments: [AttachmentDecl] = []
    var policies: [PolicyDecl] = []
    var vms: [VMDecl] = []
    var observedGroups: [ObservedGroupDecl] = []
}
