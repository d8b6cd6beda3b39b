/// The architecture of an IOMMU, which decides its page-table format, defaults and the
/// native fault codes it reports.
public enum IOMMUKind: String, Sendable, CaseIterable {
    case intelVTd = "intel-vtd"
    case amdVi = "amd-vi"
    case armSMMUv3 = "arm-smmuv3"
    case armSMMU = "arm-smmu"
    case generic
}

/// Where an IOMMU intercepts DMA.
public enum Placement: Hashable, Sendable {
    /// On the upstream side of a bridge: it sees DMA crossing the bridge toward memory, with
    /// the bridge's requester-ID alias applied; the bridge's windows apply to its output.
    case bridge(BridgeID)
    /// At the top of a bus: it sees DMA leaving the bus toward memory, before the bus's
    /// upstream bridge.
    case bus(BusID)
}

/// One entry of an IOMMU's scope.
public enum IOMMUScopeEntry: Hashable, Sendable {
    /// The functions with these requester IDs (a DMAR endpoint scope; an IVHD select or range).
    case rids(RIDRange)
    /// The bridge and every function below it (a DMAR bridge scope: the PCI sub-hierarchy).
    case bridge(BridgeID)
    /// Every function on the bus and below it.
    case bus(BusID)
    /// A platform master (the device tree's `iommus` names its IOMMU).
    case device(DeviceID)
}

/// An IOMMU-side alias (an IVRS alias entry): requests of the functions in `range` arrive at
/// the IOMMU as `as` (the "source used" device ID). Linux programs the alias's device table
/// entry for them too (`clone_aliases`), and an alias on a function's own bus becomes a DMA
/// alias of it, which joins groups (`setup_aliases`: `pci_add_dma_alias`).
public struct IOMMUAlias: Hashable, Sendable {
    public var range: RIDRange
    public var as_: RequesterID
    public var origin: Origin

    public init(range: RIDRange, as alias: RequesterID, origin: Origin) {
        self.range = range
        self.as_ = alias
        self.origin = origin
    }
}

/// What an IOMMU does with a stream that no ID-map entry matches.
public enum UnmatchedPolicy: String, Sendable, CaseIterable {
    /// The transaction is aborted.
    case abort
    /// The transaction passes untranslated: the device reaches all of memory.
    case bypass
}

/// One `iommu-map` entry: `m = rid & mask`; `rid-base <= m < rid-base + length` gives
/// `m - rid-base + output-base` (docs/semantics.md section 3, drivers/of/base.c `of_map_id`).
public struct IDMapEntry: Hashable, Sendable {
    /// First input ID.
    public var ridBase: UInt32
    /// First output (stream) ID.
    public var outputBase: UInt32
    /// Number of IDs.
    public var length: UInt32
    /// Where it was declared.
    public var origin: Origin

    /// Creates an entry.
    public init(ridBase: UInt32, outputBase: UInt32, length: UInt32, origin: Origin) {
        self.ridBase = ridBase
        self.outputBase = outputBase
        self.length = length
        self.origin = origin
    }

    /// The output ID for a masked input ID, or nil when the entry does not match it.
    @inlinable public func map(_ masked: UInt32) -> UInt32? {
        guard masked >= ridBase, UInt64(masked) < UInt64(ridBase) + UInt64(length) else { return nil }
        return outputBase &+ (masked &- ridBase)
    }
}

/// IOTLB geometry and the cycle costs the runner charges.
public struct IOTLBGeometry: Hashable, Sendable {
    /// Number of sets.
    public var sets: UInt32
    /// Ways per set.
    public var ways: UInt32
    /// Cycles for a translation that hits.
    public var hitCycles: UInt32
    /// Cycles per page-table level read on a miss.
    public var walkCyclesPerLevel: UInt32

    /// Creates a geometry.
    public init(sets: UInt32, ways: UInt32, hitCycles: UInt32, walkCyclesPerLevel: UInt32) {
        self.sets = sets
        self.ways = ways
        self.hitCycles = hitCycles
        self.walkCyclesPerLevel = walkCyclesPerLevel
    }

    /// The defaults: 64 sets of 4 ways, 2 cycles a hit, 60 cycles a level.
    public static let `default` = IOTLBGeometry(sets: 64, ways: 4, hitCycles: 2, walkCyclesPerLevel: 60)
}

/// One interrupt-remapping table entry (VT-d IRTE, AMD-Vi IRTE): the MSI handle `index`
/// delivers `vector` to `cpu`, provided the request comes from `source`.
public struct RemapEntry: Hashable, Sendable {
    /// Index in the table (the MSI's interrupt handle).
    public var index: UInt32
    /// The device whose requester ID must match (source-id validation), if checked.
    public var source: DeviceID?
    /// Destination CPU.
    public var cpu: UInt32
    /// Destination vector.
    public var vector: UInt8
    /// Where it was declared.
    public var origin: Origin

    /// Creates an entry.
    public init(index: UInt32, source: DeviceID?, cpu: UInt32, vector: UInt8, origin: Origin) {
        self.index = index
        self.source = source
        self.cpu = cpu
        self.vector = vector
        self.origin = origin
    }
}

/// An IOMMU (DMA remapping unit).
public struct IOMMU: NamedEntity, Hashable {
    /// Unique name.
    public var name: String
    /// Architecture.
    public var kind: IOMMUKind
    /// Where it intercepts DMA.
    public var placement: Placement
    /// Input (IOVA) address bits.
    public var inputBits: UInt8
    /// Output (physical) address bits.
    public var outputBits: UInt8
    /// Translation granule, log2 bytes (12 for 4 KiB).
    public var granuleShift: UInt8
    /// Supported page sizes as a bit set: bit n set when 2^n bytes is a supported page size.
    public var pageSizes: UInt64
    /// IOTLB geometry and costs.
    public var iotlb: IOTLBGeometry
    /// Interrupt remapping on or off.
    public var interruptRemapping: Bool
    /// The remapping table, when interrupt remapping is on.
    public var remapTable: [RemapEntry]
    /// Width of stream IDs (source IDs) in bits.
    public var streamIDBits: UInt8
    /// `iommu-map` entries; empty means requester IDs pass through unchanged.
    public var idMap: [IDMapEntry]
    /// `iommu-map-mask`.
    public var idMapMask: UInt32
    /// What an unmatched stream does.
    public var unmatched: UnmatchedPolicy
    /// The PCI functions it manages (a DMAR unit's device scope, an IVHD's device entries);
    /// nil: every function below it. A function outside gets no IOMMU from it (another unit on
    /// its path may manage it), and with none, no group.
    public var scope: [IOMMUScopeEntry]?
    /// A catch-all (DMAR INCLUDE_PCI_ALL): it manages every PCI function on its paths that no
    /// IOMMU with a `scope` on the same path manages.
    public var includeAll = false
    /// Requester IDs it sees under another ID (IVRS alias select and alias range entries): the
    /// functions in `range` reach it as `as`.
    public var aliasRanges: [IOMMUAlias] = []
    /// Places it intercepts DMA besides `placement` (an INCLUDE_PCI_ALL unit serves every root
    /// bus of its segment).
    public var alsoAt: [Placement] = []
    /// Where it was declared.
    public var origin: Origin

    /// Creates an IOMMU.
    public init(name: String, kind: IOMMUKind, placement: Placement, inputBits: UInt8, outputBits: UInt8,
                granuleShift: UInt8, pageSizes: UInt64, iotlb: IOTLBGeometry, interruptRemapping: Bool,
                remapTable: [RemapEntry], streamIDBits: UInt8, idMap: [IDMapEntry], idMapMask: UInt32,
                unmatched: UnmatchedPolicy, origin: Origin) {
        self.name = name
        self.kind = kind
        self.placement = placement
        self.inputBits = inputBits
        self.outputBits = outputBits
        self.granuleShift = granuleShift
        self.pageSizes = pageSizes
        self.iotlb = iotlb
        self.interruptRemapping = interruptRemapping
        self.remapTable = remapTable
        self.streamIDBits = streamIDBits
        self.idMap = idMap
        self.idMapMask = idMapMask
        self.unmatched = unmatched
        self.origin = origin
    }

    /// Every place it intercepts DMA.
    public var placements: [Placement] { [placement] + alsoAt }

    /// The page-table shape derived from the input width and granule.
    public var geometry: PageTableGeometry {
        PageTableGeometry(kind: kind, granuleShift: granuleShift, inputBits: inputBits)
    }

    /// Whether `size` is one of its page sizes.
    @inlinable public func supportsPageSize(_ size: UInt64) -> Bool {
        size.nonzeroBitCount == 1 && pageSizes & size != 0
    }

    /// Supported page sizes in bytes, ascending.
    public var pageSizeList: [UInt64] {
        (0 ..< 64).filter { pageSizes & (1 << UInt64($0)) != 0 }.map { UInt64(1) << UInt64($0) }
    }

    /// Applies the ID map to a requester ID (`of_map_id`); nil when no entry matches.
    /// Without a map, IDs pass through unchanged, as Linux does for a missing `iommu-map`.
    public func streamID(forRequester rid: UInt32) -> UInt32? {
        if idMap.isEmpty { return rid }
        let m = rid & idMapMask
        for e in idMap {
            if let out = e.map(m) { return out }
        }
        return nil
    }
}
