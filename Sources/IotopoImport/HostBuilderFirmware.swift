import IotopoFirmware
import IotopoModel
import IotopoSource

/// The check IDs of what import finds when it holds firmware tables against the PCI
/// functions (docs/checks.md).
public enum FirmwareLint {
    /// A DMAR device scope (DRHD or RMRR) or an IVRS entry names a function that the lspci
    /// text or snapshot does not have.
    public static let scopeAbsent = "firmware-scope-absent"
    /// More than one DMAR unit with INCLUDE_PCI_ALL on a segment.
    public static let includeAllDuplicate = "firmware-include-all-duplicate"
    /// An IORT ID mapping's output reference is not a node of the table, or not one a mapping
    /// may point at.
    public static let badReference = "firmware-bad-reference"
    /// Two ID mappings of one IORT node overlap in their input IDs.
    public static let mappingOverlap = "firmware-mapping-overlap"
    /// An RMRR's range is malformed (not page-aligned, end before base) or runs past 2^64.
    public static let badReserved = "firmware-bad-reserved-range"
    /// A stream ID wider than its SMMU takes (16 bits on SMMUv1/v2).
    public static let idTooWide = "firmware-id-too-wide"
    /// An RMRR outside the firmware's reserved memory, in RAM the OS owns, or in another
    /// device's MMIO, held against /proc/iomem.
    public static let rmrrPlacement = "firmware-rmrr-placement"
    /// An IVRS alias for a present function that the PCI topology contradicts.
    public static let aliasConflict = "firmware-alias-conflict"

    public static let all = [scopeAbsent, includeAllDuplicate, badReference, mappingOverlap, badReserved, idTooWide, rmrrPlacement, aliasConflict]
}

/// Reading the IOMMUs from firmware tables: DMAR's DRHD units and their device scopes, IVRS's
/// IVHD blocks and device entries, IORT's SMMU nodes and root-complex ID mappings. Where a
/// table is given it decides, as it does for the kernel: Linux builds its IOMMUs from the
/// tables alone, never from the host bridges' vendors.
extension HostBuilder {
    /// The root bus a function's DMA leaves through: up through the bridges, and out of a VMD
    /// domain through the VMD endpoint (`pci_real_dma_dev`).
    func rootBus(of i: Int) -> BusKey {
        var seg = host.functions[i].address.segment
        var bus = host.functions[i].address.bus
        var hops = 0
        while hops < 1024 {
            if let b = bridgeAbove(segment: seg, bus: bus) {
                bus = host.functions[b].address.bus
            } else if let v = vmdOfSegment[seg], host.functions[v].address.segment != seg {
                seg = host.functions[v].address.segment
                bus = host.functions[v].address.bus
            } else {
                break
            }
            hops += 1
        }
        return BusKey(segment: seg, bus: bus)
    }

    /// The draft bridge (a root complex) of a root bus.
    func rootComplex(_ k: BusKey) -> Int? {
        draft.rootComplexes.first { $0.1 == k.segment && $0.2 == k.bus }?.0
    }

    /// The root complexes of a segment, by bus number.
    func rootComplexes(segment: UInt32) -> [Int] {
        draft.rootComplexes.filter { $0.1 == segment }.sorted { $0.2 < $1.2 }.map(\.0)
    }

    /// A root bus and its host bridge for a segment the PCI sources do not show (tables
    /// alone): bus 0 unless the table says which.
    mutating func ensureRootComplex(segment: UInt32, bus: UInt8 = 0) -> Int {
        if let r = rootComplex(BusKey(segment: segment, bus: bus)) { return r }
        let k = BusKey(segment: segment, bus: bus)
        draft.buses.append(DraftBus(name: Self.busName(k), kind: "pcie", segment: segment, number: bus,
                                    comment: "root bus \(Self.addressText(k)), as the firmware tables name it"))
        draft.bridges.append(DraftBridge(name: "rc-" + Self.addressName(k), kind: "root-complex", upstream: "system",
                                         downstream: Self.busName(k), function: nil, comment: "host bridge of root bus \(Self.addressText(k))"))
        draft.rootComplexes.append((draft.bridges.count - 1, segment, bus))
        if !taken.isEmpty { taken.formUnion(["rc-" + Self.addressName(k), Self.busName(k)]) }
        return draft.bridges.count - 1
    }

    /// The function a DMAR device scope names: from its start bus, each hop but the last a
    /// bridge whose secondary bus the next hop is on (VT-d 8.3.1; Linux compares the path
    /// with the device's chain of parents, `dmar_match_pci_path`).
    func resolve(_ s: DeviceScope, segment: UInt32) -> Int? {
        var bus = s.startBus
        for (k, hop) in s.path.enumerated() {
            guard let a = PCIAddress(segment: segment, bus: Int(bus), device: Int(hop.device), function: Int(hop.function)),
                  let i = byAddress[a] else { return nil }
            if k == s.path.count - 1 { return i }
            guard let b = host.functions[i].buses, bridgeOwns(i, b) else { return nil }
            bus = b.secondary
        }
        return nil
    }

    /// Whether function `i` is `ancestor` or below it.
    func isBelow(_ i: Int, _ ancestor: Int) -> Bool {
        if i == ancestor { return true }
        var seg = host.functions[i].address.segment
        var bus = host.functions[i].address.bus
        var hops = 0
        while hops < 1024 {
            if let b = bridgeAbove(segment: seg, bus: bus) {
                if b == ancestor { return true }
                bus = host.functions[b].address.bus
            } else if let v = vmdOfSegment[seg], host.functions[v].address.segment != seg {
                if v == ancestor { return true }
                seg = host.functions[v].address.segment
                bus = host.functions[v].address.bus
            } else {
                return false
            }
            hops += 1
        }
        return false
    }

    func warn(_ id: String, _ src: FirmwareSource, _ offset: Int?, _ message: String) -> Diagnostic {
        let p = FirmwareProblem(id, .warning, table: src.table.header.signature, offset: offset, message)
        return Diagnostic(.warning, id, p.located, at: src.range(of: offset))
    }

    // MARK: DMAR

    /// One IOMMU per DRHD unit, named `dmarN` in table order as Linux names them
    /// (`alloc_iommu`), of kind intel-vtd, with the host address width as output width.
    /// A unit with a device scope manages the functions it names (an endpoint, or a bridge and
    /// everything below it) and sits at their root complexes; an INCLUDE_PCI_ALL unit manages
    /// the rest of its segment and sits at every root complex of it (`dmar_find_matched_drhd_unit`
    /// tries the scoped units first; include-all units are kept at the list's tail,
    /// `dmar_register_drhd_unit`, so with two on a segment the first in the table wins).
    mutating func buildDMARIOMMUs(_ t: DMARTable, _ src: FirmwareSource) {
        var includeAllSeen: [UInt16: Int] = [:]
        let standalone = host.functions.isEmpty
        for (n, u) in t.units.enumerated() {
            let seg = UInt32(u.segment)
            var io = DraftIOMMU(name: "dmar\(n)", kind: "intel-vtd", at: "")
            if (16 ... 64).contains(t.hostAddressWidth) { io.outputBits = t.hostAddressWidth }
            var places: [Int] = []
            var scope: [DraftScope] = []
            var interrupts: [String] = []
            var absent: [String] = []
            for s in u.scopes {
                switch s.kind {
                case .endpoint?, .bridge?:
                    if standalone {
                        if s.path.count == 1, s.kind == .endpoint, let a = PCIAddress(segment: seg, bus: Int(s.startBus), device: Int(s.path[0].device), function: Int(s.path[0].function)) {
                            let rc = ensureRootComplex(segment: seg, bus: s.startBus)
                            if !places.contains(rc) { places.append(rc) }
                            addFirmwareDevice(a, "named by DMAR unit \(io.name)'s endpoint scope")
                            scope.append(.rids(a.rid, a.rid))
                        } else {
                            absent.append(s.summary + " (give lspci or a snapshot to import what is below it)")
                        }
                    } else if let i = resolve(s, segment: seg) {
                        scope.append(.function(i, subtree: s.kind == .bridge))
                        if let rc = rootComplex(rootBus(of: i)), !places.contains(rc) { places.append(rc) }
                    } else {
                        sink.report(warn(FirmwareLint.scopeAbsent, src, s.offset, "DRHD \(io.name)'s device scope names \(s.summary) in segment \(seg), which is not in the PCI source (the kernel finds no device there and the unit manages nothing for it)"))
                        absent.append(s.summary)
                    }
                case .ioapic?, .hpet?, .namespace?:
                    interrupts.append(s.summary)
                case nil:
                    break
                }
            }
            var notes = ["DRHD at DMAR byte \(offsetText(u.offset)), registers at \(hex(u.registerBase))"]
            if u.includeAll {
                if let first = includeAllSeen[u.segment] {
                    sink.report(warn(FirmwareLint.includeAllDuplicate, src, u.offset, "DRHD \(io.name) is a second INCLUDE_PCI_ALL unit on segment \(u.segment) (dmar\(first) is the first): Linux puts both at the tail of its unit list and matches the first, so this one manages nothing"))
                    notes.append("a second INCLUDE_PCI_ALL unit on its segment: dmar\(first) manages the segment, this one nothing")
                    io.scope = []
                } else {
                    includeAllSeen[u.segment] = n
                    io.includeAll = true
                    notes.append("INCLUDE_PCI_ALL: every function of segment \(u.segment) no other unit's scope names")
                    if standalone, rootComplexes(segment: seg).isEmpty { _ = ensureRootComplex(segment: seg) }
                    for rc in rootComplexes(segment: seg) where !places.contains(rc) { places.append(rc) }
                }
            } else {
                io.scope = scope
            }
            if !interrupts.isEmpty { notes.append("remaps the interrupts of " + interrupts.joined(separator: ", ")) }
            if !absent.isEmpty { notes.append("its scope also names " + absent.joined(separator: ", ") + ", not imported") }
            if places.isEmpty {
                // A unit whose scope names nothing present: it exists, and guards nothing.
                if rootComplexes(segment: seg).isEmpty { _ = ensureRootComplex(segment: seg) }
                places = Array(rootComplexes(segment: seg).prefix(1))
            }
            io.at = draft.bridges[places[0]].name
            io.alsoAt = places.dropFirst().map { draft.bridges[$0].name }
            io.comment = "Intel VT-d: " + notes.joined(separator: "; ")
            draft.iommus.append(io)
        }
        var facts: [String] = []
        if t.interruptRemapping { facts.append("interrupt remapping (INTR_REMAP)") }
        if t.x2apicOptOut { facts.append("X2APIC_OPT_OUT") }
        if t.dmaControlOptIn { facts.append("DMA_CTRL_PLATFORM_OPT_IN (firmware kept DMA protection on until the OS takes over)") }
        draft.firmwareNotes.append("DMAR: host address width \(t.hostAddressWidth) bits; \(t.units.count) DRHD unit\(t.units.count == 1 ? "" : "s"), \(t.reserved.count) RMRR\(t.reserved.count == 1 ? "" : "s")"
            + (t.atsr.isEmpty ? "" : ", \(t.atsr.count) ATSR") + (t.satc.isEmpty ? "" : ", \(t.satc.count) SATC")
            + (facts.isEmpty ? "" : "; flags: " + facts.joined(separator: ", ")))
    }

    /// RMRRs become reserved ranges of the devices their scopes name (`reserved`), which must
    /// stay identity-mapped read-write in any domain the device is attached to.
    mutating func applyRMRRs(_ t: DMARTable, _ src: FirmwareSource) {
        for (n, r) in t.reserved.enumerated() {
            let seg = UInt32(r.segment)
            guard r.limit >= r.base, r.limit != .max || r.base != 0 else {
                sink.report(warn(FirmwareLint.badReserved, src, r.offset + 8, "RMRR \(n) ends (\(hex(r.limit))) before it starts (\(hex(r.base))); Linux warns 'Your BIOS is broken' and ignores it"))
                continue
            }
            let size = r.limit - r.base + 1
            if r.base & 0xFFF != 0 || (r.limit &+ 1) & 0xFFF != 0 {
                // rmrr_sanity_check: base and end + 1 page-aligned, else a firmware bug warning
                // (the range is still used).
                sink.report(warn(FirmwareLint.badReserved, src, r.offset + 8, "RMRR \(n) [\(hex(r.base)), \(hex(r.limit))] is not page-aligned; Linux warns 'Your BIOS is broken; bad RMRR' and still maps it"))
            }
            let what = "RMRR \(n) at DMAR byte \(offsetText(r.offset)): [\(hex(r.base)), \(hex(r.limit))] stays identity-mapped for it"
            checkRMRRPlacement(n, r, src)
            for s in r.scopes where s.kind == .endpoint || s.kind == .bridge {
                var targets: [Int] = []
                if host.functions.isEmpty {
                    if s.path.count == 1, let a = PCIAddress(segment: seg, bus: Int(s.startBus), device: Int(s.path[0].device), function: Int(s.path[0].function)) {
                        addFirmwareDevice(a, "named by an RMRR's device scope")
                        if let k = draft.devices.firstIndex(where: { $0.rid == a }) {
                            draft.devices[k].reserved.append(DraftReserved(base: r.base, size: size, comment: what))
                        }
                    }
                    continue
                }
                if let i = resolve(s, segment: seg) {
                    targets = s.kind == .bridge ? host.functions.indices.filter { isBelow($0, i) } : [i]
                } else {
                    sink.report(warn(FirmwareLint.scopeAbsent, src, s.offset, "RMRR \(n)'s device scope names \(s.summary) in segment \(seg), which is not in the PCI source"))
                }
                for i in targets {
                    guard let k = draft.devices.firstIndex(where: { $0.rid == host.functions[i].address }) else { continue }
                    draft.devices[k].reserved.append(DraftReserved(base: r.base, size: size, comment: what))
                }
            }
        }
    }

    /// An RMRR held against the memory map (/proc/iomem of a snapshot taken as root): it must
    /// lie in firmware-reserved memory, as Linux checks (`arch_rmrr_sanity_check`, Linux 5.5:
    /// e820 reserved; ACPI NVS too since 6.1; else "No firmware reserved region can cover
    /// this RMRR", and the kernel taints itself), never in System RAM the OS hands out, and not
    /// in the BAR of a device its scope does not name (whose registers would then be written
    /// by another device's DMA).
    mutating func checkRMRRPlacement(_ n: Int, _ r: RMRR, _ src: FirmwareSource) {
        guard !host.iomem.isEmpty else { return }
        let top = host.iomem.filter { $0.depth == 0 }
        let text = "RMRR \(n) [\(hex(r.base)), \(hex(r.limit))]"
        if let ram = top.first(where: { $0.name == "System RAM" && $0.base <= r.limit && r.base <= $0.last }) {
            sink.report(warn(FirmwareLint.rmrrPlacement, src, r.offset + 8, "\(text) overlaps System RAM [\(hex(ram.base)), \(hex(ram.last))], which the OS owns and hands out: another owner's pages stay mapped for the device"))
            return
        }
        // One finding per RMRR, the most telling first: RAM, another device's MMIO, then
        // memory the firmware did not reserve.
        let named = Set(r.scopes.compactMap { resolve($0, segment: UInt32(r.segment)).map { host.functions[$0].address.description } })
        for e in host.iomem where e.depth > 0 && e.base <= r.limit && r.base <= e.last {
            guard SnapshotReader.address(e.name) != nil, !named.contains(e.name) else { continue }
            sink.report(warn(FirmwareLint.rmrrPlacement, src, r.offset + 8, "\(text) overlaps [\(hex(e.base)), \(hex(e.last))], the MMIO of \(e.name), which its scope does not name: the RMRR's devices would write that device's registers"))
            return
        }
        let reservedNames: Set<String> = ["Reserved", "reserved", "ACPI Non-volatile Storage", "ACPI NVS"]
        var at = r.base
        while at <= r.limit {
            guard let e = top.first(where: { reservedNames.contains($0.name) && $0.base <= at && at <= $0.last }) else {
                sink.report(warn(FirmwareLint.rmrrPlacement, src, r.offset + 8, "\(text) is not covered by firmware-reserved memory (e820 Reserved or ACPI NVS) at \(hex(at)): Linux reports 'No firmware reserved region can cover this RMRR' (arch_rmrr_sanity_check)"))
                return
            }
            if e.last >= r.limit { break }
            at = e.last + 1
        }
    }

    /// A device the firmware names at an address the PCI sources do not show (tables
    /// alone): its IDs are unknown, so it carries no `pci-id`.
    mutating func addFirmwareDevice(_ a: PCIAddress, _ why: String) {
        guard !draft.devices.contains(where: { $0.rid == a }) else { return }
        let k = BusKey(segment: a.segment, bus: a.bus)
        if !draft.buses.contains(where: { $0.name == Self.busName(k) }) { _ = ensureRootComplex(segment: a.segment, bus: a.bus) }
        var f = HostFunction(address: a, classCode: 0, vendor: 0, device: 0)
        f.capabilitiesRead = false
        var pci = DraftPCI(function: f)
        pci.identityKnown = false
        var d = DraftDevice(name: "dev-" + Self.addressSuffix(a), kind: "device", bus: Self.busName(k), rid: a, pci: pci)
        d.comment = why
        draft.devices.append(d)
    }

    // MARK: IVRS

    /// The runs of `a` with the IDs of `b` taken out.
    static func subtract(_ a: [IVHDDevices], _ b: [IVHDDevices]) -> [IVHDDevices] {
        var out: [IVHDDevices] = []
        for d in a {
            var pieces = [(UInt32(d.first), UInt32(d.last))]
            for x in b {
                pieces = pieces.flatMap { p -> [(UInt32, UInt32)] in
                    let lo = UInt32(x.first), hi = UInt32(x.last)
                    guard lo <= p.1, hi >= p.0 else { return [p] }
                    var r: [(UInt32, UInt32)] = []
                    if lo > p.0 { r.append((p.0, lo - 1)) }
                    if hi < p.1 { r.append((hi + 1, p.1)) }
                    return r
                }
            }
            for p in pieces {
                var e = d
                e.first = UInt16(p.0)
                e.last = UInt16(p.1)
                out.append(e)
            }
        }
        return out
    }

    /// One IOMMU per IVHD block of the type Linux reads (`get_highest_supported_ivhd_type`),
    /// named `ivhdN` as Linux names them, of kind amd-vi, managing the device IDs of its
    /// entries (ranges, selects, aliases, special devices: `init_iommu_from_acpi`), placed at
    /// the root complexes of its segment whose bus its entries cover.
    mutating func buildIVRSIOMMUs(_ t: IVRSTable, _ src: FirmwareSource) {
        let blocks = t.effectiveHardware
        for (n, h) in blocks.enumerated() {
            let seg = UInt32(h.segment)
            var io = DraftIOMMU(name: "ivhd\(n)", kind: "amd-vi", at: "")
            // Where two IOMMUs' entries overlap (firmware of multi-IOMMU parts often gives
            // each a range to ffff), the later block takes the IDs: init_iommu_from_acpi sets
            // the one IOMMU of each device ID block by block.
            let later = blocks[(n + 1)...].filter { $0.segment == h.segment }.flatMap(\.devices)
            let devs = Self.subtract(h.devices, later)
            var scope: [DraftScope] = []
            for d in devs {
                // Adjacent runs merge, so the scope reads as the table's ranges do.
                if case let .rids(a, b)? = scope.last, UInt32(b.raw) + 1 == UInt32(d.first) {
                    scope[scope.count - 1] = .rids(a, RequesterID(raw: d.last))
                } else if !scope.contains(where: { if case let .rids(a, b) = $0 { return a.raw <= d.first && d.last <= b.raw } else { return false } }) {
                    scope.append(.rids(RequesterID(raw: d.first), RequesterID(raw: d.last)))
                }
            }
            io.scope = scope
            if host.functions.isEmpty {
                // Tables alone: a select entry names a function the firmware knows is there.
                for e in h.entries where e.kind == .select || e.kind == .aliasSelect || e.kind == .extendedSelect {
                    let r = RequesterID(raw: e.deviceID)
                    if let a = PCIAddress(segment: seg, bus: Int(r.bus), device: Int(r.device), function: Int(r.function)) {
                        addFirmwareDevice(a, "named by IVHD \(io.name)'s select entry at IVRS byte \(offsetText(e.offset))")
                    }
                }
                if rootComplexes(segment: seg).isEmpty { _ = ensureRootComplex(segment: seg) }
            }
            var places = rootComplexes(segment: seg).filter { rc in
                guard let bus = draft.rootComplexes.first(where: { $0.0 == rc })?.2 else { return false }
                return devs.contains { UInt8($0.first >> 8) <= bus && bus <= UInt8($0.last >> 8) }
            }
            if places.isEmpty { places = Array(rootComplexes(segment: seg).prefix(1)) }
            if places.isEmpty { places = [ensureRootComplex(segment: seg)] }
            io.at = draft.bridges[places[0]].name
            io.alsoAt = places.dropFirst().map { draft.bridges[$0].name }
            var notes = ["IVHD type \(hexDigits(UInt64(h.type), width: 2))h at IVRS byte \(offsetText(h.offset)), registers at \(hex(h.base)), its own function \(RequesterID(raw: h.deviceID))"]
            io.aliases = devs.compactMap { d in d.alias.map { (RequesterID(raw: d.first), RequesterID(raw: d.last), RequesterID(raw: $0)) } }
            let specials = h.entries.filter { $0.kind == .special }
            if !specials.isEmpty {
                notes.append("remaps the interrupts of " + specials.map { "\($0.specialKind ?? "") \($0.handle ?? 0) as \(RequesterID(raw: $0.usedDeviceID ?? 0))" }.joined(separator: ", "))
            }
            if !host.functions.isEmpty {
                for d in devs where d.first == d.last {
                    let present = host.functions.contains { $0.address.segment == seg && $0.address.rid.raw == d.first }
                    if !present, let e = h.entries.first(where: { $0.offset == d.entry }), e.kind == .select || e.kind == .aliasSelect || e.kind == .extendedSelect {
                        sink.report(warn(FirmwareLint.scopeAbsent, src, d.entry, "IVHD \(io.name)'s device entry selects \(RequesterID(raw: d.first)) in segment \(seg), which is not in the PCI source"))
                    }
                }
            }
            io.comment = "AMD-Vi: " + notes.joined(separator: "; ")
            draft.iommus.append(io)
        }
        draft.firmwareNotes.append("IVRS: \(t.hardware.count) IVHD block\(t.hardware.count == 1 ? "" : "s") (types \(Array(Set(t.hardware.map(\.type))).sorted().map { hexDigits(UInt64($0), width: 2) + "h" }.joined(separator: ", "))), of which Linux reads type \(t.effectiveType.map { hexDigits(UInt64($0), width: 2) + "h" } ?? "none"); \(t.memory.count) IVMD block\(t.memory.count == 1 ? "" : "s"); physical address size \(t.physicalAddressBits) bits")
    }

    /// IVRS aliases of present functions. An alias on the function's own bus becomes a DMA
    /// alias (`setup_aliases`, drivers/iommu/amd/iommu.c: `pci_add_dma_alias` when the alias is
    /// on the same bus), which can join groups. An alias on another bus only tells the IOMMU
    /// which ID the requests arrive with; it must be one the PCI topology gives (a
    /// PCIe-to-PCI bridge's secondary bus 00.0, a conventional bridge's own ID, as
    /// `pci_for_each_dma_alias` walks them), else the table contradicts the hardware.
    mutating func applyIVRSAliases(_ t: IVRSTable, _ src: FirmwareSource) {
        for h in t.effectiveHardware {
            for d in h.devices {
                guard let alias = d.alias else { continue }
                for id in UInt32(d.first) ... UInt32(d.last) {
                    let rid = RequesterID(raw: UInt16(id))
                    guard rid.raw != alias, let a = PCIAddress(segment: UInt32(h.segment), bus: Int(rid.bus), device: Int(rid.device), function: Int(rid.function)),
                          let fn = byAddress[a] else { continue }
                    let ar = RequesterID(raw: alias)
                    // On its own bus the alias is a DMA alias (the IOMMU's `aliases` make it one).
                    if ar.bus == rid.bus { continue }
                    // The IDs the topology makes its DMA present, bridge by bridge upward.
                    var presented: [UInt16] = []
                    var bus = rid.bus
                    var hops = 0
                    while let b = bridgeAbove(segment: a.segment, bus: bus), hops < 256 {
                        let bf = host.functions[b]
                        switch bf.portType {
                        case .pcieToPCI?: if let s = bf.buses?.secondary { presented.append(UInt16(s) << 8) }
                        case .conventional?, nil: presented.append(bf.address.rid.raw)
                        default: break
                        }
                        bus = bf.address.bus
                        hops += 1
                    }
                    if !presented.contains(alias) {
                        let given = presented.isEmpty ? "its own ID only (no aliasing bridge above it)" : presented.map { "\(RequesterID(raw: $0))" }.joined(separator: ", ")
                        sink.report(warn(FirmwareLint.aliasConflict, src, d.entry, "IVRS says the requests of \(rid) arrive as \(ar), but the PCI topology gives \(given): the alias contradicts the hardware, and the IOMMU would translate them with the wrong device's table entry"))
                    }
                    _ = fn
                }
            }
        }
    }

    /// IVMD unity and exclusion ranges become reserved ranges of the devices they name (Linux
    /// maps exclusion ranges as unity ranges too, `init_unity_map_range`).
    mutating func applyIVMDs(_ t: IVRSTable, _ src: FirmwareSource) {
        for (n, m) in t.memory.enumerated() where m.unity || m.exclusion {
            guard m.length > 0, m.start <= UInt64.max - (m.length - 1) else {
                sink.report(warn(FirmwareLint.badReserved, src, m.offset + 16, "IVMD \(n) [\(hex(m.start)) + \(hex(m.length))] is empty or runs past 2^64"))
                continue
            }
            let what = "IVMD \(n) (\(m.exclusion ? "exclusion" : "unity") range) at IVRS byte \(offsetText(m.offset)): [\(hex(m.start)), \(hex(m.start + (m.length - 1)))] stays identity-mapped for it"
            for k in draft.devices.indices where m.devices.contains(draft.devices[k].rid.rid.raw) {
                draft.devices[k].reserved.append(DraftReserved(base: m.start, size: m.length, comment: what))
            }
        }
    }

    // MARK: IORT

    /// SMMU nodes become IOMMUs `smmuN` (arm-smmuv3 or arm-smmu) in table order; each root
    /// complex node's ID mappings become the `id-map` of its segment's host bridges, naming
    /// the SMMU each maps to, and place that SMMU at them. Mappings to an ITS group carry MSIs
    /// only. Named components become platform devices with the stream IDs their mappings
    /// give, on a bus of their SMMU.
    mutating func buildIORTIOMMUs(_ t: IORTTable, _ src: FirmwareSource) {
        var smmuName: [Int: String] = [:]
        var n = 0
        for node in t.nodes where node.kind == .smmuV3 || node.kind == .smmuV1V2 {
            smmuName[node.offset] = "smmu\(n)"
            n += 1
        }
        checkIORTReferences(t, src)
        var itsName: [Int: String] = [:]
        for node in t.nodes where node.kind == .itsGroup { itsName[node.offset] = "its\(itsName.count)" }
        var rcMSI: [Int: [(UInt32, String, UInt32, UInt32)]] = [:]
        var places: [String: [Int]] = [:]
        var rcMaps: [Int: [DraftHostMap]] = [:]
        for node in t.nodes {
            guard case let .rootComplex(_, _, segment, _) = node.body else { continue }
            if host.functions.isEmpty, rootComplexes(segment: segment).isEmpty { _ = ensureRootComplex(segment: segment) }
            let rcs = rootComplexes(segment: segment)
            if rcs.isEmpty {
                sink.report(warn(FirmwareLint.scopeAbsent, src, node.offset, "the root complex node for segment \(segment) names a segment the PCI source does not have"))
                continue
            }
            for m in node.mappings where !m.single {
                guard let target = t.node(at: m.outputReference) else { continue }
                if let its = itsName[target.offset] {
                    // MSIs only: the device IDs the ITS sees (iort_msi_map_id).
                    let (len, _) = Self.length(of: m)
                    for rc in rcs { rcMSI[rc, default: []].append((m.inputBase, its, m.outputBase, len)) }
                    continue
                }
                guard let name = smmuName[target.offset] else { continue }
                if target.kind == .smmuV1V2, UInt64(m.outputBase) + UInt64(m.idCount) > 0xFFFF {
                    sink.report(warn(FirmwareLint.idTooWide, src, m.offset + 8, "the root complex's ID mapping gives stream IDs up to \(hexDigits(UInt64(m.outputBase) + UInt64(m.idCount))), wider than the 16 bits of an SMMUv1/v2: Linux refuses such devices ('stream ID out of range for SMMU'); the mapping is left out"))
                    continue
                }
                for rc in rcs {
                    if !places[name, default: []].contains(rc) { places[name, default: []].append(rc) }
                    let (len, cut) = Self.length(of: m)
                    rcMaps[rc, default: []].append(DraftHostMap(ridBase: m.inputBase, iommu: name, outputBase: m.outputBase, length: len,
                                                               comment: "IORT mapping at byte \(offsetText(m.offset))" + (cut ? " (cut to fit 32-bit stream IDs)" : "")))
                }
            }
        }
        for (rc, maps) in rcMaps { draft.bridges[rc].idMap = maps }
        for (rc, maps) in rcMSI { draft.bridges[rc].msiMap = maps }
        // Named components: platform masters on a bus of their SMMU.
        var platformBus: [String: String] = [:]
        for node in t.nodes {
            guard case let .namedComponent(_, _, limit, objectName) = node.body else { continue }
            var ids: [UInt32] = []
            var smmu: String?
            for m in node.mappings {
                guard let target = t.node(at: m.outputReference), let name = smmuName[target.offset] else { continue }
                smmu = smmu ?? name
                guard name == smmu else { continue }
                let count = m.single ? 0 : UInt64(min(m.idCount, 255))
                let limit: UInt64 = target.kind == .smmuV1V2 ? 0xFFFF : 0xFFFF_FFFF
                if UInt64(m.outputBase) + count > limit {
                    sink.report(warn(FirmwareLint.idTooWide, src, m.offset + 8, "the \(node.summary)'s ID mapping gives stream IDs up to \(hexDigits(UInt64(m.outputBase) + count)), wider than the 16 bits of an SMMUv1/v2: Linux refuses the device ('stream ID out of range for SMMU'); those IDs are left out"))
                }
                for k in 0 ... count where UInt64(m.outputBase) + k <= limit {
                    let id = m.outputBase + UInt32(k)
                    if !ids.contains(id) { ids.append(id) }
                }
            }
            let busName: String
            if let smmu {
                if let b = platformBus[smmu] { busName = b } else {
                    busName = "soc-" + smmu
                    draft.buses.append(DraftBus(name: busName, kind: "axi", segment: 0, number: nil, comment: "the masters IORT's named components place behind \(smmu)"))
                    draft.bridges.append(DraftBridge(name: "to-" + busName, kind: "bus-bridge", upstream: "system", downstream: busName, function: nil, comment: nil))
                    platformBus[smmu] = busName
                    places[smmu, default: []].append(-1)   // at the bus: resolved below
                }
            } else {
                if platformBus[""] == nil {
                    draft.buses.append(DraftBus(name: "soc", kind: "axi", segment: 0, number: nil, comment: "masters IORT names with no SMMU"))
                    draft.bridges.append(DraftBridge(name: "to-soc", kind: "bus-bridge", upstream: "system", downstream: "soc", function: nil, comment: nil))
                    platformBus[""] = "soc"
                }
                busName = "soc"
            }
            var d = DraftPlatformDevice(name: uniqueName(Self.platformName(objectName)), bus: busName, streamIDs: smmu == nil ? [] : ids)
            d.comment = "IORT named component \(objectName) at byte \(offsetText(node.offset))" + (limit > 0 ? ", \(limit)-bit DMA" : "")
            if smmu != nil, ids.isEmpty {
                d.dma = false
                d.comment = (d.comment ?? "") + "; its SMMU refuses every stream ID it has, so its transactions match no stream and are aborted"
            }
            d.dmaBits = (1 ... 64).contains(Int(limit)) ? Int(limit) : nil
            draft.platformDevices.append(d)
        }
        for node in t.nodes {
            guard let name = smmuName[node.offset] else { continue }
            var io = DraftIOMMU(name: name, kind: node.kind == .smmuV3 ? "arm-smmuv3" : "arm-smmu", at: "")
            var at: [String] = []
            for p in places[name] ?? [] {
                if p >= 0 { at.append(draft.bridges[p].name) } else if let b = platformBus[name] { at.append(b) }
            }
            if at.isEmpty {
                // Nothing maps to it: it still exists; place it at a bus of its own.
                let b = "soc-" + name
                draft.buses.append(DraftBus(name: b, kind: "axi", segment: 0, number: nil, comment: "no IORT mapping leads to \(name)"))
                draft.bridges.append(DraftBridge(name: "to-" + b, kind: "bus-bridge", upstream: "system", downstream: b, function: nil, comment: nil))
                at = [b]
            }
            io.at = at[0]
            io.alsoAt = Array(at.dropFirst())
            io.comment = "\(node.summary), IORT node at byte \(offsetText(node.offset))"
            draft.iommus.append(io)
        }
        let counts = Dictionary(grouping: t.nodes, by: { $0.type }).mapValues(\.count)
        let kinds: [(UInt8, String)] = [(0, "ITS group"), (1, "named component"), (2, "root complex"), (3, "SMMUv1/v2"), (4, "SMMUv3"), (5, "PMCG"), (6, "RMR")]
        draft.firmwareNotes.append("IORT: " + kinds.compactMap { k, w in counts[k].map { "\($0) \(w)\($0 == 1 ? "" : (w.hasSuffix("x") ? "es" : "s"))" } }.joined(separator: ", "))
    }

    /// RMR nodes (IORT E.c and later, Linux 6.0 `iort_get_rmrs`): their memory ranges stay
    /// identity-mapped for the stream IDs their mappings give, at the SMMU those name; they
    /// become reserved ranges of the devices presenting such a stream ID there.
    mutating func applyIORTRMRs(_ t: IORTTable, _ src: FirmwareSource) {
        var smmuName: [Int: String] = [:]
        var n = 0
        for node in t.nodes where node.kind == .smmuV3 || node.kind == .smmuV1V2 {
            smmuName[node.offset] = "smmu\(n)"
            n += 1
        }
        for (k, node) in t.nodes.enumerated() {
            guard case let .rmr(_, ranges) = node.body else { continue }
            var streams: [String: [ClosedRange<UInt64>]] = [:]
            for m in node.mappings {
                guard let target = t.node(at: m.outputReference), let name = smmuName[target.offset] else { continue }
                let count = m.single ? 0 : UInt64(m.idCount)
                streams[name, default: []].append(UInt64(m.outputBase) ... UInt64(m.outputBase) + count)
            }
            for r in ranges {
                guard r.length > 0, r.base <= UInt64.max - (r.length - 1) else {
                    sink.report(warn(FirmwareLint.badReserved, src, r.offset, "RMR node \(k)'s range [\(hex(r.base)) + \(hex(r.length))] is empty or runs past 2^64"))
                    continue
                }
                let what = "IORT RMR at byte \(offsetText(node.offset)): [\(hex(r.base)), \(hex(r.base + (r.length - 1)))] stays identity-mapped for its stream IDs"
                for d in draft.platformDevices.indices {
                    let smmu = draft.iommus.first { $0.at == draft.platformDevices[d].bus || $0.alsoAt.contains(draft.platformDevices[d].bus) }?.name
                    guard let smmu, let s = streams[smmu], draft.platformDevices[d].streamIDs.contains(where: { id in s.contains { $0.contains(UInt64(id)) } }) else { continue }
                    draft.platformDevices[d].reserved.append(DraftReserved(base: r.base, size: r.length, comment: what))
                }
                for d in draft.devices.indices {
                    // A PCI function's stream ID: its requester ID through its host bridge's map.
                    guard let fn = byAddress[draft.devices[d].rid], let rc = rootComplex(rootBus(of: fn)) else { continue }
                    let rid = UInt32(draft.devices[d].rid.rid.raw)
                    guard let e = draft.bridges[rc].idMap.first(where: { rid >= $0.ridBase && UInt64(rid) < UInt64($0.ridBase) + UInt64($0.length) }),
                          let s = streams[e.iommu], s.contains(where: { $0.contains(UInt64(e.outputBase) + UInt64(rid - e.ridBase)) }) else { continue }
                    draft.devices[d].reserved.append(DraftReserved(base: r.base, size: r.length, comment: what))
                }
            }
        }
    }

    /// An IORT mapping's length: its count field plus one (the range is inclusive,
    /// `iort_id_map`), cut so that the output stays within 32 bits.
    /// A mapping of all 2^32 IDs from output base 0 is cut by one: lengths are 32-bit.
    static func length(of m: IORTMapping) -> (UInt32, cut: Bool) {
        let want = UInt64(m.idCount) + 1
        let room = min(0x1_0000_0000 - UInt64(m.outputBase), 0xFFFF_FFFF)
        return want <= room ? (UInt32(want), false) : (UInt32(room), true)
    }

    /// Output references must name a node of the table that a mapping may lead to (an ITS
    /// group or an SMMU; `iort_node_map_id` follows them, and Linux checks only that they
    /// are not 0); mappings of one node must not overlap in input IDs.
    mutating func checkIORTReferences(_ t: IORTTable, _ src: FirmwareSource) {
        for node in t.nodes {
            for m in node.mappings {
                if let target = t.node(at: m.outputReference) {
                    if ![.itsGroup, .smmuV3, .smmuV1V2].contains(target.kind) {
                        sink.report(warn(FirmwareLint.badReference, src, m.offset + 12, "the \(node.summary)'s ID mapping points at a \(target.summary), which maps no IDs"))
                    }
                } else {
                    sink.report(warn(FirmwareLint.badReference, src, m.offset + 12, "the \(node.summary)'s ID mapping points at byte \(offsetText(Int(m.outputReference))), where no node starts" + (m.outputReference == 0 ? " (Linux: 'ID map has NULL parent reference')" : "")))
                }
            }
            let ranges = node.mappings.filter { !$0.single }.sorted { $0.inputBase < $1.inputBase }
            for (a, b) in zip(ranges, ranges.dropFirst()) where UInt64(b.inputBase) <= a.inputLast {
                // Ending on the next mapping's first ID is the common off-by-one of firmware
                // that wrote a count where the field wants count - 1; Linux lets the next
                // mapping win there ("applying workaround", iort_id_map).
                let offByOne = UInt64(b.inputBase) == a.inputLast
                sink.report(warn(FirmwareLint.mappingOverlap, src, b.offset, "the \(node.summary)'s ID mappings overlap: input IDs \(hex(UInt64(a.inputBase)))-\(hex(a.inputLast)) and \(hex(UInt64(b.inputBase)))-\(hex(b.inputLast))" + (offByOne ? " (by one ID: the first's count is likely one too many; Linux gives the shared ID to the later mapping)" : "")))
            }
        }
    }

    /// `\_SB.UFS0` gives `ufs0` (`uniqueName` then keeps it unique).
    static func platformName(_ object: String) -> String {
        let last = object.split(separator: ".").last.map(String.init) ?? object
        var base = String(String(last.lowercased().unicodeScalars.filter { ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") }.map(Character.init)).prefix(48))
        if base.isEmpty || !(base.first?.isLetter ?? false) { base = "nc" + base }
        return base
    }
}

extension HostBuilder {
    /// An IOMMU the tables place where no device the sources know sits (tables alone name
    /// the units, not what is below them; a second INCLUDE_PCI_ALL unit manages nothing) says
    /// so, instead of leaving `iommu-no-dma` unexplained.
    mutating func explainIdleIOMMUs() {
        var below: [String: [String]] = [:]   // bus -> bridges (names) on its way up, itself included as "bus:"
        var upstreamOf: [String: String] = [:]
        var bridgeOver: [String: String] = [:]
        for b in draft.bridges { upstreamOf[b.downstream] = b.upstream; bridgeOver[b.downstream] = b.name }
        func places(of bus: String) -> [String] {
            if let p = below[bus] { return p }
            var out: [String] = [bus]
            var b = bus
            var hops = 0
            while let br = bridgeOver[b], let up = upstreamOf[b], hops < 1024 {
                out.append(br)
                out.append(up)
                b = up
                hops += 1
            }
            below[bus] = out
            return out
        }
        let guarded: [(bus: String, rid: RequesterID?, name: String)] = draft.devices.filter(\.dma).map { ($0.bus, $0.rid.rid, $0.name) }
            + draft.platformDevices.filter(\.dma).map { ($0.bus, nil, $0.name) }
        // Each scope's device names and bridges as sets, its ID ranges as a list: a DT scope
        // names thousands of masters.
        let scopeSets = draft.iommus.map { io -> (devices: Set<String>, bridges: Set<String>, rids: [(RequesterID, RequesterID)]) in
            var d = Set<String>(), b = Set<String>(), r: [(RequesterID, RequesterID)] = []
            for e in io.scope ?? [] {
                switch e {
                case let .rids(x, y): r.append((x, y))
                case let .bridge(n): b.insert(n)
                case let .device(n): d.insert(n)
                case .function: break
                }
            }
            return (d, b, r)
        }
        for k in draft.iommus.indices {
            let io = draft.iommus[k]
            let at = Set([io.at] + io.alsoAt)
            func inScope(_ j: Int, _ d: (bus: String, rid: RequesterID?, name: String)) -> Bool {
                let s = scopeSets[j]
                if s.devices.contains(d.name) { return true }
                if let rid = d.rid, s.rids.contains(where: { $0.0 <= rid && rid <= $0.1 }) { return true }
                return !s.bridges.isEmpty && places(of: d.bus).contains { s.bridges.contains($0) }
            }
            let busy = guarded.contains { d in
                guard !at.isDisjoint(with: places(of: d.bus)) else { return false }
                if io.scope != nil { return inScope(k, d) }
                guard io.includeAll else { return true }
                // A catch-all manages what no scoped unit on the way manages.
                return !draft.iommus.indices.contains { j in
                    let o = draft.iommus[j]
                    return j != k && o.scope != nil && !Set([o.at] + o.alsoAt).isDisjoint(with: places(of: d.bus)) && inScope(j, d)
                }
            }
            guard !busy else { continue }
            let why: String
            if io.scope?.isEmpty == true && io.comment?.contains("second INCLUDE_PCI_ALL") == true {
                why = "a second INCLUDE_PCI_ALL unit on its segment: Linux matches every device to the first"
            } else if host.functions.isEmpty {
                why = "the firmware alone names the unit, not the PCI functions below it: import lspci text or a snapshot with it to see what it guards"
            } else {
                continue
            }
            draft.iommus[k].suppress.append(("iommu-no-dma", why))
        }
    }

    /// Scope entries that name functions get their final form once names are chosen: a
    /// bridge's name when the entry covers what is below it (a DMAR bridge scope; a VMD
    /// endpoint, whose domain's DMA arrives as its own), else the function's requester ID.
    mutating func resolveFirmwareScopes() {
        var bridgeOf: [Int: String] = [:]
        for b in draft.bridges { if let f = b.function { bridgeOf[f] = b.name } }
        for k in draft.iommus.indices {
            guard let s = draft.iommus[k].scope else { continue }
            var out: [DraftScope] = []
            for e in s {
                guard case let .function(i, subtree) = e else { out.append(e); continue }
                let f = host.functions[i]
                if let name = bridgeOf[i], subtree || Self.isVMD(f) {
                    out.append(.bridge(name))
                } else {
                    if subtree { draft.iommus[k].scopeComments[out.count] = "a bridge scope on \(f.address), which is not a bridge here: only the function itself" }
                    out.append(.rids(f.address.rid, f.address.rid))
                }
            }
            draft.iommus[k].scope = out
        }
    }
}
