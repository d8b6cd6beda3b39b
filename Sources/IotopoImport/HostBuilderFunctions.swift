import IotopoModel
import IotopoQuirks
import IotopoSource

extension HostBuilder {
    /// Every function becomes a bridge (a header with bus numbers) or a device, with what the
    /// source said of it.
    mutating func buildFunctions(_ order: [Int]) {
        var slotCount: [PCIAddress: Int] = [:]
        for i in order where !isVF(i) {
            var a = host.functions[i].address
            a.function = 0
            slotCount[a, default: 0] += 1
        }
        let unreadable = host.functions.contains { !$0.capabilitiesRead }
        // Bridges placed before this pass (VMD endpoints), by function.
        var placed: [Int: Int] = [:]
        for (b, br) in draft.bridges.enumerated() { if let f = br.function, placed[f] == nil { placed[f] = b } }
        for i in order {
            let f = host.functions[i]
            var slot = f.address
            slot.function = 0
            var pci = DraftPCI(function: f)
            // ACS control bits of features the capability does not implement are hardwired to
            // 0 (PCIe Base spec, ACS Control Register: each bit "must be hardwired to
            // 0b" when its capability bit is clear), so a source showing one set was not read
            // from the hardware as it is. It is reported and taken as off, so that the
            // topology says what the hardware does.
            if let acs = pci.function.acs, !acs.control.subtracting(acs.capability).isEmpty {
                let extra = acs.control.subtracting(acs.capability)
                sink.warning(ImportCheck.conflict, "function \(f.address): ACS control enables \(extra.nameList.joined(separator: ", ")), which its ACS capability does not implement; such control bits are hardwired to 0, so they are taken as off",
                             at: f.range)
                pci.function.acs?.control = acs.control.intersection(acs.capability)
            }
            // SR-IOV counts are 16-bit registers, and NumVFs cannot exceed TotalVFs (the kernel
            // refuses more: sriov_numvfs_store returns -ERANGE past pci_sriov_get_totalvfs). A
            // source saying otherwise was not read from the hardware as it is.
            if var sr = pci.function.sriov {
                let fields = [sr.totalVFs, sr.enabledVFs, sr.offset, sr.stride]
                if fields.contains(where: { $0 < 0 || $0 > 0xFFFF }) || sr.enabledVFs > sr.totalVFs {
                    let clamp = { (x: Int) in min(max(x, 0), 0xFFFF) }
                    sr.totalVFs = clamp(sr.totalVFs)
                    sr.offset = clamp(sr.offset)
                    sr.stride = clamp(sr.stride)
                    sr.enabledVFs = min(clamp(sr.enabledVFs), sr.totalVFs)
                    sink.warning(ImportCheck.conflict, "function \(f.address): SR-IOV counts (total \(fields[0]), enabled \(fields[1]), offset \(fields[2]), stride \(fields[3])) are not what 16-bit registers with NumVFs at most TotalVFs can hold; taken as total \(sr.totalVFs), enabled \(sr.enabledVFs)",
                                 at: f.range)
                    pci.function.sriov = sr
                }
            }
            // Linux reads `multifunction` from the header type's bit 7 (pci_setup_device); lspci
            // does not print it, so a slot with more than one function is taken as
            // multifunction. VFs never are (pci_iov_add_virtfn clears it).
            pci.multifunction = !isVF(i) && (f.multifunctionBit ?? (slotCount[slot, default: 1] > 1))
            if let (pf, v) = vf(i), let p = name(pf) {
                pci.physfn = p
                pci.vfIndex = v
            }
            let busName = Self.busName(BusKey(segment: f.address.segment, bus: f.address.bus))
            if let b = placed[i] {
                // A VMD endpoint, already placed as the bridge to its domain.
                draft.bridges[b].rid = f.address
                draft.bridges[b].pci = pci
                continue
            }
            if let buses = f.buses, bridgeOwns(i, buses) {
                var kind: String
                var comment: String?
                switch f.portType {
                case .rootPort?: kind = "root-port"
                case .upstreamPort?: kind = "switch-upstream"
                case .downstreamPort?: kind = "switch-downstream"
                case .pcieToPCI?: kind = "pcie-to-pci"
                case .pciToPCIe?: kind = "pci-to-pcie"
                case .conventional?: kind = "pci-bridge"
                case nil:
                    kind = inferredPortKind(f)
                    comment = "port type assumed from its place (capabilities unreadable)"
                case let other?:
                    // A bridge header with an endpoint's port type: Linux neither aliases through
                    // it nor asks its ACS unless it is multifunction, as for an upstream port.
                    kind = "switch-upstream"
                    comment = "a bridge whose Express capability says \(other.rawValue); treated as an upstream port"
                }
                draft.bridges.append(DraftBridge(name: name(i) ?? bridgeName(f), kind: kind, upstream: busName,
                                                 downstream: Self.busName(BusKey(segment: f.address.segment, bus: buses.secondary)),
                                                 function: i, rid: f.address, pci: pci, comment: comment))
                continue
            }
            var d = DraftDevice(name: name(i) ?? "fn-" + Self.addressSuffix(f.address), kind: Self.kind(f), bus: busName, rid: f.address, pci: pci)
            if let b = f.buses {
                if Self.isVMD(f) {
                    d.comment = "a VMD endpoint showing bridge bus numbers, which are ignored"
                } else if claimsBus(i, b), let owner = bridgeAbove(segment: f.address.segment, bus: b.secondary) {
                    d.comment = "a bridge header claiming secondary bus \(hex2(b.secondary)), which \(host.functions[owner].address) claims first: imported as a function"
                } else {
                    d.comment = "a bridge header whose secondary bus (\(hex2(b.secondary))) is not above its own: unconfigured, imported as a function"
                }
            }
            // A bridge's port type on a function that leads to no bus (no `Bus:` line, or bus
            // numbers that lead nowhere of its own) is not written: the language keeps those
            // types for bridges. For its group it changes nothing: pci_acs_enabled asks a root
            // or downstream port's ACS as it asks a multifunction endpoint's, and a function
            // with no bus below it has nothing downstream to isolate.
            if let t = f.portType, [.rootPort, .upstreamPort, .downstreamPort, .pcieToPCI, .pciToPCIe].contains(t) {
                d.pci.function.portType = nil
                d.comment = (d.comment.map { $0 + "; " } ?? "") + "its Express capability says \(t.rawValue), but no bus of its own is below it: imported as a function"
            }
            if f.baseSubclass == 0x0600 {
                d.dma = false
                d.comment = d.comment ?? "the host bridge's own function: it masters no DMA"
            } else if f.baseSubclass == 0x0806, f.vendor == 0x1022 || f.vendor == 0x1002 {
                d.dma = false
                d.comment = "the AMD IOMMU's own PCI function"
            }
            if unreadable, f.portType == nil { d.pci.portTypeAssumed = true }
            // The kernel's word for the group's default domain, where the snapshot has it.
            if let g = f.observedGroup, let t = host.groupTypes[g], DefaultDomainType(rawValue: t) != nil { d.defaultDomain = t }
            draft.devices.append(d)
        }
    }

    /// Whether a bridge function's bus numbers are configured: its secondary number is above
    /// its bus's and not above its subordinate (`pci_scan_bridge_extend` reconfigures
    /// anything else).
    func claimsBus(_ i: Int, _ b: BridgeBuses) -> Bool {
        b.secondary > host.functions[i].address.bus && b.secondary <= b.subordinate
    }

    /// Whether a bridge function leads to a bus of its own: it claims the bus and is the
    /// first to (see `build`).
    func bridgeOwns(_ i: Int, _ b: BridgeBuses) -> Bool {
        bridgeAbove(segment: host.functions[i].address.segment, bus: b.secondary) == i
    }

    /// Whether function `i` is imported as a bridge.
    func isBridge(_ i: Int) -> Bool {
        host.functions[i].buses.map { bridgeOwns(i, $0) } ?? false
    }

    /// lspci without root: a bridge on a root bus is taken as a root port; one below a root or
    /// downstream port as a switch's upstream port; one below an upstream port as a
    /// downstream port.
    func inferredPortKind(_ f: HostFunction) -> String {
        // Bus numbers only grow downward, so the recursion ends at a root bus.
        guard let parent = bridgeAbove(segment: f.address.segment, bus: f.address.bus),
              host.functions[parent].address.bus < f.address.bus else { return "root-port" }
        return inferredPortKind(host.functions[parent]) == "switch-upstream" ? "switch-downstream" : "switch-upstream"
    }

    /// System RAM from /proc/iomem, or one assumed region.
    mutating func buildMemory() {
        if let ram = host.ram, !ram.isEmpty {
            // Reserved memory (the device tree's /reserved-memory) is cut out of RAM: regions
            // may not overlap, and a device must not be given it.
            // Overlapping reserved ranges become one region (regions may not overlap), named
            // after each; so do overlapping RAM ranges (two memory nodes describing one bank).
            var reserved: [(range: AddressRange, name: String, noMap: Bool)] = []
            for v in (host.deviceTree?.facts.reserved ?? []).sorted(by: { $0.range.base < $1.range.base }) {
                // DeviceTreeFacts leaves out ranges past 2^64.
                let r = AddressRange(base: v.range.base, last: v.range.base &+ (v.range.size - 1))
                if let last = reserved.last, r.base <= last.range.last {
                    reserved[reserved.count - 1] = (AddressRange(base: last.range.base, last: max(last.range.last, r.last)),
                                                    last.name + ", /reserved-memory/" + v.name, last.noMap && v.noMap)
                } else {
                    reserved.append((range: r, name: v.name, noMap: v.noMap))
                }
            }
            var banks: [AddressRange] = []
            for r in ram.sorted(by: { $0.base < $1.base }) {
                if let last = banks.last, r.base <= last.last || (last.last < UInt64.max && r.base == last.last + 1) {
                    banks[banks.count - 1] = AddressRange(base: last.base, last: max(last.last, r.last))
                } else {
                    banks.append(r)
                }
            }
            var pieces: [(UInt64, UInt64)] = []
            for r in banks {
                var cuts: [(UInt64, UInt64)] = [(r.base, r.last)]
                for v in reserved {
                    let vLast = v.range.last
                    cuts = cuts.flatMap { c -> [(UInt64, UInt64)] in
                        guard v.range.base <= c.1, vLast >= c.0 else { return [c] }
                        var out: [(UInt64, UInt64)] = []
                        if v.range.base > c.0 { out.append((c.0, v.range.base - 1)) }
                        if vLast < c.1 { out.append((vLast + 1, c.1)) }
                        return out
                    }
                }
                pieces += cuts
            }
            let from = host.deviceTree != nil ? "the device tree's memory nodes" : "/proc/iomem"
            for (n, r) in pieces.enumerated() { draft.memory.append(DraftRegion(name: "system-ram\(n)", base: r.0, size: r.1 - r.0 + 1, comment: n == 0 ? "System RAM, from \(from)" : nil)) }
            for (n, v) in reserved.enumerated() {
                let span = v.range.last - v.range.base
                draft.memory.append(DraftRegion(name: "reserved\(n)", base: v.range.base, size: span == .max ? .max : span + 1,
                                                comment: "/reserved-memory/\(v.name)" + (v.noMap ? " (no-map: the kernel never maps it)" : ""), kind: "reserved"))
            }
            return
        }
        draft.memory.append(DraftRegion(name: "system-ram", base: 0, size: 1 << 32, comment: "assumed: the source does not describe memory"))
        draft.assumptions.append("memory is one 4 GiB RAM region at 0: \(host.format == "lspci" ? "lspci does not describe memory" : host.format == "acpi" ? "the ACPI tables do not describe RAM" : "the snapshot has no readable /proc/iomem")")
    }

    /// The groups the kernel formed, by member name.
    mutating func buildObservedGroups(_ order: [Int]) {
        var groups: [Int: [String]] = [:]
        // Names by function and by address, looked up once each (a linear search per
        // function made a 100,000-function import quadratic).
        var bridgeName: [Int: String] = [:]
        for b in draft.bridges { if let f = b.function, bridgeName[f] == nil { bridgeName[f] = b.name } }
        var deviceName: [PCIAddress: String] = [:]
        for d in draft.devices where deviceName[d.rid] == nil { deviceName[d.rid] = d.name }
        for i in order {
            guard let g = host.functions[i].observedGroup else { continue }
            if let n = bridgeName[i] ?? deviceName[host.functions[i].address] { groups[g, default: []].append(n) }
        }
        draft.observedGroups = groups.keys.sorted().map { (number: $0, members: groups[$0] ?? [], type: host.groupTypes[$0]) }
    }

    mutating func noteAssumptions() {
        if host.functions.contains(where: { !$0.capabilitiesRead }) {
            let msg = "capabilities could not be read (lspci was not run as root: 'Capabilities: <access denied>'): port types are assumed from the bridges' places, and no function is taken to have ACS; groups computed from this import are unverified"
            draft.assumptions.insert(msg, at: 0)
            draft.unverified = "capabilities unreadable: port types assumed, ACS assumed absent"
            sink.warning(ImportCheck.assumed, msg, at: host.functions.first { !$0.capabilitiesRead }?.range)
        }
        if host.functions.contains(where: { $0.multifunctionBit == nil }) {
            draft.assumptions.append("a slot with more than one function is taken as multifunction (\(host.format) does not show the header type's multifunction bit)")
        }
        draft.commandLine = host.commandLine
        // pcie_acs_override= is read only by kernels carrying the out-of-tree patch; the
        // words are the patch's (downstream, multifunction, id:vvvv:dddd).
        if let w = host.commandLine.last(where: { $0.hasPrefix("pcie_acs_override=") }) {
            let words = String(w.dropFirst("pcie_acs_override=".count))
            draft.assumptions.append("the kernel command line sets pcie_acs_override=\(words): a kernel with the out-of-tree ACS override patch groups more finely than upstream rules; iotopo's groups follow upstream, and `iotopo groups --acs-override \(words)` shows the what-if")
        }
        if draft.kernel == nil {
            draft.assumptions.append("the kernel release is unknown (\(host.format) does not say; pass --kernel): the quirks of the newest release iotopo knows apply")
        }
    }

    func isVF(_ i: Int) -> Bool { vf(i) != nil }

    /// Below an SMMUv3 placed by the import, the devices Linux refuses: arm-smmu-v3 keeps one
    /// master per stream ID (arm_smmu_insert_master), and a device presenting a stream ID an
    /// earlier-probed function holds (behind a PCIe-to-PCI bridge, every device but the first
    /// aliases to the bridge's secondary bus, 00.0) fails its probe and gets no group. The
    /// topology describes the machine as it is, so each such device carries a suppression of
    /// `stream-id-alias` saying why; `groups` shows it refused. Stream IDs are the requester
    /// IDs, as the import assumes for an SMMU.
    mutating func markRefusedStreamIDs(_ order: [Int]) {
        let smmuSegments = Set(draft.iommus.filter { $0.kind == "arm-smmuv3" }.compactMap { io in
            draft.rootComplexes.first { draft.bridges[$0.0].name == io.at }?.1
        })
        guard !smmuSegments.isEmpty else { return }
        var deviceIndex: [PCIAddress: Int] = [:]
        for (k, d) in draft.devices.enumerated() { deviceIndex[d.rid] = k }
        var holder: [UInt32: [UInt16: PCIAddress]] = [:]
        for i in order {
            let f = host.functions[i]
            // The requester IDs the function's DMA presents, and the segment where they reach
            // the IOMMU: up through the bridges (a PCIe-to-PCI bridge presents its secondary
            // bus, 00.0; a conventional one its own ID), and out of a VMD domain as the VMD
            // endpoint's ID, from the endpoint's place (pci_real_dma_dev).
            var segment = f.address.segment
            var rids: [UInt16] = [f.address.rid.raw]
            var bus = f.address.bus
            var hops = 0
            while hops < 512 {
                while let b = bridgeAbove(segment: segment, bus: bus), hops < 512 {
                    let bf = host.functions[b]
                    switch bf.portType {
                    case .pcieToPCI?: if let s = bf.buses?.secondary { rids.append(UInt16(s) << 8) }
                    case .conventional?: rids.append(bf.address.rid.raw)
                    default: break
                    }
                    bus = bf.address.bus
                    hops += 1
                }
                guard let v = vmdOfSegment[segment], v != i else { break }
                let vf = host.functions[v].address
                rids = [vf.rid.raw]
                segment = vf.segment
                bus = vf.bus
                hops += 1
            }
            guard smmuSegments.contains(segment) else { continue }
            var seen: [UInt16] = []
            for r in rids where !seen.contains(r) { seen.append(r) }
            if let clash = seen.first(where: { holder[segment]?[$0].map { $0 != f.address } ?? false }),
               let other = holder[segment]?[clash] {
                if let k = deviceIndex[f.address] {
                    let who = deviceIndex[other].map { "'\(draft.devices[$0].name)'" } ?? other.description
                    draft.devices[k].suppress.append(("stream-id-alias", "Linux refuses this device: stream ID \(hex4(UInt32(clash))) (requester ID \(RequesterID(raw: clash))) is already held by \(who) (arm_smmu_insert_master), so it has no IOMMU group"))
                }
                continue
            }
            for r in seen where holder[segment]?[r] == nil { holder[segment, default: [:]][r] = f.address }
        }
    }

    /// Platform masters (device tree `iommus`, IORT named components) whose stream ID an
    /// earlier master already holds at the same SMMUv3: Linux refuses the later device
    /// (arm_smmu_insert_master: "stream %u already in tree", -EEXIST), so the ID is left out
    /// of it, and a master left with none is written with dma: false, as a master whose IDs
    /// its SMMU refuses.
    mutating func markRefusedPlatformStreamIDs() {
        var holder: [String: [UInt32: String]] = [:]
        for k in draft.platformDevices.indices {
            let dev = draft.platformDevices[k]
            guard !dev.streamIDs.isEmpty,
                  let io = draft.iommus.first(where: { $0.at == dev.bus || $0.alsoAt.contains(dev.bus) }), io.kind == "arm-smmuv3" else { continue }
            var keep: [Int] = []
            var refused: [(UInt32, String)] = []
            for (i, sid) in dev.streamIDs.enumerated() {
                if let other = holder[io.name]?[sid], other != dev.name { refused.append((sid, other)); continue }
                keep.append(i)
                holder[io.name, default: [:]][sid] = dev.name
            }
            guard !refused.isEmpty else { continue }
            draft.platformDevices[k].streamIDs = keep.map { dev.streamIDs[$0] }
            if dev.streamMasks.count == dev.streamIDs.count { draft.platformDevices[k].streamMasks = keep.map { dev.streamMasks[$0] } }
            let text = refused.map { "\(hex(UInt64($0.0))) (held by '\($0.1)')" }.joined(separator: ", ")
            var note = "stream ID\(refused.count == 1 ? "" : "s") \(text) at \(io.name) left out: Linux refuses a stream ID another master holds (arm_smmu_insert_master)"
            if keep.isEmpty {
                draft.platformDevices[k].dma = false
                note += "; with no stream ID left its DMA matches no stream and is aborted"
            }
            draft.platformDevices[k].comment = (dev.comment.map { $0 + "; " } ?? "") + note
        }
    }
}
