import IotopoModel
import IotopoSource
import IotopoYAML

/// The model JSON of what real machines add: PCI identities, port types, quirks, IOMMU
/// scopes, the platform's kernel and the observed groups. Each key is written only when it
/// has something to say, and absent reads as nothing, so models without them are unchanged.
extension ModelJSON {
    static func pci(_ p: PCIIdentity) -> JSON {
        var f: [(String, JSON)] = [("id", .string(p.id.description))]
        if let s = p.subsystem { f.append(("subsystem", .string(s.description))) }
        if let r = p.revision { f.append(("revision", .uint(r))) }
        if let c = p.classCode { f.append(("class", .uint(c))) }
        if let d = p.driver { f.append(("driver", .string(d))) }
        if p.ari { f.append(("ari", .bool(true))) }
        if let s = p.sriov {
            f.append(("sriov", .object([("totalVfs", .uint(s.totalVFs)), ("enabledVfs", .uint(s.enabledVFs)), ("offset", .uint(s.offset)),
                                        ("stride", .uint(s.stride)), ("vfDevice", s.vfDevice.map { .uint($0) } ?? .null)])))
        }
        return .object(f)
    }

    static func quirks(_ list: [AppliedQuirk]) -> JSON {
        .array(list.map { q in
            var f: [(String, JSON)] = [("function", .string(q.function)), ("since", .string(q.since))]
            switch q.effect {
            case let .acs(p): f += [("effect", .string("acs")), ("provides", .array(p.nameList.map { .string($0) }))]
            case let .dmaAliases(list): f += [("effect", .string("dma-aliases")), ("devfns", .array(list.map { .uint($0) }))]
            case .pcieBridgeAlias: f.append(("effect", .string("pcie-bridge-alias")))
            case .bridgeNoAlias: f.append(("effect", .string("bridge-no-alias")))
            case .translationRoot: f.append(("effect", .string("translation-root")))
            }
            return .object(f)
        })
    }

    /// The optional keys of a device, after its others.
    static func deviceExtras(_ d: Device, _ m: SystemModel) -> [(String, JSON)] {
        var f: [(String, JSON)] = []
        if let p = d.pci { f.append(("pci", pci(p))) }
        if let t = d.portType { f.append(("portType", .string(t.rawValue))) }
        if let p = d.physfn { f.append(("physfn", ref(p, m.devices))) }
        if !d.quirks.isEmpty { f.append(("quirks", quirks(d.quirks))) }
        if let t = d.defaultDomain { f.append(("defaultDomain", .string(t))) }
        if d.streamMasks.contains(where: { $0 != 0 }) { f.append(("streamMasks", .array(d.streamMasks.map { .uint($0) }))) }
        if d.pcieEndpoint { f.append(("pcieEndpoint", .bool(true))) }
        if !d.busAliases.isEmpty { f.append(("busAliases", .array(d.busAliases.map { .string($0.description) }))) }
        return f
    }

    static func bridgeExtras(_ b: Bridge, _ m: SystemModel) -> [(String, JSON)] {
        var f: [(String, JSON)] = []
        if !b.idMap.isEmpty {
            f.append(("idMap", .array(b.idMap.map { e in
                .object([("ridBase", .uint(e.ridBase)), ("iommu", ref(e.iommu, m.iommus)), ("outputBase", .uint(e.outputBase)),
                         ("length", .uint(e.length)), ("origin", origin(e.origin))])
            })))
            f.append(("idMapMask", .uint(b.idMapMask)))
        }
        if !b.msiMap.isEmpty {
            f.append(("msiMap", .array(b.msiMap.map { e in
                .object([("ridBase", .uint(e.ridBase)), ("msiController", .string(e.controller)), ("outputBase", .uint(e.outputBase)),
                         ("length", .uint(e.length)), ("origin", origin(e.origin))])
            })))
            f.append(("msiMapMask", .uint(b.msiMapMask)))
        }
        if let p = b.pci { f.append(("pci", pci(p))) }
        if !b.quirks.isEmpty { f.append(("quirks", quirks(b.quirks))) }
        if b.noAlias { f.append(("noAlias", .bool(true))) }
        return f
    }

    static func iommuExtras(_ u: IOMMU, _ m: SystemModel) -> [(String, JSON)] {
        var f: [(String, JSON)] = []
        if let s = u.scope {
            f.append(("scope", .array(s.map { e in
                switch e {
                case let .rids(r): return .object([("first", .string(r.first.description)), ("last", .string(r.last.description))])
                case let .bridge(b): return .object([("bridge", ref(b, m.bridges))])
                case let .bus(b): return .object([("bus", ref(b, m.buses))])
                case let .device(d): return .object([("device", ref(d, m.devices))])
                }
            })))
        }
        if u.includeAll { f.append(("includeAll", .bool(true))) }
        if !u.aliasRanges.isEmpty {
            f.append(("aliases", .array(u.aliasRanges.map { a in
                .object([("first", .string(a.range.first.description)), ("last", .string(a.range.last.description)), ("as", .string(a.as_.description)),
                         ("origin", origin(a.origin))])
            })))
        }
        if !u.alsoAt.isEmpty {
            f.append(("alsoAt", .array(u.alsoAt.map { p in
                switch p {
                case let .bridge(b): return .object([("bridge", ref(b, m.bridges))])
                case let .bus(b): return .object([("bus", ref(b, m.buses))])
                }
            })))
        }
        return f
    }

    static func platformExtras(_ p: Platform) -> [(String, JSON)] {
        var f: [(String, JSON)] = []
        if let k = p.kernel { f.append(("kernel", .string(k))) }
        if let q = p.quirkRelease { f.append(("quirkRelease", .string(q))) }
        if let u = p.unverified { f.append(("unverified", .string(u))) }
        return f
    }

    static func observedGroups(_ m: SystemModel) -> JSON {
        .array(m.observedGroups.map { g in
            .object([("group", .uint(g.number)), ("members", .array(g.members.map { mem -> JSON in
                switch mem {
                case let .device(d): return .object([("device", ref(d, m.devices))])
                case let .bridge(b): return .object([("bridge", ref(b, m.bridges))])
                }
            })), ("type", g.type.map { .string($0) } ?? .null), ("origin", origin(g.origin))])
        })
    }
}

extension JSONNodeReader {
    /// A `vvvv:dddd` string.
    mutating func pciID(_ o: YAMLNodeID, _ key: StaticString) -> PCIID? {
        guard let s = string(o, key) else { return nil }
        let p = s.split(separator: ":")
        guard p.count == 2, p[0].count == 4, p[1].count == 4, let v = UInt16(p[0], radix: 16), let d = UInt16(p[1], radix: 16) else {
            fail("\"\(key)\" must be vendor:device in hex", o)
            return nil
        }
        return PCIID(vendor: v, device: d)
    }

    mutating func pciIdentity(_ o: YAMLNodeID) -> PCIIdentity? {
        guard let id = pciID(o, "id") else { return nil }
        var p = PCIIdentity(id: id)
        if field(o, "subsystem") != nil { p.subsystem = pciID(o, "subsystem") }
        if field(o, "revision") != nil { p.revision = integer(o, "revision", max: 0xFF).map { UInt8($0) } }
        if field(o, "class") != nil { p.classCode = integer(o, "class", max: 0xFF_FFFF).map { UInt32($0) } }
        if field(o, "driver") != nil { p.driver = string(o, "driver") }
        if field(o, "ari") != nil { p.ari = bool(o, "ari") ?? false }
        if let s = field(o, "sriov") {
            guard let t = integer(s, "totalVfs", max: 0xFFFF), let e = integer(s, "enabledVfs", max: 0xFFFF),
                  let off = integer(s, "offset", max: 0xFFFF), let st = integer(s, "stride", max: 0xFFFF),
                  let vd = optionalInteger(s, "vfDevice", max: 0xFFFF) else { return nil }
            p.sriov = SRIOVInfo(totalVFs: Int(t), enabledVFs: Int(e), offset: Int(off), stride: Int(st), vfDevice: vd.map { UInt16($0) })
        }
        return p
    }

    mutating func quirks(_ o: YAMLNodeID) -> [AppliedQuirk]? {
        guard field(o, "quirks") != nil else { return [] }
        guard let list = array(o, "quirks") else { return nil }
        var out: [AppliedQuirk] = []
        for q in list {
            guard let fn = string(q, "function"), let since = string(q, "since"), let effect = string(q, "effect") else { return nil }
            let e: AppliedQuirk.Effect
            switch effect {
            case "acs": guard let p = flags(q, "provides") else { return nil }; e = .acs(provides: p)
            case "dma-aliases":
                guard let d = array(q, "devfns") else { return nil }
                e = .dmaAliases(d.compactMap { integer($0, max: 0xFF).map { UInt8($0) } })
            case "pcie-bridge-alias": e = .pcieBridgeAlias
            case "bridge-no-alias": e = .bridgeNoAlias
            case "translation-root": e = .translationRoot
            default: fail("unknown quirk effect \"\(effect)\"", q); return nil
            }
            out.append(AppliedQuirk(effect: e, function: fn, since: since))
        }
        return out
    }
}
