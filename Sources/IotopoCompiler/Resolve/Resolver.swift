import IotopoModel
import IotopoSource

/// Turns the declarations of every file into one `SystemModel`.
///
/// Entities are built kind by kind in declaration order (buses, bridges, IOMMUs, devices,
/// memory, domains, attachments), so IDs are stable. An entity whose declaration was
/// incomplete, or whose references do not resolve, is left out and its name poisoned.
struct Resolver {
    var names = NameTable()
    var sink = DiagnosticSink()
    var model: SystemModel

    init(sources: [String], platform: Platform) {
        model = SystemModel(sources: sources, platform: platform)
    }

    mutating func resolve(_ files: [FileDecl]) {
        let regions = files.flatMap(\.regions), buses = files.flatMap(\.buses), bridges = files.flatMap(\.bridges)
        let iommus = files.flatMap(\.iommus), devices = files.flatMap(\.devices), domains = files.flatMap(\.domains)
        var items: [(name: Ref, kind: EntityKind, origin: Origin, usable: Bool)] = []
        items += regions.map { ($0.name, .region, $0.origin, $0.range != nil && $0.kind != nil) }
        items += buses.map { ($0.name, .bus, $0.origin, $0.kind != nil && !($0.kind?.isPCI == true && $0.number == nil)) }
        items += bridges.map { ($0.name, .bridge, $0.origin, $0.complete) }
        items += iommus.map { ($0.name, .iommu, $0.origin, $0.complete) }
        items += devices.map { ($0.name, .device, $0.origin, $0.complete) }
        items += domains.map { ($0.name, .domain, $0.origin, $0.complete) }
        var keep = names.declare(items)[...]
        let keepRegions = keep.prefix(regions.count); keep = keep.dropFirst(regions.count)
        let keepBuses = keep.prefix(buses.count); keep = keep.dropFirst(buses.count)
        let keepBridges = keep.prefix(bridges.count); keep = keep.dropFirst(bridges.count)
        let keepIOMMUs = keep.prefix(iommus.count); keep = keep.dropFirst(iommus.count)
        let keepDevices = keep.prefix(devices.count); keep = keep.dropFirst(devices.count)
        let keepDomains = keep.prefix(domains.count)

        for (d, k) in zip(buses, keepBuses) where k { addBus(d) }
        for (d, k) in zip(bridges, keepBridges) where k { addBridge(d) }
        for (d, k) in zip(iommus, keepIOMMUs) where k { addIOMMU(d) }
        resolveHostIDMaps(zip(bridges, keepBridges).filter { $0.1 }.map { $0.0 })
        for (d, k) in zip(devices, keepDevices) where k { addDevice(d) }
        resolveDeviceScopes(zip(iommus, keepIOMMUs).filter { $0.1 }.map { $0.0 })
        for (d, k) in zip(regions, keepRegions) where k { addRegion(d) }
        for (d, k) in zip(domains, keepDomains) where k { addDomain(d) }
        resolveRemapSources(zip(iommus, keepIOMMUs).filter { $0.1 }.map { $0.0 })
        for a in files.flatMap(\.attachments) { addAttachment(a) }
        for p in files.flatMap(\.policies) { addPolicy(p) }
        for v in files.flatMap(\.vms) { addVM(v) }
        for (vf, pf) in physfns {
            if let r = names.resolve(pf, as: [.device], what: "physfn") { model.devices[Int(vf.raw)].physfn = DeviceID(r.id) }
        }
        addObservedGroups(files.flatMap(\.observedGroups))
        sink.absorb(names.sink)
    }

    private mutating func kept(_ name: String, usable: Bool) -> Bool {
        if !usable { names.poison(name) }
        return usable
    }

    mutating func addBus(_ d: BusDecl) {
        guard let kind = d.kind, kept(d.name.name, usable: !(kind.isPCI && d.number == nil)) else { return }
        names.bind(d.name.name, id: model.buses.count)
        model.buses.append(Bus(name: d.name.name, kind: kind, segment: d.segment, number: kind.isPCI ? d.number : nil, origin: d.origin))
    }

    /// Host bridges' ID maps name IOMMUs, which are added after the bridges.
    mutating func resolveHostIDMaps(_ decls: [BridgeDecl]) {
        for d in decls where !d.idMap.isEmpty {
            guard let r = model.bridges.firstIndex(where: { $0.name == d.name.name }) else { continue }
            var map: [HostIDMapEntry] = []
            for e in d.idMap {
                guard let io = names.resolve(e.iommu, as: [.iommu], what: "id-map iommu") else { continue }
                map.append(HostIDMapEntry(ridBase: e.ridBase, iommu: IOMMUID(io.id), outputBase: e.outputBase, length: e.length, origin: e.origin))
            }
            model.bridges[r].idMap = map
            model.bridges[r].idMapMask = d.idMapMask
        }
    }

    mutating func addBridge(_ d: BridgeDecl) {
        let up = d.upstream.flatMap { names.resolve($0, as: [.bus], what: "upstream") }
        let down = d.downstream.flatMap { names.resolve($0, as: [.bus], what: "downstream") }
        guard d.complete, let kind = d.kind, let up, let down, let windows = d.windows else { names.poison(d.name.name); return }
        names.bind(d.name.name, id: model.bridges.count)
        model.bridges.append(Bridge(name: d.name.name, kind: kind, upstream: BusID(up.id), downstream: BusID(down.id), windows: windows,
                                    acs: d.acs, rid: d.rid?.rid, multifunction: d.multifunction, translationRoot: d.translationRoot,
                                    pcieAlias: d.pcieAlias, origin: d.origin))
        model.bridges[model.bridges.count - 1].pci = d.pci?.identity
        model.bridges[model.bridges.count - 1].msiMap = d.msiMap
        model.bridges[model.bridges.count - 1].msiMapMask = d.msiMapMask
        bridgeRIDs.append(d.rid)
    }

    /// Requester IDs as written (with any segment prefix), parallel to the model's bridges
    /// and devices, for the segment check.
    var bridgeRIDs: [RIDDecl?] = []
    /// VFs and the names of their PFs, resolved once every device is known.
    var physfns: [(DeviceID, Ref)] = []
    var deviceRIDs: [RIDDecl?] = []

    mutating func addIOMMU(_ d: IOMMUDecl) {
        let at = d.at.flatMap { names.resolve($0, as: [.bridge, .bus], what: "'at'") }
        guard d.complete, let kind = d.kind, let at else { names.poison(d.name.name); return }
        let placement: Placement = at.kind == .bridge ? .bridge(BridgeID(at.id)) : .bus(BusID(at.id))
        names.bind(d.name.name, id: model.iommus.count)
        model.iommus.append(IOMMU(name: d.name.name, kind: kind, placement: placement, inputBits: d.inputBits, outputBits: d.outputBits,
                                  granuleShift: d.granuleShift, pageSizes: d.pageSizes, iotlb: d.iotlb,
                                  interruptRemapping: d.interruptRemapping, remapTable: [], streamIDBits: d.streamIDBits,
                                  idMap: d.idMap, idMapMask: d.idMapMask, unmatched: d.unmatched, origin: d.origin))
        var also: [Placement] = []
        for r in d.alsoAt {
            guard let x = names.resolve(r, as: [.bridge, .bus], what: "'at'") else { continue }
            also.append(x.kind == .bridge ? .bridge(BridgeID(x.id)) : .bus(BusID(x.id)))
        }
        model.iommus[model.iommus.count - 1].alsoAt = also
        model.iommus[model.iommus.count - 1].includeAll = d.includeAll
        model.iommus[model.iommus.count - 1].aliasRanges = d.aliasRanges
        if let s = d.scope {
            model.iommus[model.iommus.count - 1].scope = s.compactMap { e -> IOMMUScopeEntry? in
                switch e {
                case let .rids(r): return .rids(r)
                case let .bridge(ref): return names.resolve(ref, as: [.bridge], what: "scope bridge").map { .bridge(BridgeID($0.id)) }
                case let .bus(ref): return names.resolve(ref, as: [.bus], what: "scope bus").map { .bus(BusID($0.id)) }
                case .device: return nil   // resolved once devices are added
                }
            }
        }
    }

    /// IOMMU scope entries naming platform masters, resolved after the devices.
    mutating func resolveDeviceScopes(_ decls: [IOMMUDecl]) {
        for d in decls {
            guard let scope = d.scope, scope.contains(where: { if case .device = $0 { return true } else { return false } }),
                  let k = model.iommus.firstIndex(where: { $0.name == d.name.name }) else { continue }
            for e in scope {
                guard case let .device(ref) = e, let r = names.resolve(ref, as: [.device], what: "scope device") else { continue }
                model.iommus[k].scope?.append(.device(DeviceID(r.id)))
            }
        }
    }

    mutating func addDevice(_ d: DeviceDecl) {
        let bus = d.bus.flatMap { names.resolve($0, as: [.bus], what: "bus") }
        guard d.complete, let bus else { names.poison(d.name.name); return }
        let b = model.buses[bus.id]
        var ok = true
        if b.kind.isPCI {
            if d.rid == nil {
                sink.error(CheckID.missingKey, "device '\(d.name.name)' sits on PCI bus '\(b.name)' and needs 'rid' (its requester ID)", at: d.origin.range)
                ok = false
            }
            if let r = d.streamIDsRange {
                sink.error(CheckID.invalidValue, "'stream-ids' is for platform devices; a PCI function's stream ID comes from its requester ID through the IOMMU's id-map", at: r)
                ok = false
            }
        } else if let r = d.rid {
            sink.error(CheckID.badRequesterID, "device '\(d.name.name)' sits on \(b.kind.rawValue) bus '\(b.name)', which has no requester IDs; use 'stream-ids'", at: r.range)
            ok = false
        }
        guard kept(d.name.name, usable: ok) else { return }
        names.bind(d.name.name, id: model.devices.count)
        model.devices.append(Device(name: d.name.name, kind: d.kind, bus: BusID(bus.id), rid: d.rid?.rid, streamIDs: d.streamIDs,
                                    multifunction: d.multifunction, acs: d.acs, dmaCapable: d.dmaCapable, dmaBits: d.dmaBits,
                                    msi: d.msi, aliases: d.aliases, reserved: d.reserved, origin: d.origin))
        let id = model.devices.count - 1
        model.devices[id].pci = d.pci?.identity
        model.devices[id].portType = d.portType
        model.devices[id].defaultDomain = d.defaultDomain
        model.devices[id].streamMasks = d.streamMasks
        // A whole requester ID on the device's own bus is a same-bus alias after all.
        for r in d.busAliases {
            if let own = d.rid?.rid, r.bus == own.bus {
                if !model.devices[id].aliases.contains(UInt8(r.raw & 0xFF)) { model.devices[id].aliases.append(UInt8(r.raw & 0xFF)) }
            } else if !model.devices[id].busAliases.contains(r) {
                model.devices[id].busAliases.append(r)
            }
        }
        if !d.busAliases.isEmpty, d.rid == nil {
            sink.error(CheckID.badRequesterID, "device '\(d.name.name)' has no requester ID, so no requester-ID aliases", at: d.origin.range)
        }
        model.devices[id].pcieEndpoint = d.pcieEndpoint
        if d.pcieEndpoint, b.kind.isPCI {
            sink.error(CheckID.invalidValue, "'pcie-endpoint' marks a PCIe controller in endpoint mode, a platform master; '\(d.name.name)' sits on PCI bus '\(b.name)'", at: d.origin.range)
        }
        if d.portType != nil, !b.kind.isPCI {
            sink.error(CheckID.invalidValue, "'port-type' is for PCI functions; '\(d.name.name)' sits on \(b.kind.rawValue) bus '\(b.name)'", at: d.origin.range)
        }
        deviceRIDs.append(d.rid)
        if let p = d.physfn { physfns.append((DeviceID(id), p)) }
    }

    /// Observed groups name devices and bridges; a name in two groups is an error.
    mutating func addObservedGroups(_ list: [ObservedGroupDecl]) {
        var seen: [String: Origin] = [:]
        for g in list {
            var members: [FunctionRef] = []
            for m in g.members {
                guard let r = names.resolve(m, as: [.device, .bridge], what: "group member") else { continue }
                if let first = seen[m.name] {
                    sink.error(CheckID.invalidValue, "'\(m.name)' is in two observed groups", at: m.range, notes: [DiagnosticNote("its other group", at: first.range)])
                    continue
                }
                seen[m.name] = g.origin
                members.append(r.kind == .device ? .device(DeviceID(r.id)) : .bridge(BridgeID(r.id)))
            }
            model.observedGroups.append(ObservedGroup(number: g.number, members: members, type: g.type, origin: g.origin))
        }
    }

    mutating func addRegion(_ d: RegionDecl) {
        var owner: DeviceID?
        if let o = d.owner {
            guard let r = names.resolve(o, as: [.device], what: "owner") else { names.poison(d.name.name); return }
            owner = DeviceID(r.id)
        }
        guard let range = d.range, let kind = d.kind else { names.poison(d.name.name); return }
        names.bind(d.name.name, id: model.regions.count)
        model.regions.append(MemoryRegion(name: d.name.name, range: range, kind: kind, secure: d.secure, owner: owner, origin: d.origin))
    }

    mutating func addDomain(_ d: DomainDecl) {
        let iommu = d.iommu.flatMap { names.resolve($0, as: [.iommu], what: "iommu") }
        var mappings: [Mapping] = []
        var ok = d.complete
        let unit = iommu.map { model.iommus[$0.id] }
        let stage = d.stage ?? unit.map { TranslationStage.defaultStage($0.kind) } ?? .second
        for m in d.mappings {
            if var x = mapping(m, iommu: unit) {
                let held = stage.holds(x.perm)
                if held != x.perm { x.requested = x.perm; x.perm = held }
                mappings.append(x)
            } else { ok = false }
        }
        guard ok, let iommu else { names.poison(d.name.name); return }
        names.bind(d.name.name, id: model.domains.count)
        model.domains.append(Domain(name: d.name.name, iommu: IOMMUID(iommu.id), type: d.type, stage: stage, mappings: mappings, origin: d.origin))
    }

    mutating func mapping(_ m: MappingDecl, iommu: IOMMU?) -> Mapping? {
        var phys: UInt64
        var region: RegionID?
        switch m.phys {
        case let .absolute(p): phys = p
        case let .region(ref, offset):
            guard let r = names.resolve(ref, as: [.region], what: "phys") else { return nil }
            region = RegionID(r.id)
            let (p, o) = model.regions[r.id].range.base.addingReportingOverflow(offset)
            guard !o, AddressRange(base: p, size: m.size) != nil else {
                sink.error(CheckID.addressOverflow, "region '\(ref.name)' + \(hex(offset)) + \(sizeText(m.size)) runs past the top of the 64-bit address space", at: ref.range)
                return nil
            }
            phys = p
        }
        guard let iova = AddressRange(base: m.iova, size: m.size) else { return nil }
        let page = m.pageSize ?? iommu.map { UInt64(1) << UInt64($0.granuleShift) } ?? 4096
        return Mapping(iova: iova, phys: phys, perm: m.perm, pageSize: page, region: region, origin: m.origin)
    }

    mutating func resolveRemapSources(_ decls: [IOMMUDecl]) {
        for d in decls {
            guard let id = names.resolve(d.name, as: [.iommu], what: "iommu") else { continue }
            var table: [RemapEntry] = []
            for e in d.remapTable {
                var source: DeviceID?
                if let s = e.source {
                    guard let r = names.resolve(s, as: [.device], what: "source") else { continue }
                    source = DeviceID(r.id)
                }
                table.append(RemapEntry(index: e.index, source: source, cpu: e.cpu, vector: e.vector, origin: e.origin))
            }
            model.iommus[id.id].remapTable = table
        }
    }

    mutating func addAttachment(_ a: AttachmentDecl) {
        let dev = a.device.flatMap { names.resolve($0, as: [.device], what: "device") }
        let dom = a.domain.flatMap { names.resolve($0, as: [.domain], what: "domain") }
        guard let dev, let dom else { return }
        model.attachments.append(Attachment(device: DeviceID(dev.id), domain: DomainID(dom.id), origin: a.origin))
    }

    mutating func addPolicy(_ p: PolicyDecl) {
        var ok = true
        var devices: [DevicePattern] = []
        var ids: [DeviceID] = []
        for d in p.devices {
            if let ref = d.ref {
                guard let r = names.resolve(ref, as: [.device], what: "device") else { ok = false; continue }
                ids.append(DeviceID(r.id))
            }
            devices.append(DevicePattern(text: d.text, origin: d.origin))
        }
        var regions: [RegionID] = []
        for r in p.regions {
            guard let x = names.resolve(r, as: [.region], what: "region") else { ok = false; continue }
            regions.append(RegionID(x.id))
        }
        guard ok else { return }
        let rule: PolicyRule
        switch p.kind {
        case let .deny(perm): rule = .deny(perm, devices: devices, regions: regions)
        case .onlyWriters: rule = .onlyWriters(devices: devices, regions: regions)
        case .isolated: rule = .isolated(ids)
        }
        model.policies.append(Policy(name: p.name.name, rule: rule, origin: p.origin))
    }

    mutating func addVM(_ v: VMDecl) {
        var ok = true
        var memory: [AddressRange] = []
        for m in v.memory {
            switch m {
            case let .range(r): memory.append(r)
            case let .region(ref):
                guard let x = names.resolve(ref, as: [.region], what: "region") else { ok = false; continue }
                memory.append(model.regions[x.id].range)
            }
        }
        var devices: [DeviceID] = []
        for d in v.devices {
            guard let x = names.resolve(d, as: [.device], what: "device") else { ok = false; continue }
            devices.append(DeviceID(x.id))
        }
        guard ok else { return }
        model.vms.append(VirtualMachine(name: v.name.name, memory: memory, devices: devices, origin: v.origin))
    }
}
