import IotopoAnalysis
import IotopoModel
import IotopoSource

/// `iotopo reach`: per device, the flattened view of what its DMA reaches; per region, who
/// can read and who can write it.
public enum ReachText {
    static func span(_ r: AddressRange) -> String { "\(hex(r.base))-\(hex(r.last))" }

    static func hopText(_ h: Reachability.Hop, _ m: SystemModel) -> String {
        switch h {
        case let .window(b): return "window of '\(m.bridges[b].name)' [\(GroupsText.place(m.bridges[b].origin, m))]"
        case let .identity(i, d): return "identity domain '\(m.domains[d].name)' at '\(m.iommus[i].name)' [\(GroupsText.place(m.domains[d].origin, m))]"
        case let .bypass(i): return "bypass of unmatched streams at '\(m.iommus[i].name)' [\(GroupsText.place(m.iommus[i].origin, m))]"
        case let .mapping(d, k): return "mapping of '\(m.domains[d].name)' [\(GroupsText.place(m.domains[d].mappings[k].origin, m))]"
        }
    }

    static func deviceTitle(_ d: DeviceID, _ m: SystemModel) -> String {
        let dev = m.devices[d]
        let addr = dev.rid.map { " (\($0.description(segment: m.segment(of: d))))" } ?? (dev.streamIDs.isEmpty ? "" : " (sid \(dev.streamIDs.map { hex(UInt64($0)) }.joined(separator: ",")))")
        return dev.name + addr
    }

    /// The text report; `devices` and `regions` narrow it (empty: all).
    public static func render(_ r: Reachability, _ m: SystemModel, devices: [DeviceID], regions: [RegionID]) -> String {
        var out = "reach of \(m.platform.name): what each DMA master can touch\n"
        let views = r.devices.filter { devices.isEmpty || devices.contains($0.device) }
        if regions.isEmpty || !devices.isEmpty {
            for v in views {
                out += "\n\(deviceTitle(v.device, m))"
                if v.segments.isEmpty {
                    out += ": nothing" + (v.stops.isEmpty ? " (no address it can emit lands in memory)" : ": " + v.stops.map(\.text).joined(separator: "; ")) + "\n"
                    continue
                }
                let translated = v.segments.filter(\.isTranslated).count
                out += translated == v.segments.count ? "\n" : translated == 0 ? ", untranslated\n" : ", partly untranslated\n"
                for s in v.segments where regions.isEmpty || regions.contains(s.region) {
                    out += "  \(span(s.address)) -> \(span(s.phys))  \(m.regions[s.region].name)  \(s.perm)"
                    out += s.hops.isEmpty ? "  untranslated\n" : "  via " + s.hops.map { hopText($0, m) }.joined(separator: ", ") + "\n"
                }
                for stop in v.stops { out += "  stops: \(stop.text)\n" }
            }
        }
        let shown = regions.isEmpty ? m.regions.ids(MemoryRegion.self) : regions
        out += "\nwho can touch each region\n"
        for reg in shown {
            let region = m.regions[reg]
            let access = r.access(to: reg).filter { devices.isEmpty || devices.contains($0.device) }
            out += "  \(region.name) (\(region.kind.rawValue) \(span(region.range))"
            out += region.secure ? ", secure)\n" : ")\n"
            func list(_ pick: (Reachability.Access) -> RangeSet) -> String {
                let entries = access.filter { !pick($0).isEmpty }.map { a -> String in
                    let set = pick(a)
                    let covered = set.ranges.reduce(UInt64(0)) { $0 &+ $1.size }
                    return m.devices[a.device].name + (set.ranges == [region.range] ? " (all)" : " (\(sizeText(covered)))")
                }
                return entries.isEmpty ? "nobody" : entries.joined(separator: ", ")
            }
            out += "    read:  \(list(\.read))\n"
            out += "    write: \(list(\.write))\n"
        }
        return out
    }

    /// `--format json`.
    public static func json(_ r: Reachability, _ m: SystemModel, devices: [DeviceID], regions: [RegionID]) -> String {
        func range(_ a: AddressRange) -> JSON { .object([("base", .string(hex(a.base))), ("last", .string(hex(a.last)))]) }
        let views: [JSON] = r.devices.filter { devices.isEmpty || devices.contains($0.device) }.map { v in
            .object([
                ("device", .string(m.devices[v.device].name)),
                ("untranslated", .bool(v.untranslated)),
                ("segments", .array(v.segments.filter { regions.isEmpty || regions.contains($0.region) }.map { s in
                    .object([("address", range(s.address)), ("phys", range(s.phys)), ("region", .string(m.regions[s.region].name)),
                             ("perm", .string(s.perm.description)), ("via", .array(s.hops.map { .string(hopText($0, m)) }))])
                })),
                ("stops", .array(v.stops.map { .string($0.text) })),
            ])
        }
        let shown = regions.isEmpty ? m.regions.ids(MemoryRegion.self) : regions
        let regionList: [JSON] = shown.map { reg in
            let access = r.access(to: reg).filter { devices.isEmpty || devices.contains($0.device) }
            return .object([
                ("region", .string(m.regions[reg].name)),
                ("read", .array(access.filter { !$0.read.isEmpty }.map { a in .object([("device", .string(m.devices[a.device].name)), ("ranges", .array(a.read.ranges.map(range)))]) })),
                ("write", .array(access.filter { !$0.write.isEmpty }.map { a in .object([("device", .string(m.devices[a.device].name)), ("ranges", .array(a.write.ranges.map(range)))]) })),
            ])
        }
        return JSON.object([("platform", .string(m.platform.name)), ("devices", .array(views)), ("regions", .array(regionList))])
            .serialized(indent: 2, inlineFrom: 5) + "\n"
    }
}
