import IotopoAnalysis
import IotopoSource
import IotopoModel

/// `iotopo graph`: the platform as a Graphviz digraph. DMA flows upward: devices point at
/// their bus, a bus at the bridge above it, a bridge at its upstream bus; IOMMUs hang off
/// the bridge or bus they sit at. IOMMU groups are clusters. A device whose DMA reaches
/// memory untranslated (no IOMMU, an identity domain, a bypassed stream) is drawn red with
/// a bold edge; a device a policy violation involves is filled orange, and the policy is
/// named in its label. Node names are the model's names, quoted, so the output is stable.
public enum GraphText {
    /// A quoted DOT ID.
    static func q(_ s: String) -> String { "\"" + esc(s) + "\"" }

    static func esc(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// A multi-line label.
    static func label(_ lines: [String]) -> String { "\"" + lines.map(esc).joined(separator: "\\n") + "\"" }

    public static func dot(_ m: SystemModel, groups g: GroupAnalysis, reach: Reachability, policies: PolicyEvaluation) -> String {
        var out = "digraph \(q(m.platform.name)) {\n"
        out += "  graph [rankdir=BT, fontname=\"Helvetica\", label=\(q("\(m.platform.name): buses, bridges, IOMMUs and devices; IOMMU groups (\(g.policy.rawValue) ACS rules) as clusters")), labelloc=t];\n"
        out += "  node [fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=9];\n"
        var violating: [DeviceID: [String]] = [:]
        for v in policies.violations {
            let name: String
            switch v {
            case let .access(p, _, _, _, _), let .sharedGroup(p, _, _, _), let .sharedPage(p, _, _, _, _, _), let .unmatchedPattern(p, _): name = m.policies[p].name
            }
            for d in v.devices where violating[d]?.contains(name) != true { violating[d, default: []].append(name) }
        }
        let untranslated = Set(reach.devices.filter { v in
            v.segments.contains { !$0.isTranslated }
        }.map(\.device))

        func busNode(_ b: BusID) -> String { q("bus:" + m.buses[b].name) }
        func bridgeNode(_ b: BridgeID) -> String { q("bridge:" + m.bridges[b].name) }
        func deviceNode(_ d: DeviceID) -> String { q("device:" + m.devices[d].name) }
        func iommuNode(_ i: IOMMUID) -> String { q("iommu:" + m.iommus[i].name) }

        func deviceDecl(_ d: DeviceID, indent: String) -> String {
            let dev = m.devices[d]
            var lines = [dev.name]
            if !dev.kind.isEmpty { lines.append(TerminalText.visible(dev.kind)) }
            if let rid = dev.rid { lines.append(rid.description(segment: m.segment(of: d))) }
            var attrs = "shape=ellipse"
            if let names = violating[d] {
                lines.append("violates " + names.joined(separator: ", "))
                attrs += ", style=filled, fillcolor=orange"
            }
            if untranslated.contains(d) { attrs += ", color=red, penwidth=2" }
            if !dev.dmaCapable { attrs += ", fontcolor=gray40" }
            return "\(indent)\(deviceNode(d)) [label=\(label(lines)), \(attrs)];\n"
        }
        func bridgeDecl(_ b: BridgeID, indent: String) -> String {
            let br = m.bridges[b]
            var lines = [br.name, br.kind.rawValue]
            if let rid = br.rid { lines.append(rid.description(segment: m.buses[br.upstream].segment)) }
            if let acs = br.acs { lines.append(acs.enables(.required) ? "ACS" : "ACS incomplete") } else if br.kind == .rootPort || br.kind == .switchDownstream { lines.append("no ACS") }
            return "\(indent)\(bridgeNode(b)) [label=\(label(lines)), shape=box, style=rounded];\n"
        }

        // Groups as clusters, holding their members.
        var placed = Set<String>()
        for grp in g.groups {
            out += "  subgraph \(q("cluster_group_\(grp.number)")) {\n"
            out += "    label=\(q("group \(grp.number)")); style=dashed; color=blue; fontcolor=blue;\n"
            for mem in grp.members {
                switch mem {
                case let .pci(.device(d)), let .platform(d):
                    out += deviceDecl(d, indent: "    "); placed.insert("d\(d.raw)")
                case let .pci(.bridge(b)):
                    out += bridgeDecl(b, indent: "    "); placed.insert("b\(b.raw)")
                }
            }
            out += "  }\n"
        }
        for b in m.buses.ids(Bus.self) {
            let bus = m.buses[b]
            var lines = [bus.name, bus.kind.rawValue]
            if let n = bus.number { lines.append("bus " + String(n, radix: 16).leftPadded(2)) }
            out += "  \(busNode(b)) [label=\(label(lines)), shape=box, style=filled, fillcolor=gray90];\n"
        }
        for b in m.bridges.ids(Bridge.self) where !placed.contains("b\(b.raw)") { out += bridgeDecl(b, indent: "  ") }
        for d in m.devices.ids(Device.self) where !placed.contains("d\(d.raw)") { out += deviceDecl(d, indent: "  ") }
        for i in m.iommus.ids(IOMMU.self) {
            let u = m.iommus[i]
            out += "  \(iommuNode(i)) [label=\(label([u.name, u.kind.rawValue])), shape=octagon, style=filled, fillcolor=lightblue];\n"
        }
        // Edges: DMA flows upward.
        for d in m.devices.ids(Device.self) {
            let attrs = untranslated.contains(d) ? " [color=red, penwidth=2, label=\"untranslated\"]" : ""
            out += "  \(deviceNode(d)) -> \(busNode(m.devices[d].bus))\(attrs);\n"
        }
        for b in m.bridges.ids(Bridge.self) {
            let br = m.bridges[b]
            out += "  \(busNode(br.downstream)) -> \(bridgeNode(b));\n"
            out += "  \(bridgeNode(b)) -> \(busNode(br.upstream))" + (br.windows.isEmpty ? "" : " [label=\(q("\(br.windows.count) window\(br.windows.count == 1 ? "" : "s")"))]") + ";\n"
        }
        for i in m.iommus.ids(IOMMU.self) {
            for p in m.iommus[i].placements {
                switch p {
                case let .bridge(b): out += "  \(iommuNode(i)) -> \(bridgeNode(b)) [style=dashed, arrowhead=none, label=\"translates\"];\n"
                case let .bus(b): out += "  \(iommuNode(i)) -> \(busNode(b)) [style=dashed, arrowhead=none, label=\"translates\"];\n"
                }
            }
        }
        return out + "}\n"
    }
}

extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
