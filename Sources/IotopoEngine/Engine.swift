import IotopoModel
import IotopoSource

/// The IOMMU parameters translation reads, as plain integers.
struct UnitParams: Sendable {
    var inputBits: UInt64
    var outputBits: UInt64
    var hitCycles: UInt32
    var walkCycles: UInt32
}

/// Runs DMA, MSI and IOMMU operations against a compiled model.
///
/// The model is immutable; everything a workload changes lives here in flat arrays indexed
/// by typed IDs: context slots (stream table entries) pointing at domains, each domain's
/// sorted mappings and page tables, each IOMMU's IOTLB and remapping table. Nothing on the
/// DMA path allocates once its scratch buffers have grown to the largest access seen.
///
/// An engine cannot be copied (`~Copyable`): its IOTLBs are raw buffers it owns, and a copy
/// would share them rather than fork the simulation. Make a new engine instead.
public struct Engine: ~Copyable {
    /// The platform.
    public let model: SystemModel
    /// Its derived links.
    public let topology: Topology
    var plans: [DevicePlan]
    var slots: SlotTable
    /// Domain index per context slot, -1 for no context.
    var slotDomain: [Int32]
    /// Per domain, the context slots pointing at it (`isUsed`).
    var slotUsers: [Int]
    /// For each device, every slot it owns at each IOMMU on its path (all its stream IDs).
    var deviceSlots: [[(iommu: IOMMUID, slots: [Int32])]]
    var domains: [DomainState]
    /// What every DMA reads about its domain, in one 20-byte record (one cache line, not
    /// three arrays): its type, unmap epoch, root table and share of its pool.
    var hot: [DomainHot]
    /// Per device, what the DMA fast path needs (see `FastPath`).
    let fastPaths: [FastPath]
    /// Regions sorted by base, as plain integers, for the memory step.
    let regionBase: [UInt64]
    let regionLast: [UInt64]
    let regionID: [Int32]
    /// Index (in the sorted arrays) of the region the last access landed in.
    var lastRegion = 0
    /// Hazards of the last DMA's pieces, and how many pieces it had (the summary reads these
    /// without touching `segments`).
    public internal(set) var lastHazards: Hazards = []
    public internal(set) var lastPieceCount = 0
    var pools: [TablePool]
    var tlbs: [IOTLB]
    var remapTables: [[UInt32: RemapEntry]]
    let regionsByBase: [RegionID]
    /// What translation reads of each IOMMU, flat (no arrays or strings to copy).
    let units: [UnitParams]
    var segments: [Segment] = []
    /// The pipeline's cursors, one per stage a piece is in (see `runPipeline`).
    var cursors: [PieceCursor] = []
    /// Whether runs of pages are folded (`extendByPageRun`); tests turn it off to hold the
    /// folded result against the page-by-page one.
    var foldsPageRuns = true

    /// Prepares a model for running: contexts from its attachments, tables from its mappings.
    public init(model m: SystemModel) {
        model = m
        topology = Topology(m)
        var slots = SlotTable()
        plans = DevicePlan.build(m, topology, slots: &slots)
        var owned: [[(iommu: IOMMUID, slots: [Int32])]] = []
        owned.reserveCapacity(m.devices.count)
        for d in m.devices.ids(Device.self) {
            let path = topology.path(of: m.devices[d])
            var list: [(iommu: IOMMUID, slots: [Int32])] = []
            for (i, step) in path.steps.enumerated() {
                guard case let .iommu(u) = step else { continue }
                let ids = m.streamIDs(of: d, path: path, at: i).ids
                list.append((u, ids.map { slots.slot(iommu: u, stream: $0) }))
            }
            owned.append(list)
        }
        self.slots = slots
        deviceSlots = owned
        slotDomain = [Int32](repeating: -1, count: slots.count)
        slotUsers = [Int](repeating: 0, count: m.domains.count)
        domains = m.domains.map { DomainState(iommu: $0.iommu, mappings: MappingList(sorted: $0.mappings.sorted { $0.iova < $1.iova })) }
        hot = m.domains.map { DomainHot(tables: DomainTables(), epoch: 0, type: $0.type) }
        fastPaths = plans.map(\.fast)
        pools = m.iommus.map { TablePool(geometry: $0.geometry) }
        tlbs = m.iommus.map { IOTLB(geometry: $0.iotlb) }
        remapTables = m.iommus.map { u in
            var t: [UInt32: RemapEntry] = [:]
            for e in u.remapTable where t[e.index] == nil { t[e.index] = e }
            return t
        }
        regionsByBase = m.regionsByBase()
        regionBase = regionsByBase.map { m.regions[$0].range.base }
        regionLast = regionsByBase.map { m.regions[$0].range.last }
        regionID = regionsByBase.map(\.raw)
        units = m.iommus.map { UnitParams(inputBits: UInt64($0.inputBits), outputBits: UInt64($0.outputBits),
                                          hitCycles: $0.iotlb.hitCycles, walkCycles: $0.iotlb.walkCyclesPerLevel) }
        for a in m.attachments { setContext(device: a.device, iommu: m.domains[a.domain].iommu, domain: a.domain.raw) }
    }

    mutating func setContext(device d: DeviceID, iommu u: IOMMUID, domain: Int32) {
        for entry in deviceSlots[d.index] where entry.iommu == u {
            for s in entry.slots {
                let old = slotDomain[Int(s)]
                if old >= 0 { slotUsers[Int(old)] -= 1 }
                if domain >= 0 { slotUsers[Int(domain)] += 1 }
                slotDomain[Int(s)] = domain
            }
        }
    }

    /// The domain a device's DMA uses at an IOMMU now, if any.
    public func domain(of d: DeviceID, at u: IOMMUID) -> DomainID? {
        for op in plans[d.index].ops where op.kind == .iommu && op.index == u.raw && op.slot >= 0 {
            let dom = slotDomain[Int(op.slot)]
            return dom >= 0 ? DomainID(dom) : nil
        }
        return nil
    }

    // MARK: Operations (virtio-iommu semantics, docs/semantics.md section 8)

    /// Maps an IOVA range. Refused, as virtio-iommu refuses it, when the domain has no
    /// device (no endpoint attached: VIRTIO_IOMMU_S_NOENT), is not translated, or the range
    /// overlaps an existing mapping (VIRTIO_IOMMU_S_INVAL); and when the page size, the
    /// alignment or the IOVA width does not fit the IOMMU.
    public mutating func map(domain d: DomainID, iova: AddressRange, phys: UInt64, perm: Permissions, pageSize: UInt64?, origin: Origin) -> Refusal? {
        let u = model.iommus[domains[d.index].iommu]
        let page = pageSize ?? (UInt64(1) << UInt64(u.granuleShift))
        guard isUsed(d) else {
            return Refusal(reason: "not-attached", message: "no device uses domain '\(model.domains[d].name)' (virtio-iommu: VIRTIO_IOMMU_S_NOENT)")
        }
        guard hot[d.index].type == .translated else {
            return Refusal(reason: "not-translated", message: "domain '\(model.domains[d].name)' is \(hot[d.index].type.rawValue) and has no page table")
        }
        guard u.supportsPageSize(page) else {
            return Refusal(reason: "page-size", message: "IOMMU '\(u.name)' has no \(sizeText(page)) pages")
        }
        let mask = page - 1
        guard iova.base & mask == 0, phys & mask == 0, iova.size & mask == 0 else {
            return Refusal(reason: "misaligned", message: "iova, phys and size must be multiples of the \(sizeText(page)) page size")
        }
        guard u.inputBits >= 64 || iova.last >> UInt64(u.inputBits) == 0 else {
            return Refusal(reason: "iova-range", message: "iova range passes the \(u.inputBits)-bit input width of '\(u.name)'")
        }
        guard phys <= UInt64.max - (iova.last - iova.base) else {
            return Refusal(reason: "phys-range", message: "physical range passes 2^64")
        }
        // The output width bounds what a page-table entry can hold: io-pgtable refuses such a
        // map with -ERANGE (io-pgtable-arm.c arm_lpae_map_pages, `paddr >> cfg->oas`), as the
        // compiler refuses such a mapping (mapping-phys-too-wide).
        let physLast = phys &+ (iova.last - iova.base)
        guard u.outputBits >= 64 || physLast >> UInt64(u.outputBits) == 0 else {
            return Refusal(reason: "phys-range", message: "physical range \(hex(phys))-\(hex(physLast)) passes the \(u.outputBits)-bit output width of '\(u.name)' (io-pgtable: -ERANGE)")
        }
        // In place: a copy of the domain's state (`var state = domains[i]`, then written
        // back) copied its mapping array on every map, quadratic in the number of maps.
        let i = domains[d.index].firstMapping(endingAtOrAfter: iova.base)
        if i < domains[d.index].mappings.endIndex, domains[d.index].mappings[i].iova.overlaps(iova) {
            let other = domains[d.index].mappings[i].iova
            return Refusal(reason: "overlap", message: "overlaps the mapping at \(hex(other.base))-\(hex(other.last)) (virtio-iommu: VIRTIO_IOMMU_S_INVAL)")
        }
        // A first-stage table holds a write-only request as read-write (TranslationStage.holds).
        let held = model.domains[d].stage.holds(perm)
        var mapping = Mapping(iova: iova, phys: phys, perm: held, pageSize: page, region: nil, origin: origin)
        if held != perm { mapping.requested = perm }
        domains[d.index].mappings.insert(mapping, at: i)
        dropTables(d)
        return nil
    }

    /// Unmaps every mapping inside an IOVA range. Refused when it would split a mapping
    /// (VIRTIO_IOMMU_S_RANGE), as virtio-iommu does. The IOTLB is not touched: entries for the
    /// range stay until an `invalidate`, as on real hardware.
    public mutating func unmap(domain d: DomainID, iova: AddressRange) -> (refusal: Refusal?, removed: Int) {
        let i = domains[d.index].firstMapping(endingAtOrAfter: iova.base)
        let end = domains[d.index].mappings.endIndex
        var j = i, removed = 0
        while j < end && domains[d.index].mappings[j].iova.base <= iova.last {
            let m = domains[d.index].mappings[j].iova
            if !iova.contains(m) {
                return (Refusal(reason: "split", message: "would split the mapping at \(hex(m.base))-\(hex(m.last)) (virtio-iommu: VIRTIO_IOMMU_S_RANGE)"), 0)
            }
            j = domains[d.index].mappings.index(after: j)
            removed += 1
        }
        if removed > 0 {
            domains[d.index].mappings.remove(from: i, count: removed)
            hot[d.index].epoch &+= 1
            dropTables(d)
        }
        return (nil, removed)
    }

    /// Attaches a device to a domain, replacing its context at the domain's IOMMU.
    public mutating func attach(device d: DeviceID, domain dom: DomainID) -> Refusal? {
        let u = model.domains[dom].iommu
        guard deviceSlots[d.index].contains(where: { $0.iommu == u && !$0.slots.isEmpty }) else {
            return Refusal(reason: "not-on-path", message: "IOMMU '\(model.iommus[u].name)' is not on the path of device '\(model.devices[d].name)'")
        }
        setContext(device: d, iommu: u, domain: dom.raw)
        return nil
    }

    /// Detaches a device from a domain. Refused when the device is not attached to that
    /// domain (virtio-iommu: VIRTIO_IOMMU_S_INVAL).
    public mutating func detach(device d: DeviceID, domain dom: DomainID) -> Refusal? {
        let u = model.domains[dom].iommu
        guard domain(of: d, at: u) == dom else {
            return Refusal(reason: "not-attached", message: "device '\(model.devices[d].name)' is not attached to domain '\(model.domains[dom].name)' (virtio-iommu: VIRTIO_IOMMU_S_INVAL)")
        }
        setContext(device: d, iommu: u, domain: -1)
        return nil
    }

    /// Switches a domain to translated, identity or blocked; its mappings are kept.
    public mutating func setType(domain d: DomainID, type: DomainType) {
        hot[d.index].type = type
    }

    /// Invalidates IOTLB entries.
    public mutating func invalidate(iommu u: IOMMUID, scope: InvalidationScope) {
        switch scope {
        case .all: tlbs[u.index].invalidateAll()
        case let .domain(d): tlbs[u.index].invalidate(domain: d.raw)
        case let .range(d, r): tlbs[u.index].invalidate(domain: d.raw, range: r)
        }
    }

    /// Writes an interrupt-remapping entry.
    public mutating func remap(iommu u: IOMMUID, entry: RemapEntry) {
        remapTables[u.index][entry.index] = entry
    }

    /// Clears an interrupt-remapping entry.
    public mutating func unremap(iommu u: IOMMUID, index: UInt32) {
        remapTables[u.index][index] = nil
    }

    /// Drops a domain's page tables after its mappings changed; they are rebuilt on demand.
    mutating func dropTables(_ d: DomainID) {
        let u = domains[d.index].iommu
        let t = hot[d.index].tables
        hot[d.index].tables = DomainTables()
        if pools[u.index].drop(words: Int(t.words), tables: Int(t.tables)) {
            for i in domains.indices where domains[i].iommu == u { hot[i].tables = DomainTables() }
        }
    }

    /// Walks a domain's tables (building what it needs).
    @inline(__always)
    mutating func walk(_ u: Int, _ dom: Int32, _ iova: UInt64, trace: ((Int, Int, UInt64) -> Void)? = nil) -> WalkResult {
        // Nearly every walk after warm-up finds its tables built: that path reads the pool
        // only, without retaining the domain's mappings or taking the pool for writing.
        if trace == nil, let r = pools[u].walkBuilt(root: hot[Int(dom)].tables.root, iova: iova) { return r }
        return pools[u].walk(domains[Int(dom)].mappings, &hot[Int(dom)].tables, iova: iova, trace: trace)
    }

    /// Whether any device's context points at a domain.
    /// Whether any device's context points at a domain. A count kept by `setContext`: a
    /// scan of every context slot made each map step cost the number of devices.
    func isUsed(_ d: DomainID) -> Bool { slotUsers[d.index] > 0 }

    /// Current mappings of a domain (sorted by IOVA).
    public func mappings(of d: DomainID) -> [Mapping] { domains[d.index].mappings.all }

    /// Current type of a domain.
    public func type(of d: DomainID) -> DomainType { hot[d.index].type }

    /// The region containing `a`: the last region hit first, then a binary search.
    @inline(__always) mutating func regionIndex(containing a: UInt64) -> Int? {
        let n = regionBase.count
        if lastRegion < n && regionBase[lastRegion] <= a && a <= regionLast[lastRegion] { return lastRegion }
        var lo = 0, hi = n
        while lo < hi {
            let mid = (lo + hi) >> 1
            if regionBase[mid] <= a { lo = mid + 1 } else { hi = mid }
        }
        guard lo > 0, a <= regionLast[lo - 1] else { return nil }
        lastRegion = lo - 1
        return lo - 1
    }

    /// The base of the first region starting above `a`, if any.
    func nextRegionBase(after a: UInt64) -> UInt64? {
        var lo = 0, hi = regionBase.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if regionBase[mid] <= a { lo = mid + 1 } else { hi = mid }
        }
        return lo < regionBase.count ? regionBase[lo] : nil
    }

    /// Per-IOMMU counters.
    public var stats: [IOMMUStats] { tlbs.map(\.stats) }

    deinit {
        for t in tlbs { t.free() }
        for p in pools { p.free() }
    }

    /// Valid IOTLB entries of an IOMMU.
    public func iotlbOccupancy(_ u: IOMMUID) -> Int { tlbs[u.index].occupancy }

    /// Page tables built so far at an IOMMU.
    public func tableCount(_ u: IOMMUID) -> Int { pools[u.index].liveTables }
}
