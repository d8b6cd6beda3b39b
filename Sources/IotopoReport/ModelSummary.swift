import IotopoModel
import IotopoSource

/// A readable, deterministic summary of a compiled model (`iotopo compile --format text`):
/// every entity with its resolved references, addresses in fixed-width hex, the DMA path
/// of every device.
public enum ModelSummary {
    /// Renders the summary.
    public static func render(_ m: SystemModel) -> String {
        // The description, the kernel and a device's kind are free text: shown by
        // `TerminalText`'s rule, one line each (names are checked printable by the decoder).
        var out = "platform \(m.platform.name)"
        if !m.platform.description.isEmpty { out += ": \(TerminalText.visible(m.platform.description))" }
        out += "\n  physical address bits: \(m.platform.addressBits)\n"
        if let k = m.platform.kernel { out += "  kernel: \(TerminalText.visible(k))\n" }
        if let q = m.platform.quirkRelease, m.devices.contains(where: { $0.pci != nil }) || m.bridges.contains(where: { $0.pci != nil }) {
            out += "  PCI quirks of Linux \(q)\n"
        }
        let topo = Topology(m)
        out += section("memory", m.regions.count)
        for r in m.regions {
            var attrs = [r.kind.rawValue]
            if r.secure { attrs.append("secure") }
            if let o = r.owner { attrs.append("owner \(m.devices[o].name)") }
            out += "  \(pad(r.name, 16)) \(span(r.range))  \(pad(sizeText(r.range.size), 8)) \(attrs.joined(separator: ", "))\n"
        }
        out += section("buses", m.buses.count)
        for b in m.buses {
            let pci = b.number.map { "  \(hexPad(UInt64(b.segment), 4)):\(hexPad(UInt64($0), 2))" } ?? ""
            out += "  \(pad(b.name, 16)) \(b.kind.rawValue)\(pci)\n"
        }
        out += section("bridges", m.bridges.count)
        for (bi, b) in m.bridges.enumerated() {
            var line = "  \(pad(b.name, 16)) \(pad(b.kind.rawValue, 18)) \(m.buses[b.downstream].name) -> \(m.buses[b.upstream].name)"
            if let rid = b.rid { line += "  rid \(rid)" }
            if let a = m.bridgeAlias(BridgeID(bi)) { line += "  aliases DMA as \(a)" }
            if b.translationRoot { line += "  translation-root" }
            if let acs = b.acs { line += "  acs \(acsText(acs))" }
            out += line + "\n" + quirkLine(b.quirks)
            for w in b.windows {
                out += "    window \(span(w.child)) -> \(span(w.parent))\n"
            }
        }
        out += section("IOMMUs", m.iommus.count)
        for u in m.iommus {
            let place = u.placements.map { p -> String in
                switch p {
                case let .bridge(b): return "bridge \(m.bridges[b].name)"
                case let .bus(b): return "bus \(m.buses[b].name)"
                }
            }.joined(separator: ", ")
            let g = u.geometry
            out += "  \(pad(u.name, 16)) \(u.kind.rawValue) at \(place)\n"
            out += "    \(u.inputBits)-bit input, \(u.outputBits)-bit output, \(sizeText(UInt64(1) << UInt64(u.granuleShift))) granule, \(g.levels) levels, pages \(u.pageSizeList.map(sizeText).joined(separator: " "))\n"
            out += "    IOTLB \(u.iotlb.sets) sets x \(u.iotlb.ways) ways, hit \(u.iotlb.hitCycles) cycles, walk \(u.iotlb.walkCyclesPerLevel) cycles/level\n"
            out += "    stream IDs \(u.streamIDBits) bits, unmatched: \(u.unmatched.rawValue), interrupt remapping \(u.interruptRemapping ? "on" : "off")\n"
            for e in u.idMap {
                out += "    id-map \(hexPad(UInt64(e.ridBase), 4))..\(hexPad(UInt64(e.ridBase) + UInt64(e.length) - 1, 4)) -> \(hexPad(UInt64(e.outputBase), 4))"
                out += u.idMapMask == .max ? "\n" : " (mask \(hex(UInt64(u.idMapMask))))\n"
            }
            for e in u.remapTable {
                out += "    irte \(e.index): cpu \(e.cpu) vector \(hex(UInt64(e.vector), digits: 2))" + (e.source.map { " from \(m.devices[$0].name)" } ?? "") + "\n"
            }
        }
        out += section("devices", m.devices.count)
        for d in m.devices.ids(Device.self) {
            out += device(d, m, topo)
        }
        out += section("domains", m.domains.count)
        let byBase = m.regionsByBase()
        for dom in m.domains {
            out += "  \(pad(dom.name, 16)) \(dom.type.rawValue) (stage \(dom.stage.rawValue)) on \(m.iommus[dom.iommu].name), \(dom.mappings.count) mapping\(dom.mappings.count == 1 ? "" : "s")\n"
            for mp in dom.mappings {
                let target = m.region(containing: mp.phys, sortedRegions: byBase).map { " [\(m.regions[$0].name)]" } ?? ""
                let asked = mp.requested.map { " (asked \($0))" } ?? ""
                out += "    \(span(mp.iova)) -> \(hex(mp.phys, digits: 16))  \(pad(mp.perm.description, 2)) \(sizeText(mp.pageSize)) pages\(target)\(asked)\n"
            }
        }
        out += section("attachments", m.attachments.count)
        for a in m.attachments {
            out += "  \(pad(m.devices[a.device].name, 16)) -> \(m.domains[a.domain].name)\n"
        }
        if !m.policies.isEmpty {
            out += section("policies", m.policies.count)
            for p in m.policies {
                switch p.rule {
                case let .deny(perm, devices, regions):
                    let verb = perm == .readWrite ? "access" : perm == .read ? "read" : "write"
                    out += "  \(pad(p.name, 16)) deny \(verb): \(devices.map(\.text).joined(separator: ", ")) -> \(regions.map { m.regions[$0].name }.joined(separator: ", "))\n"
                case let .onlyWriters(devices, regions):
                    out += "  \(pad(p.name, 16)) only \(devices.map(\.text).joined(separator: ", ")) write \(regions.map { m.regions[$0].name }.joined(separator: ", "))\n"
                case let .isolated(devices):
                    out += "  \(pad(p.name, 16)) isolated: \(devices.map { m.devices[$0].name }.joined(separator: ", "))\n"
                }
            }
        }
        if !m.vms.isEmpty {
            out += section("vms", m.vms.count)
            for v in m.vms {
                out += "  \(pad(v.name, 16)) memory \(v.memory.map(span).joined(separator: ", ")); devices \(v.devices.map { m.devices[$0].name }.joined(separator: ", "))\n"
            }
        }
        return out
    }

    static func device(_ id: DeviceID, _ m: SystemModel, _ topo: Topology) -> String {
        let d = m.devices[id]
        var line = "  \(pad(d.name, 16)) \(pad(TerminalText.visible(d.kind), 8)) on \(m.buses[d.bus].name)"
        if let rid = d.rid { line += "  rid \(rid)" }
        if !d.streamIDs.isEmpty { line += "  stream-ids " + d.streamIDs.map { hex(UInt64($0)) }.joined(separator: ",") }
        line += d.dmaCapable ? "  dma \(d.dmaBits)-bit" : "  no dma"
        if let msi = d.msi { line += "  msi x\(msi.vectors)" + (msi.address.map { " at \(hex($0))" } ?? "") }
        var out = line + "\n" + quirkLine(d.quirks)
        guard d.dmaCapable else { return out }
        let path = topo.path(of: d)
        var hops: [String] = []
        for (i, step) in path.steps.enumerated() {
            switch step {
            case let .cross(b):
                var h = m.bridges[b].name
                if let a = m.bridgeAlias(b), !m.bridges[b].translationRoot { h += "(as \(a))" }
                hops.append(h)
            case let .iommu(u):
                let s = m.streamIDs(of: id, path: path, at: i)
                let ids = s.ids.map { hex(UInt64($0)) }.joined(separator: ",")
                hops.append("[\(m.iommus[u].name)" + (ids.isEmpty ? "" : " sid \(ids)") + (s.unmatched.isEmpty ? "" : " unmatched") + "]")
            case .windows: continue
            }
        }
        out += "    path: " + (hops.isEmpty ? "direct" : hops.joined(separator: " -> ")) + (path.reachesMemory ? " -> memory" : " -> (no memory)") + "\n"
        return out
    }

    /// The kernel quirks applied to a function, with the release each came in.
    static func quirkLine(_ quirks: [AppliedQuirk]) -> String {
        guard !quirks.isEmpty else { return "" }
        return "    quirks: " + quirks.map { "\($0.function) (since \($0.since))" }.joined(separator: ", ") + "\n"
    }

    static func section(_ name: String, _ n: Int) -> String { "\(name) (\(n)):\n" }

    static func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s : s + String(repeating: " ", count: w - s.count) }

    static func hexPad(_ v: UInt64, _ digits: Int) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, digits - s.count)) + s
    }

    static func span(_ r: AddressRange) -> String { "\(hex(r.base, digits: 16))-\(hex(r.last, digits: 16))" }

    static func acsText(_ a: ACSCapability) -> String {
        a.capability == a.control ? "[\(a.control.nameList.joined(separator: ","))]"
            : "cap [\(a.capability.nameList.joined(separator: ","))] ctl [\(a.control.nameList.joined(separator: ","))]"
    }
}
