import IotopoAnalysis
import IotopoModel
import IotopoSource

/// `iotopo diff A B` as text or JSON.
public enum DiffText {
    static func ranges(_ list: [AddressRange]) -> String {
        let shown = list.prefix(3).map { "\(hex($0.base))-\(hex($0.last))" }.joined(separator: ", ")
        return list.count > 3 ? shown + ", and \(list.count - 3) more" : shown
    }

    public static func render(_ d: PlatformDiff, before: String, after: String) -> String {
        var out = "--- \(TerminalText.visible(before))\n+++ \(TerminalText.visible(after))\n"
        if d.isEmpty { return out + "no change in devices, reachability, groups or policy violations\n" }
        if !d.devicesAdded.isEmpty || !d.devicesRemoved.isEmpty {
            out += "\ndevices\n"
            for n in d.devicesAdded { out += "  + \(n)\n" }
            for n in d.devicesRemoved { out += "  - \(n)\n" }
        }
        if !d.gained.isEmpty {
            out += "\nreach gained\n"
            for c in d.gained { out += "  + \(c.device) can \(c.access) \(c.region): \(sizeText(c.bytes)) more (\(ranges(c.ranges)))\n" }
        }
        if !d.lost.isEmpty {
            out += "\nreach lost\n"
            for c in d.lost { out += "  - \(c.device) can no longer \(c.access) \(c.region): \(sizeText(c.bytes)) (\(ranges(c.ranges)))\n" }
        }
        if !d.groupChanges.isEmpty {
            out += "\nIOMMU groups\n"
            for g in d.groupChanges {
                let names = g.devices.map { "'\($0)'" }.joined(separator: ", ")
                func groupList(_ l: [Int]) -> String { (l.count == 1 ? "group " : "groups ") + l.map(String.init).joined(separator: ", ") }
                let extra = g.newDevices.isEmpty ? "" : "; " + g.newDevices.map { "'\($0)'" }.joined(separator: ", ") + (g.merged ? " is new" : " is gone")
                if g.merged {
                    out += "  merged: \(names) now share group \(g.groupAfter.map(String.init).joined(separator: ", ")) (before: \(groupList(g.groupBefore))\(extra))\n"
                } else {
                    out += "  split: \(names) no longer share group \(g.groupBefore.map(String.init).joined(separator: ", ")) (now: \(groupList(g.groupAfter))\(extra))\n"
                }
            }
        }
        if !d.violationsAdded.isEmpty || !d.violationsRemoved.isEmpty {
            out += "\npolicy violations\n"
            for v in d.violationsAdded { out += "  + \(v)\n" }
            for v in d.violationsRemoved { out += "  - \(v)\n" }
        }
        out += "\n" + (d.reachGrew ? "reachability grew" : "reachability did not grow")
        if !d.violationsAdded.isEmpty { out += "; \(d.violationsAdded.count) new policy violation\(d.violationsAdded.count == 1 ? "" : "s")" }
        return out + "\n"
    }

    public static func json(_ d: PlatformDiff, before: String, after: String) -> String {
        func changes(_ list: [PlatformDiff.ReachChange]) -> JSON {
            .array(list.map { c in
                .object([("device", .string(c.device)), ("region", .string(c.region)), ("access", .string(c.access)),
                         ("bytes", .string(hex(c.bytes))),
                         ("ranges", .array(c.ranges.map { .object([("base", .string(hex($0.base))), ("last", .string(hex($0.last)))]) }))])
            })
        }
        return JSON.object([
            ("before", .string(before)), ("after", .string(after)),
            ("reachGrew", .bool(d.reachGrew)),
            ("devicesAdded", .array(d.devicesAdded.map { .string($0) })),
            ("devicesRemoved", .array(d.devicesRemoved.map { .string($0) })),
            ("gained", changes(d.gained)), ("lost", changes(d.lost)),
            ("groups", .array(d.groupChanges.map { g in
                .object([("change", .string(g.merged ? "merged" : "split")), ("devices", .array(g.devices.map { .string($0) })),
                         ("before", .array(g.groupBefore.map { .int(Int64($0)) })), ("after", .array(g.groupAfter.map { .int(Int64($0)) })),
                         ("new", .array(g.newDevices.map { .string($0) }))])
            })),
            ("violationsAdded", .array(d.violationsAdded.map { .string($0) })),
            ("violationsRemoved", .array(d.violationsRemoved.map { .string($0) })),
        ]).serialized(indent: 2, inlineFrom: 4) + "\n"
    }
}
