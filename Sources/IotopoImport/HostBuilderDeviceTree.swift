import IotopoFirmware
import IotopoModel
import IotopoSource

/// A device tree a source gave, with its file, so that problems point at it.
public struct DeviceTreeSource: Sendable {
    public var tree: DeviceTree
    public var facts: DeviceTreeFacts
    public var file: FileID
}

/// Reading a device tree into the draft: memory and reserved memory, a bus per DT bus node
/// on the way from each master to the root (its `dma-ranges` as the windows of the bridge
/// above it), the IOMMUs (`#iommu-cells`) at the buses of their masters, each master with
/// the stream IDs of its `iommus`, and each PCIe host bridge as a root complex with its
/// `iommu-map` as ID map.
extension HostBuilder {
    /// `dma-controller@900000` gives `dma-controller-900000`: lowercase letters and digits,
    /// each run of anything else one dash.
    static func dtName(_ node: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(node.utf8.count)
        for var c in node.utf8 {
            if c >= 0x41 && c <= 0x5A { c += 0x20 }
            if (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) { out.append(c) } else if out.last != 0x2D { out.append(0x2D) }
        }
        // Names are at most 128 characters (docs/topology.md); 48 leaves room for the
        // prefixes and suffixes the import adds (`to-`, `soc-`, `-2`).
        if out.count > 48 { out.removeLast(out.count - 48) }
        while out.last == 0x2D { out.removeLast() }
        if out.isEmpty || !(out[0] >= 0x61 && out[0] <= 0x7A) { out = Array("dt-".utf8) + out }
        return String(decoding: out, as: UTF8.self)
    }

    func dtWarn(_ id: String, _ src: DeviceTreeSource, _ path: String, _ m: String) -> Diagnostic {
        let p = FirmwareProblem(id, .warning, table: "DTB", offset: nil, path: path, m)
        return Diagnostic(.warning, id, p.located, at: .fileStart(src.file))
    }

    /// A name no entity of the draft has yet (kept in `taken`, filled from the draft on first
    /// use: a scan of every name per call made large trees quadratic).
    ///
    /// A base that has the form of a name the builders make themselves, some of them after
    /// the firmware's names are taken (`isBuilderName`), is suffixed too: a node called
    /// `system-ram` or `bus-00` must not meet the memory region or root bus of that name.
    mutating func uniqueName(_ base: String) -> String {
        if taken.isEmpty {
            taken = Set(draft.iommus.map(\.name) + draft.buses.map(\.name) + draft.bridges.map(\.name) + draft.devices.map(\.name)
                + draft.platformDevices.map(\.name) + draft.memory.map(\.name))
        }
        var n = base
        var k = 1
        while taken.contains(n) || (k == 1 && Self.isBuilderName(n)) {
            n = base + "-" + String(k)
            k += 1
        }
        taken.insert(n)
        return n
    }

    /// Names the builders give entities of their own: the system bus, the catch-all `soc` bus,
    /// memory regions (`system-ram`, `system-ramN`, `reservedN`), root buses and complexes
    /// (`bus-..`, `rc-..`), and firmware IOMMUs and ITS groups (`dmarN`, `ivhdN`, `smmuN`,
    /// `itsN`).
    static func isBuilderName(_ n: String) -> Bool {
        if n == "system" || n == "soc" || n.hasPrefix("bus-") || n.hasPrefix("rc-") { return true }
        for prefix in ["system-ram", "reserved", "dmar", "ivhd", "smmu", "its"] where n.hasPrefix(prefix) {
            let rest = n.dropFirst(prefix.count)
            if rest.allSatisfy({ $0 >= "0" && $0 <= "9" }) && (!rest.isEmpty || prefix == "system-ram") { return true }
        }
        return false
    }

    /// The draft bus of a DT bus node, made (with its chain up to the root) on first use.
    mutating func dtBus(_ node: Int?, _ src: DeviceTreeSource, _ made: inout [Int: String]) -> String {
        guard let node, node != 0 else { return "system" }
        if let b = made[node] { return b }
        let t = src.tree
        let up = dtBus(t.nodes[node].parent, src, &made)
        let name = uniqueName(Self.dtName(t.nodes[node].name))
        draft.buses.append(DraftBus(name: name, kind: "axi", segment: 0, number: nil, comment: "device tree \(t.nodes[node].path)"))
        var bridge = DraftBridge(name: uniqueName("to-" + name), kind: "bus-bridge", upstream: up, downstream: name, function: nil, comment: nil)
        if let r = src.facts.dmaRanges[node] {
            bridge.windows = r.windows.map { DraftWindow(child: $0.child, parent: $0.parent, size: $0.size) }
            bridge.comment = r.windows.isEmpty ? "dma-ranges is empty: addresses pass 1:1" : "dma-ranges of \(t.nodes[node].path)"
            bridge.sourceNode = t.nodes[node].path
        }
        draft.bridges.append(bridge)
        made[node] = name
        return name
    }

    mutating func buildDeviceTree(_ src: DeviceTreeSource) {
        let t = src.tree, f = src.facts
        var busOf: [Int: String] = [:]
        var iommuName: [Int: String] = [:]
        // IOMMUs first, so that names are taken in tree order.
        for io in f.iommus {
            let kind: String
            if io.compatible.contains(where: { $0.contains("smmu-v3") }) { kind = "arm-smmuv3" }
            else if io.compatible.contains(where: { $0.hasPrefix("arm,mmu-") || $0.contains("smmu") }) { kind = "arm-smmu" }
            else { kind = "generic" }
            let name = uniqueName(Self.dtName(t.nodes[io.node].name))
            iommuName[io.node] = name
            var d = DraftIOMMU(name: name, kind: kind, at: "")
            d.comment = "\(io.path) (\(io.compatible.first ?? "no compatible")), #iommu-cells = <\(io.cells)>"
            // An IOMMU of another family: its ID cell is 32 bits.
            if kind == "generic" { d.streamIDBits = 32 }
            d.scope = []
            draft.iommus.append(d)
        }
        var indexOfIOMMUNode: [Int: Int] = [:]
        for (node, name) in iommuName { indexOfIOMMUNode[node] = draft.iommus.firstIndex { $0.name == name } }
        func iommuIndex(_ node: Int) -> Int? { indexOfIOMMUNode[node] }
        var places: [Int: [String]] = [:]
        // Masters.
        var compatWithIOMMUs: [Int: Set<String>] = [:]   // parent -> compatibles with iommus
        for m in f.masters where !m.specifiers.isEmpty { if let p = m.bus, let c = m.compatible.first { compatWithIOMMUs[p, default: []].insert(c) } }
        for m in f.masters {
            let bus = dtBus(m.bus, src, &busOf)
            let firstIOMMU = m.specifiers.first?.iommu
            if m.specifiers.contains(where: { $0.iommu != firstIOMMU }) {
                sink.report(dtWarn(DeviceTreeLint.twoIOMMUs, src, m.path, "iommus names more than one IOMMU: Linux keeps one IOMMU per device (iommu_fwspec_init refuses a second), so the specifiers of \(f.iommus[firstIOMMU ?? 0].path) are used"))
            }
            let specs = m.specifiers.filter { $0.iommu == firstIOMMU }
            var d = DraftPlatformDevice(name: uniqueName(Self.dtName(t.nodes[m.node].name)), bus: bus, streamIDs: [])
            for s in specs {
                let io = f.iommus[s.iommu]
                // arm-smmu keeps 16 bits of the ID cell (arm_smmu_of_xlate: FIELD_PREP of the SMR
                // ID field), and refuses an ID beyond the SMMU's ("stream ID out of range").
                if let id = s.id, id > 0xFFFF, io.compatible.contains(where: { $0.hasPrefix("arm,mmu-") || ($0.contains("smmu") && !$0.contains("smmu-v3")) }) {
                    sink.report(dtWarn(FirmwareLint.idTooWide, src, m.path, "iommus gives stream ID \(hexDigits(UInt64(id))), wider than an arm-smmu's 16-bit stream IDs: Linux refuses the device ('stream ID out of range for SMMU'); it is left out"))
                    continue
                }
                d.streamIDs.append(s.id ?? 0)
                // One cell on an arm-smmu: the SMMU node's stream-match-mask, if any (arm_smmu_of_xlate).
                d.streamMasks.append(s.mask ?? (io.cells == 1 ? io.streamMatchMask ?? 0 : 0))
            }
            var notes = ["\(m.path)" + (m.compatible.first.map { " (\($0))" } ?? "")]
            if m.dmaCoherent { notes.append("dma-coherent") }
            if specs.contains(where: { f.iommus[$0.iommu].cells == 0 }) { notes.append("a single-master IOMMU (#iommu-cells = <0>): stream ID 0 stands for it") }
            if m.specifiers.isEmpty && !m.endpointMode { continue }
            if m.specifiers.isEmpty { notes.append("no iommus") }
            d.endpoint = m.endpointMode
            if !specs.isEmpty, d.streamIDs.isEmpty {
                d.dma = false
                notes.append("its SMMU refuses every stream ID it has, so its transactions match no stream and are aborted")
            }
            if m.endpointMode { notes.append("a PCIe controller in endpoint mode: the remote host's writes arrive as its DMA") }
            d.comment = notes.joined(separator: "; ")
            if let s = firstIOMMU, let k = iommuIndex(f.iommus[s].node) {
                draft.iommus[k].scope?.append(.device(d.name))
                if !places[k, default: []].contains(bus) { places[k, default: []].append(bus) }
            }
            draft.platformDevices.append(d)
        }
        // Masters without iommus where siblings of their kind have one.
        for (i, n) in t.nodes.enumerated() where !n.has("iommus") && !n.has("#iommu-cells") {
            guard let p = n.parent, let c = t.compatible(i).first, compatWithIOMMUs[p]?.contains(c) == true, t.isAvailable(i) else { continue }
            sink.report(dtWarn(DeviceTreeLint.missingIOMMUs, src, n.path, "has no iommus, yet its siblings of the same kind (\(c)) have one: its DMA bypasses the IOMMU"))
        }
        // PCIe host bridges.
        for (h, host) in f.hosts.enumerated() {
            let seg = host.domain ?? UInt32(h)
            var rcs = rootComplexes(segment: seg)
            if rcs.isEmpty && self.host.functions.isEmpty {
                let up = dtBus(host.bus, src, &busOf)
                let rc = ensureRootComplex(segment: seg, bus: host.busRange.first)
                draft.bridges[rc].upstream = up
                draft.bridges[rc].comment = "PCIe host bridge \(host.path)"
                rcs = [rc]
            }
            if let r = f.dmaRanges[host.node] {
                for rc in rcs { draft.bridges[rc].windows = r.windows.map { DraftWindow(child: $0.child, parent: $0.parent, size: $0.size) } }
            }
            var map: [DraftHostMap] = []
            for e in host.iommuMap {
                guard let name = iommuName[e.target] else {
                    sink.report(dtWarn(FirmwareLint.badReference, src, host.path, "iommu-map names \(t.nodes[e.target].path), which is not an enabled IOMMU"))
                    continue
                }
                map.append(DraftHostMap(ridBase: e.ridBase, iommu: name, outputBase: e.outputBase, length: e.length, comment: nil))
                if let k = iommuIndex(e.target) {
                    for rc in rcs {
                        let rn = draft.bridges[rc].name
                        if !places[k, default: []].contains(rn) { places[k, default: []].append(rn) }
                        if !(draft.iommus[k].scope ?? []).contains(where: { if case let .bridge(b) = $0 { return b == rn } else { return false } }) {
                            draft.iommus[k].scope?.append(.bridge(rn))
                        }
                    }
                }
            }
            let msi = host.msiMap.map { ($0.ridBase, Self.dtName(t.nodes[$0.target].name), $0.outputBase, $0.length) }
            for rc in rcs {
                draft.bridges[rc].idMap = map
                draft.bridges[rc].idMapMask = host.iommuMapMask == .max ? nil : host.iommuMapMask
                draft.bridges[rc].msiMap = msi
                draft.bridges[rc].msiMapMask = host.msiMapMask == .max ? nil : host.msiMapMask
            }
            checkMap(host.iommuMap, host.iommuMapMask, host: host, name: "iommu-map", src)
            checkMap(host.msiMap, host.msiMapMask, host: host, name: "msi-map", src)
        }
        for k in draft.iommus.indices where draft.iommus[k].at.isEmpty {
            let at = places[k] ?? []
            if at.isEmpty {
                let b = uniqueName("soc-" + draft.iommus[k].name)
                draft.buses.append(DraftBus(name: b, kind: "axi", segment: 0, number: nil, comment: "no master names \(draft.iommus[k].name)"))
                draft.bridges.append(DraftBridge(name: uniqueName("to-" + b), kind: "bus-bridge", upstream: "system", downstream: b, function: nil, comment: nil))
                draft.iommus[k].at = b
            } else {
                draft.iommus[k].at = at[0]
                draft.iommus[k].alsoAt = Array(at.dropFirst())
            }
        }
        checkDMARanges(src)
        var note = "device tree" + (f.model.map { " of \($0)" } ?? "") + ": \(f.iommus.count) IOMMU\(f.iommus.count == 1 ? "" : "s"), \(f.masters.filter { !$0.specifiers.isEmpty }.count) masters with iommus, \(f.hosts.count) PCIe host bridge\(f.hosts.count == 1 ? "" : "s")"
        if !f.disabled.isEmpty { note += "; disabled and left out: " + f.disabled.prefix(8).joined(separator: ", ") + (f.disabled.count > 8 ? ", ..." : "") }
        draft.firmwareNotes.append(note)
    }

    /// `dma-ranges` windows whose output reaches no memory (through the windows above, up to
    /// the first IOMMU, as the compiler's `window-unreachable` walks them) are left out with a
    /// warning: DMA through them goes nowhere. A bus left with none carries no DMA at all, so
    /// its masters are written with `dma: false`.
    mutating func pruneUnreachableWindows(_ src: DeviceTreeSource) {
        var bridgeOver: [String: Int] = [:]
        for (i, b) in draft.bridges.enumerated() { bridgeOver[b.downstream] = i }
        let iommuPlaces = Set(draft.iommus.flatMap { [$0.at] + $0.alsoAt })
        let memory = draft.memory.map { ($0.base, $0.base &+ ($0.size - 1)) }
        func through(_ spans: [(UInt64, UInt64)], _ windows: [DraftWindow]) -> [(UInt64, UInt64)] {
            guard !windows.isEmpty else { return spans }
            var out: [(UInt64, UInt64)] = []
            for (a, b) in spans {
                for w in windows {
                    let last = w.child &+ (w.size - 1)
                    let lo = max(a, w.child), hi = min(b, last)
                    if lo <= hi { out.append((w.parent &+ (lo - w.child), w.parent &+ (hi - w.child))) }
                }
            }
            return out
        }
        for i in draft.bridges.indices where !draft.bridges[i].windows.isEmpty {
            var kept: [DraftWindow] = []
            for w in draft.bridges[i].windows {
                var spans = [(w.parent, w.parent &+ (w.size - 1))]
                var bus = draft.bridges[i].upstream
                var guarded = iommuPlaces.contains(draft.bridges[i].name) || iommuPlaces.contains(bus)
                var hops = 0
                while !guarded, let up = bridgeOver[bus], hops < 1024 {
                    spans = through(spans, draft.bridges[up].windows)
                    if iommuPlaces.contains(draft.bridges[up].name) { guarded = true }
                    bus = draft.bridges[up].upstream
                    if iommuPlaces.contains(bus) { guarded = true }
                    hops += 1
                }
                if guarded || spans.contains(where: { s in memory.contains { s.0 <= $0.1 && $0.0 <= s.1 } }) {
                    kept.append(w)
                } else {
                    sink.report(dtWarn(DeviceTreeLint.dmaRangesRAM, src, draft.bridges[i].sourceNode ?? draft.bridges[i].name,
                                       "its dma-ranges window [\(hex(w.child)), +\(hex(w.size))] -> \(hex(w.parent)) reaches no memory; it is left out"))
                }
            }
            if kept.isEmpty {
                let bus = draft.bridges[i].downstream
                for k in draft.platformDevices.indices where draft.platformDevices[k].bus == bus {
                    draft.platformDevices[k].dma = false
                    draft.platformDevices[k].comment = (draft.platformDevices[k].comment ?? "") + "; its bus's dma-ranges reach no memory, so its DMA goes nowhere"
                }
            }
            draft.bridges[i].windows = kept
        }
    }

    /// `iommu-map`/`msi-map` lints: entries overlapping, and requester IDs of the host's bus
    /// range that no entry maps (Linux gives those devices no IOMMU, or no MSI translation).
    mutating func checkMap(_ map: [DeviceTreeFacts.MapEntry], _ mask: UInt32, host: DeviceTreeFacts.PCIHost, name: String, _ src: DeviceTreeSource) {
        guard !map.isEmpty else { return }
        for (i, a) in map.enumerated() {
            for b in map[(i + 1)...] {
                let aEnd = UInt64(a.ridBase) + UInt64(a.length), bEnd = UInt64(b.ridBase) + UInt64(b.length)
                if UInt64(a.ridBase) < bEnd && UInt64(b.ridBase) < aEnd {
                    sink.report(dtWarn(DeviceTreeLint.mapOverlap, src, host.path, "\(name) entries for IDs \(hexDigits(UInt64(a.ridBase)))-\(hexDigits(aEnd - 1)) and \(hexDigits(UInt64(b.ridBase)))-\(hexDigits(bEnd - 1)) overlap: of_map_id takes the first"))
                }
            }
        }
        let lo = UInt32(host.busRange.first) << 8, hi = UInt32(host.busRange.last) << 8 | 0xFF
        var firstGap: UInt32?
        var gapEnd: UInt32 = 0
        var rid = lo
        while rid <= hi {
            let m = rid & mask
            let covered = map.contains { UInt64(m) >= UInt64($0.ridBase) && UInt64(m) < UInt64($0.ridBase) + UInt64($0.length) }
            if !covered {
                if firstGap == nil { firstGap = rid }
                gapEnd = rid
            } else if firstGap != nil { break }
            if rid == hi { break }
            rid += 1
        }
        if let g = firstGap {
            sink.report(dtWarn(DeviceTreeLint.mapUncovered, src, host.path, "\(name) maps no entry for requester IDs \(RequesterID(raw: UInt16(truncatingIfNeeded: g)))-\(RequesterID(raw: UInt16(truncatingIfNeeded: gapEnd))) of bus-range <\(host.busRange.first) \(host.busRange.last)>: a device there gets \(name == "iommu-map" ? "no IOMMU (of_map_id finds no translation)" : "its requester ID as MSI device ID")"))
        }
    }

    /// A bus whose `dma-ranges` let a 32-bit master (addresses below 4 GiB) reach no RAM,
    /// following every `dma-ranges` up to the root (`of_dma_get_range`).
    mutating func checkDMARanges(_ src: DeviceTreeSource) {
        let t = src.tree, f = src.facts
        guard !f.memory.isEmpty else { return }
        for (node, r) in f.dmaRanges.sorted(by: { $0.key < $1.key }) where !r.windows.isEmpty {
            // Child addresses below 4 GiB, as CPU address ranges after every level.
            var spans: [(UInt64, UInt64)] = [(0, 0xFFFF_FFFF)]
            var n: Int? = node
            var hops = 0
            while let k = n, k != 0, hops < DeviceTree.maxDepth {
                if let rr = f.dmaRanges[k], !rr.windows.isEmpty {
                    var next: [(UInt64, UInt64)] = []
                    for (a, b) in spans {
                        for w in rr.windows {
                            let wLast = w.child &+ (w.size - 1)
                            let lo = max(a, w.child), hi = min(b, wLast)
                            guard lo <= hi, w.child <= wLast else { continue }
                            next.append((w.parent &+ (lo - w.child), w.parent &+ (hi - w.child)))
                        }
                    }
                    spans = next
                }
                n = t.nodes[k].parent
                hops += 1
            }
            let reaches = spans.contains { s in f.memory.contains { m in s.0 <= m.base &+ (m.size - 1) && m.base <= s.1 } }
            if !reaches {
                sink.report(dtWarn(DeviceTreeLint.dmaRangesRAM, src, r.path, "dma-ranges leave all RAM out of reach of a 32-bit master below it: addresses under 4 GiB land at \(spans.isEmpty ? "nothing" : spans.map { "[\(hex($0.0)), \(hex($0.1))]" }.joined(separator: ", "))"))
            }
        }
    }
}
