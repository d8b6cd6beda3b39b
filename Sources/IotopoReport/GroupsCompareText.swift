import IotopoAnalysis
import IotopoModel
import IotopoSource

/// `iotopo groups --compare`: where iotopo's groups and the kernel's differ, and why iotopo
/// put each function where it did.
public enum GroupsCompareText {
    /// The report. `explained` is an override that reproduces the kernel's groups, if one
    /// was found.
    public static func render(_ c: GroupComparison, _ g: GroupAnalysis, _ m: SystemModel, observedName: String,
                              explained: ACSOverride?) -> String {
        let names = nameTable(m)
        func label(_ k: FunctionKey) -> String { names[k].map { "\($0) (\(k.description))" } ?? k.description }
        var reasons: [FunctionKey: String] = [:]
        let keys = GroupComparison.keys(m)
        for grp in g.groups {
            for (mem, r) in zip(grp.members, grp.reasons) {
                if case let .pci(ref) = mem, let k = keys[ref] { reasons[k] = r.text }
            }
        }
        var out = "iotopo's groups (\(g.policy.rawValue) rules, quirks of Linux \(m.platform.quirkRelease ?? "?")"
        if let o = g.override { out += ", --acs-override \(o.text)" }
        out += ") against \(TerminalText.visible(observedName))\n"
        if let u = m.platform.unverified { out += "unverified: \(TerminalText.visible(u))\n" }
        if c.same {
            out += "same partition: \(c.matched) group\(c.matched == 1 ? "" : "s") over \(c.functions) function\(c.functions == 1 ? "" : "s")\n"
        } else {
            out += "differs: \(c.differences.count) place\(c.differences.count == 1 ? "" : "s"); \(c.matched) group\(c.matched == 1 ? "" : "s") match\n"
        }
        for (n, d) in c.differences.enumerated() {
            out += "\ndifference \(n + 1)\n"
            for p in d.predicted {
                out += "  iotopo: " + (p.number.map { "group \($0)" } ?? "no group") + "\n"
                for k in p.members {
                    out += "    \(label(k))\n"
                    if let r = reasons[k] { out += "        why: \(r)\n" } else { out += "        why: no IOMMU manages it\n" }
                }
            }
            for o in d.observed {
                out += "  kernel: " + (o.number.map { "group \($0)" } ?? "no group") + ": " + o.members.map(label).joined(separator: ", ") + "\n"
            }
        }
        if !c.missingFromTopology.isEmpty {
            out += "\nin \(TerminalText.visible(observedName)) but not in the topology: " + c.missingFromTopology.map(\.description).joined(separator: ", ") + "\n"
        }
        if let e = explained {
            out += "\nexplained: --acs-override \(e.text) reproduces the kernel's groups; the kernel likely runs the out-of-tree pcie_acs_override patch (not upstream)\n"
        }
        if !c.renumbered.isEmpty {
            out += "\ngroup numbers (probe order, not compared): " + c.renumbered.map { "iotopo \($0.0) = kernel \($0.1)" }.joined(separator: ", ") + "\n"
        }
        return out
    }

    /// Every PCI function's name by key.
    static func nameTable(_ m: SystemModel) -> [FunctionKey: String] {
        var out: [FunctionKey: String] = [:]
        for (ref, k) in GroupComparison.keys(m) {
            switch ref {
            case let .device(d): out[k] = m.devices[d].name
            case let .bridge(b): out[k] = m.bridges[b].name
            }
        }
        return out
    }
}
