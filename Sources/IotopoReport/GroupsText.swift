import IotopoAnalysis
import IotopoModel
import IotopoSource

/// `iotopo groups`: the IOMMU groups as `/sys/kernel/iommu_groups` lists them, with the
/// reasons (`--why`) and the passthrough verdicts (`--passthrough`), as text or JSON.
public enum GroupsText {
    /// `file:line` of an origin, by the model's own file table.
    static func place(_ o: Origin, _ m: SystemModel) -> String {
        let f = Int(o.range.file.raw)
        guard f >= 0, f < m.sources.count else { return "?" }
        return "\(m.sources[f]):\(o.range.start.line)"
    }

    /// The address a member is known by: `0000:bb:dd.f`, or its stream IDs.
    static func address(_ mem: GroupMember, _ m: SystemModel) -> String {
        switch mem {
        case let .pci(.device(d)):
            return m.devices[d].rid.map { $0.description(segment: m.segment(of: d)) } ?? "-"
        case let .pci(.bridge(b)):
            return m.bridges[b].rid.map { $0.description(segment: m.buses[m.bridges[b].upstream].segment) } ?? "-"
        case let .platform(d):
            return "sid " + m.devices[d].streamIDs.map { hex(UInt64($0)) }.joined(separator: ",")
        }
    }

    static func name(_ mem: GroupMember, _ m: SystemModel) -> String {
        switch mem {
        case let .pci(.device(d)), let .platform(d): return m.devices[d].name
        case let .pci(.bridge(b)): return m.bridges[b].name
        }
    }

    static func kind(_ mem: GroupMember, _ m: SystemModel) -> String {
        switch mem {
        case let .pci(.device(d)), let .platform(d): return m.devices[d].kind.isEmpty ? "device" : TerminalText.visible(m.devices[d].kind)
        case let .pci(.bridge(b)): return m.bridges[b].kind.rawValue
        }
    }

    /// The text listing.
    public static func render(_ g: GroupAnalysis, _ m: SystemModel, why: Bool, passthrough: Passthrough?) -> String {
        var out = "IOMMU groups of \(m.platform.name) (\(g.policy.rawValue) ACS rules): \(g.groups.count) group\(g.groups.count == 1 ? "" : "s")\n"
        if let u = m.platform.unverified { out += "unverified: \(TerminalText.visible(u))\n" }
        if let o = g.override { out += "what-if: --acs-override \(o.text) (the out-of-tree pcie_acs_override patch, not upstream)\n" }
        for grp in g.groups {
            out += "\ngroup \(grp.number) (\(m.iommus[grp.iommu].name))\n"
            for (mem, r) in zip(grp.members, grp.reasons) {
                out += "  \(pad(address(mem, m), 12)) \(name(mem, m)) (\(kind(mem, m)))\n"
                if why { out += "      why: \(r.text) [\(place(r.origin, m))]\n" }
            }
        }
        if !g.ungrouped.isEmpty {
            out += "\nno IOMMU on their path (no group: nothing isolates their DMA)\n"
            for d in g.ungrouped {
                let dev = m.devices[d]
                let addr = dev.rid.map { $0.description(segment: m.segment(of: d)) } ?? "-"
                out += "  \(pad(addr, 12)) \(dev.name) (\(dev.kind.isEmpty ? "device" : TerminalText.visible(dev.kind)))\n"
            }
        }
        /// PCI functions Linux gives no group although an IOMMU is on their path, under a title.
        func apart(_ title: String, _ rows: [(function: PCIFunctionRef, why: String)]) {
            guard !rows.isEmpty else { return }
            out += "\n\(title)\n"
            for r in rows {
                out += "  \(pad(address(.pci(r.function), m), 12)) \(name(.pci(r.function), m)) (\(kind(.pci(r.function), m)))\n"
                if why { out += "      why: \(r.why)\n" }
            }
        }
        apart("refused by their SMMUv3 (no group: the stream ID is another's; Linux fails their probe)", g.refused.map { r in
            (r.function, "stream ID \(hex(UInt64(r.streamID))) at '\(m.iommus[r.iommu].name)' is already held by '\(name(.pci(r.holder), m))'; arm-smmu-v3 keeps one master per stream ID (arm_smmu_insert_master)")
        })
        apart("no ID-map entry matches their requester ID (no group: Linux gives them no IOMMU)", g.unmatched.map { u in
            (u.function, "requester ID \(u.rid) matches no entry of the ID map in front of '\(m.iommus[u.iommu].name)': of_map_id finds no translation, so the IOMMU driver is never given the device (of_iommu_configure_dev_id, iort_iommu_configure_id)")
        })
        if let p = passthrough {
            out += "\npassthrough (VFIO assigns whole groups; bridges may stay behind)\n"
            for v in p.verdicts {
                let dev = m.devices[v.device]
                switch v.status {
                case let .alone(n):
                    out += "  \(dev.name): yes, alone in group \(n)\n"
                case let .shared(n, others):
                    out += "  \(dev.name): no, group \(n) also holds \(others.map { "'\(m.devices[$0].name)'" }.joined(separator: ", "))\n"
                case .noIOMMU:
                    out += "  \(dev.name): no, no IOMMU translates its DMA\n"
                case .refused:
                    out += "  \(dev.name): no, its SMMUv3 refused it (no group)\n"
                case let .unmatched(rid):
                    out += "  \(dev.name): no, no ID-map entry matches its requester ID \(rid), so Linux gives it no IOMMU (no group)\n"
                case let .directMapped(n):
                    out += "  \(dev.name): no, firmware requires \(dev.reserved.count) range\(dev.reserved.count == 1 ? "" : "s") of it identity-mapped (group \(n)): Linux refuses it a VM's domain\n"
                }
            }
        }
        return out
    }

    /// `--format json`.
    public static func json(_ g: GroupAnalysis, _ m: SystemModel, passthrough: Passthrough?) -> String {
        func member(_ mem: GroupMember, _ r: GroupReason?) -> JSON {
            var f: [(String, JSON)] = [("name", .string(name(mem, m))), ("address", .string(address(mem, m))), ("kind", .string(kind(mem, m)))]
            switch mem {
            case .pci(.bridge): f.append(("type", .string("bridge")))
            case .pci(.device): f.append(("type", .string("pci")))
            case .platform: f.append(("type", .string("platform")))
            }
            if let r {
                var w: [(String, JSON)] = [("rule", .string(r.rule.rawValue)), ("text", .string(r.text)), ("at", .string(place(r.origin, m)))]
                if let v = r.via { w.append(("via", .string(name(v, m)))) }
                f.append(("why", .object(w)))
            }
            return .object(f)
        }
        let groups: [JSON] = g.groups.map { grp in
            .object([("number", .int(Int64(grp.number))), ("iommu", .string(m.iommus[grp.iommu].name)),
                     ("members", .array(zip(grp.members, grp.reasons).map { member($0, $1) }))])
        }
        var top: [(String, JSON)] = [("platform", .string(m.platform.name)), ("policy", .string(g.policy.rawValue)),
                                     ("groups", .array(groups)),
                                     ("ungrouped", .array(g.ungrouped.map { .string(m.devices[$0].name) }))]
        if !g.refused.isEmpty {
            top.append(("refused", .array(g.refused.map { r in
                .object([("name", .string(name(.pci(r.function), m))), ("stream-id", .int(Int64(r.streamID))),
                         ("held-by", .string(name(.pci(r.holder), m))), ("iommu", .string(m.iommus[r.iommu].name))])
            })))
        }
        if !g.unmatched.isEmpty {
            top.append(("unmatched", .array(g.unmatched.map { u in
                .object([("name", .string(name(.pci(u.function), m))), ("rid", .string(u.rid.description)), ("iommu", .string(m.iommus[u.iommu].name))])
            })))
        }
        if let p = passthrough {
            top.append(("passthrough", .array(p.verdicts.map { v in
                var f: [(String, JSON)] = [("device", .string(m.devices[v.device].name))]
                switch v.status {
                case let .alone(n): f += [("alone", .bool(true)), ("group", .int(Int64(n)))]
                case let .shared(n, others): f += [("alone", .bool(false)), ("group", .int(Int64(n))), ("shares-with", .array(others.map { .string(m.devices[$0].name) }))]
                case .noIOMMU: f += [("alone", .bool(false)), ("group", .null)]
                case .refused: f += [("alone", .bool(false)), ("group", .null), ("refused", .bool(true))]
                case let .unmatched(rid): f += [("alone", .bool(false)), ("group", .null), ("unmatched-rid", .string(rid.description))]
                case let .directMapped(n): f += [("alone", .bool(false)), ("group", .int(Int64(n))), ("direct-mapping-required", .bool(true))]
                }
                return .object(f)
            })))
        }
        return JSON.object(top).serialized(indent: 2, inlineFrom: 4) + "\n"
    }

    static func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
}
