import IotopoModel

/// Hazards: things that let an access through that should not have.
public struct Hazards: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The IOTLB still held a translation the page table no longer has (an unmap without
    /// an invalidation): the access reached memory that is no longer mapped.
    public static let staleIOTLB = Hazards(rawValue: 1)
    /// The stream matched no id-map entry and the IOMMU let it through untranslated.
    public static let bypass = Hazards(rawValue: 2)

    /// Names as printed and as written in `expect`.
    public var names: [String] {
        var out: [String] = []
        if contains(.staleIOTLB) { out.append("stale-iotlb") }
        if contains(.bypass) { out.append("bypass") }
        return out
    }
}

/// One piece of an access: a contiguous device-address range and what became of it.
public struct Segment: Sendable, Equatable {
    /// First device address (IOVA) of the piece.
    public var iova: UInt64
    /// Length in bytes.
    public var length: UInt64
    /// The address at the current point of the path; the physical address once done.
    public var address: UInt64
    /// The fault, if the piece faulted.
    public var fault: Fault?
    /// Native-code details of the fault.
    public var detail: FaultDetail
    /// The IOMMU that faulted it, if any.
    public var faultIOMMU: IOMMUID?
    /// The bridge whose windows rejected it, if any.
    public var faultBridge: BridgeID?
    /// The region it lands in.
    public var region: RegionID?
    /// IOTLB lookups that hit and that missed.
    public var hits: UInt16
    public var misses: UInt16
    /// Translation cost in cycles.
    public var cycles: UInt32
    /// Hazards on the way.
    public var hazards: Hazards

    /// A fresh piece.
    public init(iova: UInt64, length: UInt64) {
        self.iova = iova
        self.length = length
        address = iova
        fault = nil
        detail = FaultDetail()
        faultIOMMU = nil
        faultBridge = nil
        region = nil
        hits = 0
        misses = 0
        cycles = 0
        hazards = []
    }
}

/// What happened to an MSI.
public struct MSIResult: Sendable, Equatable {
    /// Delivered, or faulted.
    public var fault: Fault?
    /// Native-code details of the fault.
    public var detail: FaultDetail
    /// The IOMMU whose remapping table was consulted, if any.
    public var iommu: IOMMUID?
    /// The remapping table index used, if any.
    public var index: UInt32?
    /// Destination CPU when delivered.
    public var cpu: UInt32
    /// Destination vector when delivered.
    public var vector: UInt8
    /// The physical address a doorbell write reached, for messages sent as DMA writes.
    public var doorbell: UInt64? = nil
    /// The region it reached.
    public var doorbellRegion: RegionID? = nil
}

/// Why an operation step was refused (virtio-iommu-style errors).
public struct Refusal: Sendable, Equatable, CustomStringConvertible {
    /// Short kebab-case reason: `overlap`, `split`, `not-mapped`, `not-attached`, ...
    public var reason: String
    /// A sentence for the output.
    public var message: String
    public var description: String { message }
}

/// Per-IOMMU counters for the run summary.
public struct IOMMUStats: Sendable, Equatable {
    /// IOTLB lookups.
    public var lookups: UInt64 = 0
    /// Of which hits.
    public var hits: UInt64 = 0
    /// Total translation cycles.
    public var cycles: UInt64 = 0
    /// Page-table walks.
    public var walks: UInt64 = 0
}
