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
///
/// Stored as plain integers (IDs with -1 for none, the fault as its raw value plus one) so a
/// piece is 64 bytes, one cache line, that move without a call; the typed properties read
/// and write them. The counters are 64 bits wide: one piece may be a run of four billion
/// pages (a DMA over 16 TiB in 4 KiB pages), each a lookup with its cycles.
public struct Segment: Sendable, Equatable {
    /// First device address (IOVA) of the piece.
    public var iova: UInt64
    /// Length in bytes.
    public var length: UInt64
    /// The address at the current point of the path; the physical address once done.
    public var address: UInt64
    /// Translation cost in cycles.
    public var cycles: UInt64
    private var faultIOMMURaw: Int32 = -1
    private var faultBridgeRaw: Int32 = -1
    private var regionRaw: Int32 = -1
    /// IOTLB lookups that hit and that missed.
    public var hits: UInt64
    public var misses: UInt64
    private var faultRaw: UInt8 = 0
    /// Hazards on the way.
    public var hazards: Hazards
    private var detailFlags: UInt8 = 0
    private var remapReason: UInt8 = 0

    /// A fresh piece.
    @inline(__always) public init(iova: UInt64, length: UInt64) {
        self.iova = iova
        self.length = length
        address = iova
        cycles = 0
        hits = 0
        misses = 0
        hazards = []
    }

    /// The fault, if the piece faulted.
    public var fault: Fault? {
        @inline(__always) get { faultRaw == 0 ? nil : Fault(rawValue: faultRaw &- 1) }
        @inline(__always) set { faultRaw = newValue.map { $0.rawValue &+ 1 } ?? 0 }
    }

    /// Native-code details of the fault.
    public var detail: FaultDetail {
        get { FaultDetail(inputRange: detailFlags & 1 != 0, remapReason: remapReason, write: detailFlags & 2 != 0, unmatched: detailFlags & 4 != 0) }
        set {
            detailFlags = (newValue.inputRange ? 1 : 0) | (newValue.write ? 2 : 0) | (newValue.unmatched ? 4 : 0)
            remapReason = newValue.remapReason
        }
    }

    /// Whether the access was a write (kept for the fault's native code).
    public var isWrite: Bool {
        @inline(__always) get { detailFlags & 2 != 0 }
        @inline(__always) set { detailFlags = newValue ? detailFlags | 2 : detailFlags & ~2 }
    }

    /// Whether an address-size fault concerned the input range.
    public var inputRange: Bool {
        @inline(__always) get { detailFlags & 1 != 0 }
        @inline(__always) set { detailFlags = newValue ? detailFlags | 1 : detailFlags & ~1 }
    }

    /// Whether a bad-stream-id fault came from an ID no ID-map entry matched.
    public var unmatchedID: Bool {
        @inline(__always) get { detailFlags & 4 != 0 }
        @inline(__always) set { detailFlags = newValue ? detailFlags | 4 : detailFlags & ~4 }
    }

    /// The IOMMU that faulted it, if any.
    public var faultIOMMU: IOMMUID? {
        @inline(__always) get { faultIOMMURaw < 0 ? nil : IOMMUID(faultIOMMURaw) }
        @inline(__always) set { faultIOMMURaw = newValue?.raw ?? -1 }
    }

    /// The bridge whose windows rejected it, if any.
    public var faultBridge: BridgeID? {
        @inline(__always) get { faultBridgeRaw < 0 ? nil : BridgeID(faultBridgeRaw) }
        @inline(__always) set { faultBridgeRaw = newValue?.raw ?? -1 }
    }

    /// The region it lands in.
    public var region: RegionID? {
        @inline(__always) get { regionRaw < 0 ? nil : RegionID(regionRaw) }
        @inline(__always) set { regionRaw = newValue?.raw ?? -1 }
    }

    /// Whether it faulted (cheaper than reading `fault`).
    public var faulted: Bool { @inline(__always) get { faultRaw != 0 } }

    /// Whether `b` continues this piece's physical run: both reached memory so far, with
    /// the same hazards, contiguous on the device side and in physical memory.
    @inline(__always) func continuesRun(with b: Segment) -> Bool {
        faultRaw == 0 && b.faultRaw == 0 && hazards == b.hazards && iova &+ length == b.iova && address &+ length == b.address
    }

    /// Takes `b`, the piece that follows, into this one: its bytes and its costs.
    @inline(__always) mutating func absorb(_ b: Segment) {
        length &+= b.length
        hits &+= b.hits
        misses &+= b.misses
        cycles &+= b.cycles
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
