import IotopoModel
import IotopoSource
import IotopoQuirks

/// Renders a draft as topology YAML, laid out as a person would write it: a header comment
/// with the source, the kernel and every assumption; then memory, buses, bridges, IOMMUs and
/// devices, each entry with lspci's description as a comment. One emitter for every reader,
/// so what the user keeps is exactly what iotopo compiles.
public enum TopologyEmitter {
    /// The topology text.
    public static func render(_ d: TopologyDraft) -> String {
        var out = ""
        out.reserveCapacity(256 * (d.devices.count + d.platformDevices.count + d.bridges.count) + 4096)
        header(d, &out)
        out += "platform:\n"
        out += "  name: \(platformName(d))\n"
        out += "  description: \(quote("Imported from \(d.sourceFormat) (\(sourceNames(d.sourcePath)))"))\n"
        if let k = d.kernel { out += "  kernel: \(quote(k))\n" }
        if let u = d.unverified { out += "  unverified: \(quote(u))\n" }
        out += "\nmemory:\n"
        for r in d.memory {
            if let c = r.comment { out += "  # \(comment(c))\n" }
            out += "  - {name: \(r.name), base: \(hex(r.base)), size: \(hex(r.size))" + (r.kind.map { ", kind: \($0)" } ?? "") + "}\n"
        }
        out += "\nbuses:\n"
        for b in d.buses {
            if let c = b.comment { out += "  # \(comment(c))\n" }
            out += "  - {name: \(b.name), kind: \(b.kind)"
            if b.segment != 0 { out += ", segment: 0x\(String(b.segment, radix: 16))" }
            if let n = b.number { out += ", number: 0x\(hex2(n))" }
            out += "}\n"
        }
        out += "\nbridges:\n"
        for b in d.bridges { bridge(b, &out) }
        if !d.iommus.isEmpty {
            out += "\niommus:\n"
            for io in d.iommus { iommu(io, &out) }
        }
        out += "\ndevices:\n"
        for dev in d.devices { device(dev, &out) }
        for dev in d.platformDevices { platformDevice(dev, &out) }
        if !d.observedGroups.isEmpty {
            out += "\n# The IOMMU groups the kernel formed, as the source recorded them; `iotopo groups FILE\n"
            out += "# --compare recorded` holds iotopo's groups against them. Functions not listed had none.\n"
            out += "observed-groups:\n"
            for g in d.observedGroups {
                out += "  - {group: \(g.number), members: [\(g.members.joined(separator: ", "))]"
                if let t = g.type { out += ", type: \(quote(t))" }
                out += "}\n"
            }
        }
        return out
    }

    static func header(_ d: TopologyDraft, _ out: inout String) {
        var from: String
        switch d.sourceFormat {
        case "lspci": from = "lspci -vvnn text"
        case "acpi": from = "ACPI tables"
        case "dtb": from = "a device tree"
        default: from = "a sysfs snapshot"
        }
        if d.sourceFormat != "acpi", d.sourceFormat != "dtb", !d.firmwareNotes.isEmpty {
            from += d.firmwareNotes.contains(where: { $0.hasPrefix("device tree") }) ? " and a device tree" : " and ACPI tables"
        }
        out += "# Imported by `iotopo import` from \(from): \(comment(sourceNames(d.sourcePath)))\n"
        out += "# Kernel: \(d.kernel.map(comment) ?? "unknown")\n"
        for n in d.firmwareNotes { wrap("Firmware: " + comment(n), indent: "#   ", first: "# ", &out) }
        if !d.commandLine.isEmpty { out += "# Kernel command line (its IOMMU words): \(comment(d.commandLine.joined(separator: " ")))\n" }
        if !d.assumptions.isEmpty {
            out += "#\n# Assumptions:\n"
            for a in d.assumptions { wrap("- " + comment(a), indent: "#   ", first: "# ", &out) }
        }
        out += "#\n# Each entry's comment is the source's description of the function. Check with\n"
        out += "# `iotopo check`; see the groups with `iotopo groups --why`.\n\n"
    }

    static func bridge(_ b: DraftBridge, _ out: inout String) {
        if let p = b.pci { out += "  # \(describe(p.function))\n" }
        if let c = b.comment { out += "  # \(comment(c))\n" }
        out += "  - name: \(b.name)\n    kind: \(b.kind)\n    upstream: \(b.upstream)\n    downstream: \(b.downstream)\n"
        if let r = b.rid { out += "    rid: \(ridText(r))\n" }
        if let p = b.pci { pci(p, bridge: true, &out) }
        if !b.windows.isEmpty {
            out += "    windows:\n"
            for w in b.windows { out += "      - {child: \(hex(w.child)), parent: \(hex(w.parent)), size: \(hex(w.size))}\n" }
        }
        if let m = b.idMapMask { out += "    id-map-mask: 0x\(String(m, radix: 16))\n" }
        if let m = b.msiMapMask { out += "    msi-map-mask: 0x\(String(m, radix: 16))\n" }
        if !b.msiMap.isEmpty {
            out += "    msi-map:\n"
            for e in b.msiMap {
                out += "      - {rid-base: 0x\(String(e.0, radix: 16)), msi-controller: \(e.1), output-base: 0x\(String(e.2, radix: 16)), length: 0x\(String(e.3, radix: 16))}\n"
            }
        }
        if !b.idMap.isEmpty {
            out += "    id-map:\n"
            for e in b.idMap {
                if let c = e.comment { out += "      # \(comment(c))\n" }
                out += "      - {rid-base: 0x\(String(e.ridBase, radix: 16)), iommu: \(e.iommu), output-base: 0x\(String(e.outputBase, radix: 16)), length: 0x\(String(e.length, radix: 16))}\n"
            }
        }
    }

    static func iommu(_ io: DraftIOMMU, _ out: inout String) {
        if let c = io.comment { out += "  # \(comment(c))\n" }
        out += "  - name: \(io.name)\n    kind: \(io.kind)\n"
        out += io.alsoAt.isEmpty ? "    at: \(io.at)\n" : "    at: [\(([io.at] + io.alsoAt).joined(separator: ", "))]\n"
        if let b = io.outputBits { out += "    output-bits: \(b)\n" }
        if let b = io.streamIDBits { out += "    stream-id-bits: \(b)\n" }
        if io.includeAll { out += "    include-all: true\n" }
        if let s = io.scope {
            out += s.isEmpty ? "    scope: []\n" : "    scope:\n"
            for (i, e) in s.enumerated() {
                if let c = io.scopeComments[i] { out += "      # \(comment(c))\n" }
                switch e {
                case let .rids(a, b): out += a == b ? "      - {rid: \(a)}\n" : "      - {from: \(a), to: \(b)}\n"
                case let .bridge(n): out += "      - {bridge: \(n)}\n"
                case let .device(n): out += "      - {device: \(n)}\n"
                case .function: break   // resolved to a name or an ID before emitting
                }
            }
        }
        if !io.aliases.isEmpty {
            out += "    aliases:\n"
            for (a, b, x) in io.aliases { out += a == b ? "      - {rid: \(a), as: \(x)}\n" : "      - {from: \(a), to: \(b), as: \(x)}\n" }
        }
        if !io.suppress.isEmpty {
            out += "    suppress:\n"
            for (id, why) in io.suppress { out += "      \(id): \(quote(why))\n" }
        }
    }

    static func device(_ d: DraftDevice, _ out: inout String) {
        out += d.pci.identityKnown ? "  # \(describe(d.pci.function))\n" : "  # \(d.rid.description): a function only the firmware tables name; its IDs are unknown\n"
        if let c = d.comment { out += "  # \(comment(c))\n" }
        out += "  - name: \(d.name)\n    kind: \(d.kind)\n    bus: \(d.bus)\n    rid: \(ridText(d.rid))\n"
        if !d.dma { out += "    dma: false\n" }
        pci(d.pci, bridge: false, &out)
        if let t = d.defaultDomain { out += "    default-domain: \(t)\n" }
        if !d.aliases.isEmpty {
            for (_, why) in d.aliases { out += "    # \(comment(why))\n" }
            out += "    aliases: [\(d.aliases.map { hex2($0.0 >> 3) + "." + String($0.0 & 7) }.joined(separator: ", "))]\n"
        }
        if !d.reserved.isEmpty {
            out += "    reserved:\n"
            for r in d.reserved {
                out += "      # \(comment(r.comment))\n"
                out += "      - {base: 0x\(String(r.base, radix: 16)), size: 0x\(String(r.size, radix: 16))}\n"
            }
        }
        if !d.suppress.isEmpty {
            out += "    suppress:\n"
            for (id, why) in d.suppress { out += "      \(id): \(quote(why))\n" }
        }
    }

    static func platformDevice(_ d: DraftPlatformDevice, _ out: inout String) {
        if let c = d.comment { out += "  # \(comment(c))\n" }
        out += "  - name: \(d.name)\n    bus: \(d.bus)\n"
        if !d.streamIDs.isEmpty {
            out += "    stream-ids: ["
            for (k, id) in d.streamIDs.enumerated() {
                if k > 0 { out += ", " }
                let m = k < d.streamMasks.count ? d.streamMasks[k] : 0
                if m == 0 {
                    out += "0x"
                    out += String(id, radix: 16)
                } else {
                    out += "{id: 0x"
                    out += String(id, radix: 16)
                    out += ", mask: 0x"
                    out += String(m, radix: 16)
                    out += "}"
                }
            }
            out += "]\n"
        }
        if d.endpoint { out += "    pcie-endpoint: true\n" }
        if !d.dma { out += "    dma: false\n" }
        if let b = d.dmaBits { out += "    dma-bits: \(b)\n" }
        if !d.reserved.isEmpty {
            out += "    reserved:\n"
            for r in d.reserved {
                out += "      # \(comment(r.comment))\n"
                out += "      - {base: 0x\(String(r.base, radix: 16)), size: 0x\(String(r.size, radix: 16))}\n"
            }
        }
    }

    /// The keys every PCI function has.
    static func pci(_ p: DraftPCI, bridge: Bool, _ out: inout String) {
        let f = p.function
        guard p.identityKnown else { return }
        out += "    pci-id: \(hex4(UInt32(f.vendor))):\(hex4(UInt32(f.device)))\n"
        if let s = f.subsystem { out += "    subsystem: \(hex4(UInt32(s.vendor))):\(hex4(UInt32(s.device)))\n" }
        if let r = f.revision { out += "    revision: 0x\(hex2(r))\n" }
        out += "    class: 0x\(hex6(f.classCode))\n"
        if !bridge, let t = f.portType { out += "    port-type: \(t.rawValue)\n" }
        if p.multifunction { out += "    multifunction: true\n" }
        if let acs = f.acs {
            out += "    acs: {capability: [\(acs.capability.nameList.joined(separator: ", "))], control: [\(acs.control.nameList.joined(separator: ", "))]}\n"
        }
        if f.ari { out += "    ari: true\n" }
        if let sr = f.sriov {
            out += "    sriov: {total-vfs: \(sr.totalVFs), enabled-vfs: \(sr.enabledVFs), offset: \(sr.offset), stride: \(sr.stride)"
            if let v = sr.vfDevice { out += ", vf-device: 0x\(hex4(UInt32(v)))" }
            out += "}\n"
        }
        if let pf = p.physfn { out += "    physfn: \(pf)\n" }
        if let drv = f.driver { out += "    driver: \(quote(drv))\n" }
    }

    /// `bb:dd.f` in segment 0, as people write it; `ssss:bb:dd.f` elsewhere.
    static func ridText(_ a: PCIAddress) -> String { a.segment == 0 ? a.rid.description : a.description }

    /// `Class: Description (rev rr)` from lspci, or the IDs alone.
    static func describe(_ f: HostFunction) -> String {
        var s = f.address.description + " "
        s += f.className.isEmpty ? ClassNames.name(f.classCode) : f.className
        s += ": " + (f.description.isEmpty ? "\(hex4(UInt32(f.vendor))):\(hex4(UInt32(f.device)))" : f.description)
        return comment(s)
    }

    // MARK: Text

    /// A platform name from the source's file name.
    static func platformName(_ d: TopologyDraft) -> String {
        if let n = d.name, isName(n) { return n }
        if d.sourcePath == "<host>" { return "this-host" }
        var base = baseName(sourceList(d.sourcePath).first ?? d.sourcePath)
        if let dot = base.lastIndex(of: "."), dot != base.startIndex { base = String(base[..<dot]) }
        var out = ""
        for ch in base.unicodeScalars {
            if ch.properties.isASCIIHexDigit || ("a" ... "z").contains(ch) || ("A" ... "Z").contains(ch) || ("0" ... "9").contains(ch) {
                out.unicodeScalars.append(ch)
            } else if !out.hasSuffix("-") {
                out += "-"
            }
        }
        out = String(out.lowercased().prefix(100))
        while out.hasSuffix("-") { out.removeLast() }
        if out.isEmpty || !(out.first?.isLetter ?? false) { out = "host" + (out.isEmpty ? "" : "-" + out) }
        return out
    }

    static func isName(_ s: String) -> Bool {
        guard let f = s.unicodeScalars.first, f == "_" || ("a" ... "z").contains(f) || ("A" ... "Z").contains(f), s.unicodeScalars.count <= 128 else { return false }
        return s.unicodeScalars.allSatisfy { $0 == "_" || $0 == "." || $0 == "-" || ("a" ... "z").contains($0) || ("A" ... "Z").contains($0) || ("0" ... "9").contains($0) }
    }

    static func baseName(_ path: String) -> String {
        let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
        return trimmed.split(separator: "/").last.map(String.init) ?? trimmed
    }

    /// The sources' file names, `lspci.txt + acpidump.txt` for several joined.
    static func sourceNames(_ path: String) -> String {
        sourceList(path).map(baseName).joined(separator: " + ")
    }

    /// The paths of joined sources (`a + b`, as `Importer.join` records them).
    static func sourceList(_ path: String) -> [String] {
        let u = Array(path.utf8)
        var out: [String] = []
        var start = 0
        var i = 0
        while i + 2 < u.count {
            if u[i] == 0x20, u[i + 1] == 0x2B, u[i + 2] == 0x20 {
                out.append(String(decoding: u[start ..< i], as: UTF8.self))
                i += 3
                start = i
            } else {
                i += 1
            }
        }
        out.append(String(decoding: u[start...], as: UTF8.self))
        return out
    }

    /// Comment text on one line, by `TerminalText`'s rule: control characters (a newline
    /// would end the comment, an ESC would reach the terminal) in caret notation (`^[`);
    /// C1 and bidi controls, and the line and paragraph separators that YAML 1.1 takes as
    /// line breaks (U+2028, U+2029, and NEL, U+0085: they would end the comment too), as
    /// `<U+202E>`.
    static func comment(_ s: String) -> String { TerminalText.visible(s) }

    /// A double-quoted YAML string. The characters `TerminalText` shows escaped are written
    /// as YAML `\u` escapes: the value read back is the same, and the file shows them.
    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if u.value < 0x20 || TerminalText.isHidden(u) {
                    out += "\\u" + String(repeating: "0", count: 4 - String(u.value, radix: 16).count) + String(u.value, radix: 16)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    /// Wraps a comment at about 96 columns.
    static func wrap(_ text: String, indent: String, first: String, _ out: inout String) {
        var line = first
        for word in text.split(separator: " ") {
            if line.count + word.count + 1 > 96, line != first, line != indent {
                out += line + "\n"
                line = indent
            }
            line += (line == first || line == indent ? "" : " ") + word
        }
        out += line + "\n"
    }

    static func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }

    static func hex6(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, 6 - s.count)) + s
    }
}
