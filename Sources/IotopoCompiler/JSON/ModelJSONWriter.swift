import IotopoModel
import IotopoSource

/// The compiled model as canonical JSON: one table per entity kind, one entity per line,
/// keys in a fixed order, addresses as `0x` hex strings (exact beyond 2^53, where JSON
/// numbers stop being), references as `{"id", "name"}`, and every entity's source origin.
/// Mappings form their own table so a domain with thousands of them still diffs by line.
public enum ModelJSON {
    /// Format tag and version written at the top.
    public static let formatName = "iotopo-model"
    public static let formatVersion: Int64 = 1

    /// Renders a model.
    public static func render(_ m: SystemModel) -> String {
        var doc: [(String, JSON)] = [
            ("format", .string(formatName)),
            ("version", .int(formatVersion)),
            ("sources", .array(m.sources.map { .string($0) })),
            ("platform", platform(m.platform)),
        ]
        doc.append(("regions", .array(m.regions.enumerated().map { region($0.offset, $0.element, m) })))
        doc.append(("buses", .array(m.buses.enumerated().map { bus($0.offset, $0.element) })))
        doc.append(("bridges", .array(m.bridges.enumerated().map { bridge($0.offset, $0.element, m) })))
        doc.append(("iommus", .array(m.iommus.enumerated().map { iommu($0.offset, $0.element, m) })))
        doc.append(("devices", .array(m.devices.enumerated().map { device($0.offset, $0.element, m) })))
        doc.append(("domains", .array(m.domains.enumerated().map { domain($0.offset, $0.element, m) })))
        var mappings: [JSON] = []
        for (i, d) in m.domains.enumerated() {
            for mp in d.mappings { mappings.append(mapping(i, d, mp, m)) }
        }
        doc.append(("mappings", .array(mappings)))
        doc.append(("attachments", .array(m.attachments.map { a in
            .object([("device", ref(a.device, m.devices)), ("domain", ref(a.domain, m.domains)), ("origin", origin(a.origin))])
        })))
        doc.append(("suppressions", .array(m.suppressions.map { s in
            .object([("check", .string(s.check)), ("reason", .string(s.reason)), ("scope", range(s.scope)), ("origin", origin(s.origin))])
        })))
        doc.append(("policies", .array(m.policies.map { policy($0, m) })))
        doc.append(("vms", .array(m.vms.map { v in
            .object([("name", .string(v.name)),
                     ("memory", .array(v.memory.map { .object([("base", addr($0.base)), ("last", addr($0.last))]) })),
                     ("devices", .array(v.devices.map { ref($0, m.devices) })), ("origin", origin(v.origin))])
        })))
        if !m.observedGroups.isEmpty { doc.append(("observedGroups", observedGroups(m))) }
        return JSON.object(doc).serialized(indent: 2, inlineFrom: 2) + "\n"
    }

    static func policy(_ p: Policy, _ m: SystemModel) -> JSON {
        func patterns(_ list: [DevicePattern]) -> JSON {
            .array(list.map { .object([("pattern", .string($0.text)), ("origin", origin($0.origin))]) })
        }
        var f: [(String, JSON)] = [("name", .string(p.name))]
        switch p.rule {
        case let .deny(perm, devices, regions):
            f += [("rule", .string("deny")), ("perm", .string(perm.description)), ("devices", patterns(devices)),
                  ("regions", .array(regions.map { ref($0, m.regions) }))]
        case let .onlyWriters(devices, regions):
            f += [("rule", .string("only-writers")), ("devices", patterns(devices)), ("regions", .array(regions.map { ref($0, m.regions) }))]
        case let .isolated(devices):
            f += [("rule", .string("isolated")), ("devices", .array(devices.map { ref($0, m.devices) }))]
        }
        f.append(("origin", origin(p.origin)))
        return .object(f)
    }

    static func addr(_ v: UInt64) -> JSON { .string(hex(v)) }

    static func ref<T: NamedEntity>(_ id: EntityID<T>, _ table: [T]) -> JSON {
        .object([("id", .int(Int64(id.raw))), ("name", .string(table[id].name))])
    }

    static func range(_ r: SourceRange) -> JSON {
        .object([("file", .uint(r.file.raw)), ("line", .uint(r.start.line)), ("column", .uint(r.start.column)),
                 ("endLine", .uint(r.end.line)), ("endColumn", .uint(r.end.column))])
    }

    static func origin(_ o: Origin) -> JSON {
        var pairs: [(String, JSON)] = [("range", range(o.range))]
        if let i = o.instance { pairs.append(("instance", .uint(i))) }
        if let r = o.repetition { pairs.append(("repetition", range(r))) }
        return .object(pairs)
    }

    static func acs(_ a: ACSCapability?) -> JSON {
        guard let a else { return .null }
        return .object([("capability", .array(a.capability.nameList.map { .string($0) })),
                        ("control", .array(a.control.nameList.map { .string($0) }))])
    }

    static func platform(_ p: Platform) -> JSON {
        .object([("name", .string(p.name)), ("description", .string(p.description)), ("addressBits", .uint(p.addressBits)),
                 ("origin", origin(p.origin))] + platformExtras(p))
    }

    static func region(_ i: Int, _ r: MemoryRegion, _ m: SystemModel) -> JSON {
        .object([("id", .uint(i)), ("name", .string(r.name)), ("base", addr(r.range.base)), ("last", addr(r.range.last)),
                 ("kind", .string(r.kind.rawValue)), ("secure", .bool(r.secure)),
                 ("owner", r.owner.map { ref($0, m.devices) } ?? .null), ("origin", origin(r.origin))])
    }

    static func bus(_ i: Int, _ b: Bus) -> JSON {
        .object([("id", .uint(i)), ("name", .string(b.name)), ("kind", .string(b.kind.rawValue)), ("segment", .uint(b.segment)),
                 ("number", b.number.map { .uint($0) } ?? .null), ("origin", origin(b.origin))])
    }

    static func bridge(_ i: Int, _ b: Bridge, _ m: SystemModel) -> JSON {
        let windows: [JSON] = b.windows.map { w in
            .object([("child", addr(w.child.base)), ("childLast", addr(w.child.last)), ("parent", addr(w.parentBase)), ("origin", origin(w.origin))])
        }
        return .object([("id", .uint(i)), ("name", .string(b.name)), ("kind", .string(b.kind.rawValue)),
                        ("upstream", ref(b.upstream, m.buses)), ("downstream", ref(b.downstream, m.buses)),
                        ("windows", .array(windows)), ("acs", acs(b.acs)), ("rid", b.rid.map { .string($0.description) } ?? .null),
                        ("multifunction", .bool(b.multifunction)), ("translationRoot", .bool(b.translationRoot)),
                        ("pcieAlias", .bool(b.pcieAlias)), ("origin", origin(b.origin))] + bridgeExtras(b, m))
    }

    static func iommu(_ i: Int, _ u: IOMMU, _ m: SystemModel) -> JSON {
        let placement: JSON
        switch u.placement {
        case let .bridge(b): placement = .object([("bridge", ref(b, m.bridges))])
        case let .bus(b): placement = .object([("bus", ref(b, m.buses))])
        }
        let remap: [JSON] = u.remapTable.map { e in
            .object([("index", .uint(e.index)), ("source", e.source.map { ref($0, m.devices) } ?? .null), ("cpu", .uint(e.cpu)),
                     ("vector", .uint(e.vector)), ("origin", origin(e.origin))])
        }
        let idMap: [JSON] = u.idMap.map { e in
            .object([("ridBase", .uint(e.ridBase)), ("outputBase", .uint(e.outputBase)), ("length", .uint(e.length)), ("origin", origin(e.origin))])
        }
        return .object([
            ("id", .uint(i)), ("name", .string(u.name)), ("kind", .string(u.kind.rawValue)), ("at", placement),
            ("inputBits", .uint(u.inputBits)), ("outputBits", .uint(u.outputBits)), ("granule", addr(UInt64(1) << UInt64(u.granuleShift))),
            ("levels", .uint(u.geometry.levels)), ("pageSizes", .array(u.pageSizeList.map(addr))),
            ("iotlb", .object([("sets", .uint(u.iotlb.sets)), ("ways", .uint(u.iotlb.ways)), ("hitCycles", .uint(u.iotlb.hitCycles)),
                               ("walkCyclesPerLevel", .uint(u.iotlb.walkCyclesPerLevel))])),
            ("interruptRemapping", .bool(u.interruptRemapping)), ("remapTable", .array(remap)),
            ("streamIdBits", .uint(u.streamIDBits)), ("idMap", .array(idMap)), ("idMapMask", addr(UInt64(u.idMapMask))),
            ("unmatched", .string(u.unmatched.rawValue)), ("origin", origin(u.origin)),
        ] + iommuExtras(u, m))
    }

    static func device(_ i: Int, _ d: Device, _ m: SystemModel) -> JSON {
        let msi: JSON = d.msi.map { x in
            .object([("vectors", .uint(x.vectors)), ("handle", x.handle.map { .uint($0) } ?? .null), ("cpu", .uint(x.cpu)), ("vector", .uint(x.vector)),
                     ("address", x.address.map(addr) ?? .null)])
        } ?? .null
        let reserved: [JSON] = d.reserved.map { r in .object([("base", addr(r.range.base)), ("last", addr(r.range.last)), ("origin", origin(r.origin))]) }
        return .object([
            ("id", .uint(i)), ("name", .string(d.name)), ("kind", .string(d.kind)), ("bus", ref(d.bus, m.buses)),
            ("rid", d.rid.map { .string($0.description) } ?? .null), ("streamIds", .array(d.streamIDs.map { .uint($0) })),
            ("multifunction", .bool(d.multifunction)), ("acs", acs(d.acs)), ("dma", .bool(d.dmaCapable)), ("dmaBits", .uint(d.dmaBits)),
            ("msi", msi), ("aliases", .array(d.aliases.map { .uint($0) })), ("reserved", .array(reserved)), ("origin", origin(d.origin)),
        ] + deviceExtras(d, m))
    }

    static func domain(_ i: Int, _ d: Domain, _ m: SystemModel) -> JSON {
        .object([("id", .uint(i)), ("name", .string(d.name)), ("iommu", ref(d.iommu, m.iommus)), ("type", .string(d.type.rawValue)),
                 ("stage", .uint(d.stage.rawValue)), ("mappings", .uint(d.mappings.count)), ("origin", origin(d.origin))])
    }

    static func mapping(_ i: Int, _ d: Domain, _ mp: Mapping, _ m: SystemModel) -> JSON {
        .object([("domain", .object([("id", .uint(i)), ("name", .string(d.name))])), ("iova", addr(mp.iova.base)), ("iovaLast", addr(mp.iova.last)),
                 ("phys", addr(mp.phys)), ("perm", .string(mp.perm.description)), ("pageSize", addr(mp.pageSize)),
                 ("region", mp.region.map { ref($0, m.regions) } ?? .null), ("origin", origin(mp.origin))]
                + (mp.requested.map { [("requestedPerm", JSON.string($0.description))] } ?? []))
    }
}
