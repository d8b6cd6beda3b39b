import IotopoModel

/// One step of a device's precomputed route to memory.
struct PlanOp: Sendable {
    enum Kind: UInt8 { case windows, iommu }
    var kind: Kind
    /// Bridge (windows) or IOMMU index.
    var index: Int32
    /// Context slot at the IOMMU (the stream's entry in its stream table), or -1 when the
    /// stream matched no id-map entry.
    var slot: Int32
    /// The stream ID presented at the IOMMU.
    var streamID: UInt32
    /// The requester ID presented at the IOMMU, after aliasing (for source-ID checks).
    var rid: UInt16
}

/// Everything about a device's DMA that the topology fixes: its width, and the windows and
/// IOMMUs on its path with the stream ID it presents at each. Aliasing and id-maps are
/// resolved here once, so a DMA only follows array indices.
struct DevicePlan: Sendable {
    var dmaCapable: Bool
    var dmaLimit: UInt64
    var ops: [PlanOp]
    /// The first IOMMU on the path with interrupt remapping on, for MSIs.
    var remapIOMMU: Int32
    /// Slot of that IOMMU's op in `ops` (for the requester ID seen there).
    var remapRID: UInt16
    var hasRID: Bool
    /// The fast-path parameters when the path is one IOMMU and no windows.
    var fast: FastPath
}

/// What every DMA reads first, in one 24-byte record so that a DMA by a random device
/// costs one cache line here: the device's DMA limit and, when the path is one IOMMU and no
/// windows, that IOMMU, the context slot and the granule mask (an access inside one granule
/// page is one piece).
struct FastPath: Sendable {
    var dmaLimit: UInt64 = 0
    var iommu: Int32 = -1
    var slot: Int32 = -1
    var granuleMask: UInt64 = 0
}

/// Assigns context slots: one per (IOMMU, stream ID) that any device presents, so attach
/// and detach update one slot and every device sharing the stream sees the change, as
/// devices sharing a context entry do.
struct SlotTable {
    private(set) var keys: [UInt64: Int32] = [:]
    private(set) var iommuOf: [Int32] = []

    mutating func slot(iommu: IOMMUID, stream: UInt32) -> Int32 {
        let key = UInt64(UInt32(bitPattern: iommu.raw)) << 32 | UInt64(stream)
        if let s = keys[key] { return s }
        let s = Int32(iommuOf.count)
        keys[key] = s
        iommuOf.append(iommu.raw)
        return s
    }

    func existing(iommu: IOMMUID, stream: UInt32) -> Int32? {
        keys[UInt64(UInt32(bitPattern: iommu.raw)) << 32 | UInt64(stream)]
    }

    var count: Int { iommuOf.count }
}

extension DevicePlan {
    /// Builds the plans of every device. The stream a transaction carries at an IOMMU is the
    /// one from its effective requester ID (the last alias below that IOMMU) or its first
    /// listed stream ID (docs/semantics.md sections 1 and 3).
    static func build(_ m: SystemModel, _ topo: Topology, slots: inout SlotTable) -> [DevicePlan] {
        var plans: [DevicePlan] = []
        plans.reserveCapacity(m.devices.count)
        for d in m.devices.ids(Device.self) {
            let dev = m.devices[d]
            let path = topo.path(of: dev)
            var ops: [PlanOp] = []
            var remap: Int32 = -1
            var remapRID: UInt16 = 0
            for (i, step) in path.steps.enumerated() {
                switch step {
                case .cross: continue
                case let .windows(b):
                    if !m.bridges[b].windows.isEmpty { ops.append(PlanOp(kind: .windows, index: b.raw, slot: -1, streamID: 0, rid: 0)) }
                case let .iommu(u):
                    let rid = m.effectiveRID(of: d, path: path, at: i)?.rid
                    var sid: UInt32?
                    if let first = dev.streamIDs.first {
                        sid = first
                    } else if let rid {
                        sid = m.streamID(forRequester: UInt32(rid.raw), at: u, path: path)
                    }
                    let slot = sid.map { slots.slot(iommu: u, stream: $0) } ?? -1
                    ops.append(PlanOp(kind: .iommu, index: u.raw, slot: slot, streamID: sid ?? 0, rid: rid?.raw ?? 0))
                    if remap < 0, m.iommus[u].interruptRemapping {
                        remap = u.raw
                        remapRID = rid?.raw ?? 0
                    }
                }
            }
            var fast = FastPath(dmaLimit: dev.dmaLimit)
            if ops.count == 1, ops[0].kind == .iommu, ops[0].slot >= 0 {
                fast = FastPath(dmaLimit: dev.dmaLimit, iommu: ops[0].index, slot: ops[0].slot,
                                granuleMask: (UInt64(1) << UInt64(m.iommus[Int(ops[0].index)].granuleShift)) - 1)
            }
            plans.append(DevicePlan(dmaCapable: dev.dmaCapable, dmaLimit: dev.dmaLimit, ops: ops, remapIOMMU: remap,
                                    remapRID: remapRID, hasRID: dev.rid != nil, fast: fast))
        }
        return plans
    }
}
