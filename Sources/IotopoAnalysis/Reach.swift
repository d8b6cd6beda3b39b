import IotopoModel

/// What a DMA master can reach, statically: every address it can emit, taken through the
/// bridge windows and IOMMUs on its path with the topology's attachments and mappings, to
/// the memory regions it lands in. The flattened view is QEMU's `info mtree -f` for one
/// device: ranges of device addresses, what they reach, with which permissions.
public struct Reachability: Sendable {
    /// One thing a segment went through.
    public enum Hop: Hashable, Sendable {
        /// A bridge's DMA windows (dma-ranges, docs/semantics.md section 3).
        case window(BridgeID)
        /// An IOMMU whose domain for this stream is identity.
        case identity(IOMMUID, DomainID)
        /// An IOMMU that lets an unmatched stream through (`unmatched: bypass`).
        case bypass(IOMMUID)
        /// A mapping of a translated domain.
        case mapping(DomainID, Int)
    }

    /// A run of device addresses reaching one run of physical memory in one region.
    public struct Segment: Hashable, Sendable {
        /// Device addresses (IOVAs as the device emits them).
        public var address: AddressRange
        /// Physical addresses reached.
        public var phys: AddressRange
        public var region: RegionID
        public var perm: Permissions
        public var hops: [Hop]

        /// Whether a domain's mapping translated it (otherwise it reached memory untranslated:
        /// no IOMMU, an identity domain or a bypassed stream).
        public var isTranslated: Bool { hops.contains { if case .mapping = $0 { return true } else { return false } } }
    }

    /// Why some or all of a device's DMA reaches nothing.
    public struct Stop: Hashable, Sendable {
        public var iommu: IOMMUID?
        public var text: String
    }

    /// One device's view.
    public struct DeviceView: Sendable {
        public var device: DeviceID
        /// Segments in address order.
        public var segments: [Segment]
        /// Where DMA stops, if anywhere (a blocked domain, no context, an aborted stream).
        public var stops: [Stop]
        /// Whether some of its DMA reaches memory untranslated (no IOMMU, identity, bypass).
        public var untranslated: Bool
    }

    public var devices: [DeviceView]

    /// Computes the view of every DMA-capable device.
    public init(_ m: SystemModel, topology topo: Topology? = nil) {
        let topo = topo ?? Topology(m)
        let contexts = Self.contexts(m, topo)
        let regions = m.regionsByBase()
        devices = m.devices.ids(Device.self).filter { m.devices[$0].dmaCapable }.map {
            Self.view($0, m, topo, contexts, regions)
        }
    }

    /// The view of one device.
    public func view(of d: DeviceID) -> DeviceView? { devices.first { $0.device == d } }

    /// Which domain each (IOMMU, stream) has: the domain a device presenting that stream is
    /// attached to (devices sharing a stream share the context entry, as on the hardware).
    static func contexts(_ m: SystemModel, _ topo: Topology) -> [UInt64: DomainID] {
        var out: [UInt64: DomainID] = [:]
        for a in m.attachments {
            let io = m.domains[a.domain].iommu
            let path = topo.path(of: m.devices[a.device])
            guard let k = path.steps.firstIndex(of: .iommu(io)), let s = stream(a.device, m, path, k, io) else { continue }
            let key = UInt64(UInt32(bitPattern: io.raw)) << 32 | UInt64(s)
            if out[key] == nil { out[key] = a.domain }
        }
        return out
    }

    /// The stream a device's transactions carry at the IOMMU at step `k`: from its effective
    /// requester ID through the ID map, or its first listed stream ID (as the engine does).
    static func stream(_ d: DeviceID, _ m: SystemModel, _ path: DMAPath, _ k: Int, _ io: IOMMUID) -> UInt32? {
        let dev = m.devices[d]
        if let first = dev.streamIDs.first { return first }
        guard let rid = m.effectiveRID(of: d, path: path, at: k) else { return nil }
        return m.streamID(forRequester: UInt32(rid.rid.raw), at: io, path: path)
    }

    /// A segment on its way: device addresses and where they are now (linear in between).
    struct Flow {
        var address: AddressRange
        var at: AddressRange
        var perm: Permissions
        var hops: [Hop]

        /// The part of the flow whose current addresses fall in `r`, if any.
        func clipped(to r: AddressRange) -> Flow? {
            guard let i = at.intersection(r) else { return nil }
            let a = AddressRange(base: address.base &+ (i.base &- at.base), last: address.base &+ (i.last &- at.base))
            return Flow(address: a, at: i, perm: perm, hops: hops)
        }
    }

    static func view(_ d: DeviceID, _ m: SystemModel, _ topo: Topology, _ contexts: [UInt64: DomainID], _ regions: [RegionID]) -> DeviceView {
        let dev = m.devices[d]
        let path = topo.path(of: dev)
        let emitted = AddressRange(base: 0, last: dev.dmaLimit)
        var flows = [Flow(address: emitted, at: emitted, perm: .readWrite, hops: [])]
        var stops: [Stop] = []
        var untranslated = path.iommus.isEmpty
        for (k, step) in path.steps.enumerated() where !flows.isEmpty {
            switch step {
            case .cross:
                continue
            case let .windows(b):
                let windows = m.bridges[b].windows
                guard !windows.isEmpty else { continue }
                flows = flows.flatMap { f in
                    windows.compactMap { w -> Flow? in
                        guard var c = f.clipped(to: w.child) else { return nil }
                        c.at = AddressRange(base: w.translate(c.at.base), last: w.translate(c.at.last))
                        c.hops.append(.window(b))
                        return c
                    }
                }
            case let .iommu(io):
                let unit = m.iommus[io]
                guard let s = stream(d, m, path, k, io) else {
                    if unit.unmatched == .bypass {
                        untranslated = true
                        flows = flows.map { var f = $0; f.hops.append(.bypass(io)); return f }
                    } else {
                        stops.append(Stop(iommu: io, text: "no id-map entry of '\(unit.name)' matches its requester ID, and unmatched streams abort"))
                        flows = []
                    }
                    continue
                }
                guard let dom = contexts[UInt64(UInt32(bitPattern: io.raw)) << 32 | UInt64(s)] else {
                    stops.append(Stop(iommu: io, text: "stream \(hex(UInt64(s))) has no domain at '\(unit.name)' (bad-stream-id)"))
                    flows = []
                    continue
                }
                let domain = m.domains[dom]
                switch domain.type {
                case .blocked:
                    stops.append(Stop(iommu: io, text: "its domain '\(domain.name)' at '\(unit.name)' is blocked"))
                    flows = []
                case .identity:
                    untranslated = true
                    let out = AddressRange(base: 0, last: unit.outputBits >= 64 ? .max : (UInt64(1) << UInt64(unit.outputBits)) - 1)
                    flows = flows.compactMap { f in f.clipped(to: out).map { var c = $0; c.hops.append(.identity(io, dom)); return c } }
                case .translated:
                    flows = flows.flatMap { f in
                        domain.mappings.enumerated().compactMap { (i, mp) -> Flow? in
                            guard var c = f.clipped(to: mp.iova) else { return nil }
                            c.at = AddressRange(base: mp.phys &+ (c.at.base &- mp.iova.base), last: mp.phys &+ (c.at.last &- mp.iova.base))
                            c.perm = c.perm.intersection(mp.perm)
                            c.hops.append(.mapping(dom, i))
                            return c.perm.isEmpty ? nil : c
                        }
                    }
                }
            }
        }
        var segments: [Segment] = []
        for f in flows {
            for r in regions {
                guard let c = f.clipped(to: m.regions[r].range) else { continue }
                segments.append(Segment(address: c.address, phys: c.at, region: r, perm: c.perm, hops: c.hops))
            }
        }
        segments.sort { $0.address.base != $1.address.base ? $0.address.base < $1.address.base : $0.phys.base < $1.phys.base }
        return DeviceView(device: d, segments: segments, stops: stops, untranslated: untranslated)
    }

    /// Who can read and who can write each region: per device, the physical ranges.
    public struct Access: Sendable {
        public var device: DeviceID
        public var read: RangeSet
        public var write: RangeSet
    }

    /// Access to one region by every device that reaches it, in device order.
    public func access(to r: RegionID) -> [Access] {
        devices.compactMap { v in
            var read: [AddressRange] = [], write: [AddressRange] = []
            for s in v.segments where s.region == r {
                if s.perm.contains(.read) { read.append(s.phys) }
                if s.perm.contains(.write) { write.append(s.phys) }
            }
            return read.isEmpty && write.isEmpty ? nil : Access(device: v.device, read: RangeSet(read), write: RangeSet(write))
        }
    }
}
