/// Access permissions of a mapping.
public struct Permissions: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Device reads allowed.
    public static let read = Permissions(rawValue: 1)
    /// Device writes allowed.
    public static let write = Permissions(rawValue: 2)
    /// Both.
    public static let readWrite: Permissions = [.read, .write]

    /// `r`, `w`, `rw` or `-`.
    public var description: String {
        switch (contains(.read), contains(.write)) {
        case (true, true): return "rw"
        case (true, false): return "r"
        case (false, true): return "w"
        case (false, false): return "-"
        }
    }
}

/// The translation stage a domain's page table is for. It decides which permissions the
/// table can encode: first-stage formats (Arm stage 1, AP[2:1]; VT-d first stage, the IA-32
/// format) have read-write and read-only but no write-only entry; second-stage formats (Arm
/// stage 2, S2AP; VT-d second stage; AMD-Vi host tables, IR/IW) have all three.
public enum TranslationStage: Int, Sendable, CaseIterable {
    case first = 1
    case second = 2

    /// The stage Linux gives a DMA domain by default: stage 1 on Arm SMMUs
    /// (arm_smmu_domain_finalise prefers it), the second stage on VT-d in legacy mode and on
    /// AMD-Vi (v1 host tables) and for a generic IOMMU.
    public static func defaultStage(_ kind: IOMMUKind) -> TranslationStage {
        switch kind {
        case .armSMMUv3, .armSMMU: return .first
        case .intelVTd, .amdVi, .generic: return .second
        }
    }

    /// The permissions a table of this stage holds for a request of `p`: a first-stage entry
    /// cannot be write-only, and Linux makes a write-only request read-write
    /// (io-pgtable-arm.c arm_lpae_prot_to_pte sets AP_RDONLY only for read without write;
    /// intel/iommu.c makes every first-stage entry present, hence readable).
    public func holds(_ p: Permissions) -> Permissions {
        self == .first && p == .write ? .readWrite : p
    }
}

/// What a domain does with DMA.
public enum DomainType: String, Sendable, CaseIterable {
    /// Translated through its page table.
    case translated
    /// Passed through untranslated (IOVA = physical address).
    case identity
    /// Every access faults.
    case blocked
}

/// One IOVA-to-physical mapping.
public struct Mapping: Hashable, Sendable {
    /// IOVA range.
    public var iova: AddressRange
    /// First physical address.
    public var phys: UInt64
    /// Permissions the page table holds (for a first-stage domain, a write-only request is
    /// read-write: `TranslationStage.holds`).
    public var perm: Permissions
    /// Permissions the topology asked for, when they differ from `perm`.
    public var requested: Permissions?
    /// Page size it is mapped with.
    public var pageSize: UInt64
    /// The region named in `region + offset` form, if that form was used.
    public var region: RegionID?
    /// Where it was declared.
    public var origin: Origin

    /// Creates a mapping; the caller has checked that the physical range fits in 64 bits.
    public init(iova: AddressRange, phys: UInt64, perm: Permissions, pageSize: UInt64, region: RegionID?, origin: Origin) {
        self.iova = iova
        self.phys = phys
        self.perm = perm
        self.pageSize = pageSize
        self.region = region
        self.origin = origin
    }

    /// The physical range.
    public var physRange: AddressRange { AddressRange(base: phys, last: phys &+ (iova.last &- iova.base)) }
}

/// A translation domain (an I/O address space) of one IOMMU.
public struct Domain: NamedEntity, Hashable {
    /// Unique name.
    public var name: String
    /// The IOMMU it belongs to.
    public var iommu: IOMMUID
    /// Translated, identity or blocked.
    public var type: DomainType
    /// The stage its page table is for.
    public var stage: TranslationStage
    /// Mappings, as declared.
    public var mappings: [Mapping]
    /// Where it was declared.
    public var origin: Origin

    /// Creates a domain.
    public init(name: String, iommu: IOMMUID, type: DomainType, stage: TranslationStage, mappings: [Mapping], origin: Origin) {
        self.name = name
        self.iommu = iommu
        self.type = type
        self.stage = stage
        self.mappings = mappings
        self.origin = origin
    }
}

/// A device attached to a domain.
public struct Attachment: Hashable, Sendable {
    /// The device.
    public var device: DeviceID
    /// The domain.
    public var domain: DomainID
    /// Where it was declared.
    public var origin: Origin

    /// Creates an attachment.
    public init(device: DeviceID, domain: DomainID, origin: Origin) {
        self.device = device
        self.domain = domain
        self.origin = origin
    }
}
