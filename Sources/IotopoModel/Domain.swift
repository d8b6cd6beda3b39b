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
    /// Permissions.
    public var perm: Permissions
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
    /// Mappings, as declared.
    public var mappings: [Mapping]
    /// Where it was declared.
    public var origin: Origin

    /// Creates a domain.
    public init(name: String, iommu: IOMMUID, type: DomainType, mappings: [Mapping], origin: Origin) {
        self.name = name
        self.iommu = iommu
        self.type = type
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
