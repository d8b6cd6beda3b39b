import IotopoModel
import IotopoQuirks
import IotopoSource

/// Turns what sources say about a host into a draft topology: the bus hierarchy from the
/// bridges' bus numbers, SR-IOV virtual functions and their buses, VMD domains, the IOMMUs
/// at the root complexes, names, and every assumption made on the way.
///
/// Linux's view is the model: a bus is below the bridge whose secondary bus number it is
/// (`pci_scan_bridge`); a bus no bridge leads to is a root bus with a host bridge; a VF
/// whose routing ID lands on another bus number sits on a virtual bus with no bridge
/// (`pci_iov_add_virtfn` -> `virtfn_add_bus`).
public struct HostBuilder {
    let host: HostDescription
    var draft = TopologyDraft()
    public var sink = DiagnosticSink()

    /// Indices of bridge functions by segment and secondary bus.
    private var bridgeBySecondary: [BusKey: Int] = [:]
    /// The draft bus of each bus number.
    private var busIndex: [BusKey: Int] = [:]
    /// The PF of each VF, by function index.
    var physfn: [Int: (pf: Int, index: Int)] = [:]
    /// VMD endpoints by the domain they host.
    var vmdOfSegment: [UInt32: Int] = [:]
    /// The root bus of each VMD domain, the one the `vmd` bridge leads to.
    private var vmdRootBus: [UInt32: BusKey] = [:]
    /// Names chosen, by function index.
    var names: [Int: String] = [:]
    /// Function index by address.
    var byAddress: [PCIAddress: Int] = [:]
    /// Names given so far, for `uniqueName`.
    var taken = Set<String>()
    /// The functions on each bus, in address order (built once: per-bus scans of every
    /// function made large imports quadratic).
    private var onBus: [BusKey: [Int]] = [:]

    struct BusKey: Hashable, Comparable {
        var segment: UInt32
        var bus: UInt8
        static func < (a: BusKey, b: BusKey) -> Bool { (a.segment, a.bus) < (b.segment, b.bus) }
    }

    /// The bridge function whose secondary bus is `bus`, if any.
    func bridgeAbove(segment: UInt32, bus: UInt8) -> Int? { bridgeBySecondary[BusKey(segment: segment, bus: bus)] }

    /// The PF of a VF, and which VF of it it is.
    func vf(_ i: Int) -> (pf: Int, index: Int)? { physfn[i] }

    /// The name chosen for a function.
    func name(_ i: Int) -> String? { names[i] }

    /// Creates a builder for a host.
    public init(host: HostDescription) {
        self.host = host
    }

    /// Builds the draft; diagnostics (assumptions as warnings) go to `sink`.
    public mutating func build(options: ImportOptions) -> TopologyDraft {
        draft.sourceFormat = host.format
        draft.sourcePath = host.sourcePath
        draft.kernel = options.kernel ?? host.kernel
        draft.name = options.name
        let fns = host.functions
        let order = fns.indices.sorted { fns[$0].address < fns[$1].address }
        for i in order {
            onBus[BusKey(segment: fns[i].address.segment, bus: fns[i].address.bus), default: []].append(i)
            if byAddress[fns[i].address] == nil { byAddress[fns[i].address] = i }
        }
        // The first bridge (in address order) to claim a secondary bus owns it; a later one
        // claiming the same number leads nowhere of its own and is imported as a function. A
        // VMD endpoint is an endpoint (class 0104, vmd.c), whatever bus numbers it shows: the
        // domain below it is reached through it, not through a secondary bus.
        for i in order {
            guard let b = fns[i].buses, claimsBus(i, b), !Self.isVMD(fns[i]) else { continue }
            let k = BusKey(segment: fns[i].address.segment, bus: b.secondary)
            if bridgeBySecondary[k] == nil { bridgeBySecondary[k] = i }
        }
        findVirtualFunctions(order)
        findVMDs(order)
        buildBuses(order)
        buildIOMMUs(order)
        nameFunctions(order)
        buildFunctions(order)
        resolveFirmwareScopes()
        if let (t, src) = host.dmar { applyRMRRs(t, src) }
        if let (t, src) = host.ivrs {
            applyIVMDs(t, src)
            applyIVRSAliases(t, src)
        }
        if let (t, src) = host.iort { applyIORTRMRs(t, src) }
        explainIdleIOMMUs()
        markRefusedStreamIDs(order)
        markRefusedPlatformStreamIDs()
        buildMemory()
        if let dt = host.deviceTree { pruneUnreachableWindows(dt) }
        buildObservedGroups(order)
        noteAssumptions()
        return draft
    }

    // MARK: SR-IOV and VMD

    /// Marks the functions at the routing IDs of each PF's enabled VFs as its VFs.
    private mutating func findVirtualFunctions(_ order: [Int]) {
        var at: [PCIAddress: Int] = [:]
        for i in order { at[host.functions[i].address] = i }
        for i in order {
            let f = host.functions[i]
            // A bridge header with an SR-IOV capability is no PF: its VFs would be functions
            // whose physfn is a bridge. Only endpoints' VFs are linked (PCIe Base 6.0, 9.1:
            // SR-IOV is a capability of endpoints).
            guard let sr = f.sriov, sr.enabledVFs > 0, sr.stride >= 0, !isBridge(i) else { continue }
            for v in 0 ..< min(sr.enabledVFs, sr.totalVFs, 65_536) {
                guard let rid = sr.vfRID(v, pf: f.address.rid),
                      let a = PCIAddress(segment: f.address.segment, bus: Int(rid.bus), device: Int(rid.device), function: Int(rid.function)),
                      let j = at[a], j != i else { continue }
                physfn[j] = (i, v)
            }
        }
    }

    /// Intel VMD endpoints (drivers/pci/controller/vmd.c): each hosts a PCI domain numbered
    /// from 0x10000, assigned in probe order (`vmd_find_free_domain`), and the DMA of every
    /// function in it reaches the IOMMU with the endpoint's requester ID
    /// (`pci_real_dma_dev`, arch/x86/pci/common.c).
    private mutating func findVMDs(_ order: [Int]) {
        let vmds = order.filter { Self.isVMD(host.functions[$0]) }
        let domains = Set(host.functions.map(\.address.segment).filter { $0 >= 0x10000 }).sorted()
        for (v, d) in zip(vmds, domains) { vmdOfSegment[d] = v }
        for d in domains where vmdOfSegment[d] == nil {
            draft.assumptions.append("domain \(String(d, radix: 16)) looks like a VMD domain, but no VMD endpoint was found for it; it is imported as a root bus of its own")
        }
    }

    /// The device IDs of vmd.c's `vmd_ids` table, or the driver bound.
    static func isVMD(_ f: HostFunction) -> Bool {
        if f.driver == "vmd" { return true }
        let ids: Set<UInt16> = [0x201d, 0x28c0, 0x467f, 0x4c3d, 0x7d0b, 0x9a0b, 0xa77f, 0xad0b, 0xb60b, 0xb06f]
        return f.vendor == 0x8086 && ids.contains(f.device) && f.baseSubclass == 0x0104
    }

    // MARK: Buses

    private mutating func buildBuses(_ order: [Int]) {
        draft.buses.append(DraftBus(name: "system", kind: "system", segment: 0, number: nil, comment: "memory and the root complexes"))
        var keys = Set<BusKey>()
        for (i, f) in host.functions.enumerated() {
            keys.insert(BusKey(segment: f.address.segment, bus: f.address.bus))
            if let b = f.buses, bridgeOwns(i, b) {
                keys.insert(BusKey(segment: f.address.segment, bus: b.secondary))
            }
        }
        // Parents before children: root buses first, then by number (a child's secondary
        // number is always above its parent's, `pci_scan_bridge` numbers them so).
        for k in keys.sorted() {
            busIndex[k] = draft.buses.count
            let kind = busKind(k)
            draft.buses.append(DraftBus(name: Self.busName(k), kind: kind, segment: k.segment, number: k.bus, comment: nil))
        }
        for k in keys.sorted() {
            guard let b = busIndex[k] else { continue }
            if bridgeBySecondary[k] != nil { continue }
            if let pfBus = virtualBusParent(k), let up = busIndex[pfBus] {
                draft.buses[b].comment = "SR-IOV virtual bus: no bridge leads here (Linux: virtfn_add_bus)"
                draft.bridges.append(DraftBridge(name: "vbus-" + Self.addressName(k), kind: "bus-bridge", upstream: draft.buses[up].name,
                                                 downstream: draft.buses[b].name, function: nil,
                                                 comment: "the VFs' virtual bus hangs off their PF's bus, with no bridge of its own"))
            } else if let v = vmdOfSegment[k.segment], let up = busIndex[BusKey(segment: host.functions[v].address.segment, bus: host.functions[v].address.bus)] {
                // vmd.c gives its domain one root bus (vmd_enable_domain: busn_start 0, 128 or
                // 224); everything else in it is below that bus's root ports. A second root
                // bus in the domain (the source shows no bridge leading to it) is taken as
                // hanging off the first, so its DMA still leaves through the VMD endpoint.
                if let first = vmdRootBus[k.segment], let firstIndex = busIndex[first] {
                    draft.buses[b].comment = "no bridge in the source leads here; taken as part of VMD domain \(String(k.segment, radix: 16))"
                    draft.bridges.append(DraftBridge(name: "vbus-" + Self.addressName(k), kind: "bus-bridge", upstream: draft.buses[firstIndex].name,
                                                     downstream: draft.buses[b].name, function: nil,
                                                     comment: "a second root bus in a VMD domain, joined to its first root bus (no bridge of its own)"))
                    continue
                }
                vmdRootBus[k.segment] = k
                draft.bridges.append(DraftBridge(name: "vmd" + String(vmdOfSegment.keys.sorted().firstIndex(of: k.segment) ?? 0), kind: "vmd", upstream: draft.buses[up].name,
                                                 downstream: draft.buses[b].name, function: v,
                                                 comment: "Intel VMD: the domain's DMA reaches the IOMMU as the VMD endpoint's requester ID"))
            } else {
                draft.bridges.append(DraftBridge(name: "rc-" + Self.addressName(k), kind: "root-complex", upstream: "system",
                                                 downstream: draft.buses[b].name, function: nil, comment: "host bridge of root bus \(Self.addressText(k))"))
                draft.rootComplexes.append((draft.bridges.count - 1, k.segment, k.bus))
            }
        }
    }

    /// The PF's bus when bus `k` holds only VFs of PFs on a lower bus.
    private func virtualBusParent(_ k: BusKey) -> BusKey? {
        let on = onBus[k] ?? []
        guard !on.isEmpty, let first = physfn[on[0]] else { return nil }
        let pf = host.functions[first.pf].address
        guard on.allSatisfy({ physfn[$0] != nil }), pf.bus < k.bus else { return nil }
        return BusKey(segment: pf.segment, bus: pf.bus)
    }

    /// PCIe below PCIe ports and at the root; conventional PCI below a PCIe-to-PCI or PCI
    /// bridge.
    private func busKind(_ k: BusKey) -> String {
        guard let b = bridgeBySecondary[k] else { return "pcie" }
        switch host.functions[b].portType {
        case .pcieToPCI?, .conventional?: return "pci"
        default: return "pcie"
        }
    }

    static func addressText(_ k: BusKey) -> String {
        (k.segment == 0 ? "" : hex4(k.segment) + ":") + hex2(k.bus)
    }

    static func addressName(_ k: BusKey) -> String {
        (k.segment == 0 ? "" : hex4(k.segment) + "-") + hex2(k.bus)
    }

    static func busName(_ k: BusKey) -> String { "bus-" + addressName(k) }

    // MARK: IOMMUs

    /// One IOMMU per root complex: VT-d when the host bridge (or the first function of the
    /// root bus) is Intel's, AMD-Vi when it is AMD's or the bus holds an AMD IOMMU function
    /// (class 0806). Source hints (the snapshot's tables, /sys/class/iommu) win.
    private mutating func buildIOMMUs(_ order: [Int]) {
        if host.format == "snapshot", !host.iommuActive, host.iommuHints.isEmpty {
            draft.assumptions.append("no IOMMU: the kernel runs none (no /sys/class/iommu, no IOMMU groups) and the firmware tables name none, so every function's DMA reaches memory untranslated")
            return
        }
        if host.format == "snapshot", !host.iommuActive {
            draft.assumptions.append("the firmware describes an IOMMU but the kernel runs it off (no IOMMU groups): the groups iotopo shows are the ones the kernel would form with it on")
        }
        // A device tree, or firmware tables, where given, decide (the kernel builds its
        // IOMMUs from them).
        if let dt = host.deviceTree {
            buildDeviceTree(dt)
            if host.iort != nil || host.dmar != nil || host.ivrs != nil {
                draft.assumptions.append("both a device tree and ACPI tables were given: the device tree's IOMMUs are used (a kernel boots with one or the other)")
            }
            return
        }
        if host.dmar != nil || host.ivrs != nil || host.iort != nil {
            if let (t, src) = host.dmar { buildDMARIOMMUs(t, src) }
            if let (t, src) = host.ivrs { buildIVRSIOMMUs(t, src) }
            if let (t, src) = host.iort { buildIORTIOMMUs(t, src) }
            if draft.iommus.isEmpty { draft.assumptions.append("the firmware tables describe no IOMMU unit") }
            return
        }
        var n = 0
        for (bridge, segment, bus) in draft.rootComplexes {
            let onBus = self.onBus[BusKey(segment: segment, bus: bus)] ?? []
            let vendor = onBus.first.map { host.functions[$0].vendor }
            let iommuFunction = onBus.first { host.functions[$0].baseSubclass == 0x0806 }
            var kind: String?
            // The IOMMU function is AMD's (1022) on Family 15h and later, ATI's (1002) on the
            // RD890/RD990 northbridges (1002:5a23) that carried the first AMD-Vi units.
            let amdFunction = iommuFunction.map { [0x1022, 0x1002].contains(host.functions[$0].vendor) } ?? false
            if host.iommuHints.contains("amd-vi") || amdFunction || vendor == 0x1022 { kind = "amd-vi" }
            if host.iommuHints.contains("intel-vtd") || vendor == 0x8086 { kind = kind ?? "intel-vtd" }
            // Neither Intel's nor AMD's: an Arm server (its root ports often sit at 00:00.0,
            // with no host bridge function) or another architecture. The kernel's groups, or
            // the snapshot's /sys/class/iommu, prove that an IOMMU translates here; its kind
            // comes from /sys/class/iommu (smmu3.* is arm-smmu-v3, smmu.* arm-smmu) or from
            // an Arm server vendor, and its stream IDs are taken as the requester IDs (the
            // IORT's ID mappings are not in lspci).
            let where_ = Self.addressText(BusKey(segment: segment, bus: bus))
            if kind == nil {
                let arm = host.iommuHints.first { $0 == "arm-smmuv3" || $0 == "arm-smmu" }
                let grouped = host.functions.contains { $0.address.segment == segment && $0.observedGroup != nil }
                if arm != nil || grouped {
                    let v = vendor ?? 0
                    kind = arm ?? (Self.armServerVendors.contains(v) ? "arm-smmuv3" : "generic")
                    draft.assumptions.append("root bus \(where_) has neither an Intel nor an AMD host bridge, yet "
                        + (arm != nil ? "the kernel lists an Arm SMMU" : "the kernel formed IOMMU groups there")
                        + ": an IOMMU of kind \(kind ?? "generic") is placed at it, with stream IDs equal to requester IDs (the firmware's ID mappings are not in the source)")
                }
            }
            guard let kind else {
                draft.assumptions.append("root bus \(where_) has no Intel or AMD host bridge and the source shows no IOMMU groups there; no IOMMU is placed at it")
                continue
            }
            let name = (kind == "amd-vi" ? "amdvi" : kind == "intel-vtd" ? "dmar" : kind.hasPrefix("arm") ? "smmu" : "iommu") + String(n)
            n += 1
            var io = DraftIOMMU(name: name, kind: kind, at: draft.bridges[bridge].name)
            if kind == "amd-vi" {
                // IVRS IVHD device entries on AMD platforms start after the root complex's own
                // functions (00:00.3 or 00:01.0 in every IVRS of the corpus), and Linux drops
                // the IOMMU's own device ID from its lookup table (init_iommu_one): the root
                // complex and the IOMMU function get no IOMMU group.
                let first = RequesterID(raw: UInt16(bus) << 8 | 0x03)
                io.scope = [.rids(first, RequesterID(raw: 0xFFFF))]
                if let f = iommuFunction { io.function = f }
                io.comment = "AMD-Vi; the IVHD scope assumed from \(first) on (the root complex and the IOMMU's own function are outside it)"
            } else if kind == "intel-vtd" {
                io.comment = "Intel VT-d; one DRHD unit with INCLUDE_PCI_ALL assumed for the segment"
            } else {
                io.comment = kind == "generic" ? "an IOMMU of unknown architecture, assumed from the kernel's groups"
                    : "Arm SMMU\(kind == "arm-smmuv3" ? "v3" : "v2") assumed; stream IDs taken as the requester IDs"
            }
            draft.iommus.append(io)
        }
        // lspci prints `IOMMU group:` where the kernel put a function in a group; none at
        // all means the kernel ran without an IOMMU (off, or absent as in most VMs).
        if host.format == "lspci", !draft.iommus.isEmpty, !host.functions.contains(where: { $0.observedGroup != nil }) {
            draft.assumptions.append("the text has no 'IOMMU group' lines, so the kernel ran with no IOMMU on (turned off, or none, as in most VMs): the IOMMUs above are the ones the host bridges' vendors imply, and the groups iotopo shows are those the kernel would form with them on")
        }
        if draft.iommus.isEmpty {
            draft.assumptions.append("no IOMMU could be placed: the host bridges are neither Intel's nor AMD's, and the source shows no IOMMU groups")
        }
    }

    /// Vendors of Arm server root complexes whose IOMMU is an SMMUv3 (PCI-SIG vendor IDs):
    /// Ampere, Amazon (Graviton), Cavium/Marvell ThunderX, HiSilicon, Huawei, Qualcomm
    /// Centriq, NVIDIA (Grace), Arm, Phytium.
    static let armServerVendors: Set<UInt16> = [0x1DEF, 0x1D0F, 0x1C36, 0x177D, 0x19E5, 0x17CB, 0x10DE, 0x13B5, 0x1DB7]

    // MARK: Names

    private mutating func nameFunctions(_ order: [Int]) {
        var counters: [String: Int] = [:]
        var slots: [PCIAddress: [Int]] = [:]
        for i in order where physfn[i] == nil {
            var a = host.functions[i].address
            a.function = 0
            slots[a, default: []].append(i)
        }
        func next(_ base: String) -> String {
            let n = counters[base, default: 0]
            counters[base] = n + 1
            return base + String(n)
        }
        for i in order {
            let f = host.functions[i]
            if physfn[i] != nil { continue }
            if let b = f.buses, bridgeOwns(i, b) {
                names[i] = bridgeName(f)
                continue
            }
            var slotAddr = f.address
            slotAddr.function = 0
            let slot = (slots[slotAddr] ?? [i]).filter { host.functions[$0].buses == nil }
            let base = Self.baseName(f)
            if slot.count > 1 && slot.allSatisfy({ Self.baseName(host.functions[$0]) == base }) {
                // One device with several functions of one class: nic0-pf0, nic0-pf1.
                if slot.first == i { names[i] = next(base) + (Self.isNetwork(f) || f.sriov != nil ? "-pf0" : "-f0") }
                else if let head = slot.first, let h = names[head], let dash = h.lastIndex(of: "-") {
                    names[i] = h[..<dash] + (Self.isNetwork(f) || f.sriov != nil ? "-pf" : "-f") + String(f.address.function)
                }
            } else if slot.count > 1, slot.first != i, let head = slot.first, Self.baseName(host.functions[head]) == "gpu", let h = names[head] {
                // A GPU's companions: gpu0-audio, gpu0-usb.
                names[i] = h + "-" + base
            } else {
                names[i] = next(base)
            }
        }
        // Virtual functions after their PFs: nic0-pf0-vf3.
        for i in order {
            guard let (pf, v) = physfn[i], let p = names[pf] else { continue }
            names[i] = p + "-vf" + String(v)
        }
        // Names are unique by construction except in odd inputs; make sure. The language
        // has one namespace for every entity, so the names already given to IOMMUs (a
        // generic one is `iommu0`, the name of an IOMMU function too), buses and the
        // bridges no function stands for (root complexes, virtual buses) are taken.
        var used = Set(draft.iommus.map(\.name) + draft.buses.map(\.name) + draft.bridges.filter { $0.function == nil }.map(\.name))
        for i in order {
            guard var n = names[i] else { continue }
            if !used.insert(n).inserted {
                n += "-" + Self.addressSuffix(host.functions[i].address)
                used.insert(n)
                names[i] = n
            }
        }
    }

    func bridgeName(_ f: HostFunction) -> String {
        let prefix: String
        switch f.portType {
        case .rootPort?: prefix = "rp"
        case .upstreamPort?: prefix = "up"
        case .downstreamPort?: prefix = "dn"
        case .pcieToPCI?: prefix = "pcie-pci"
        case .pciToPCIe?: prefix = "pci-pcie"
        case .conventional?: prefix = "pci-br"
        case nil:
            switch inferredPortKind(f) {
            case "root-port": prefix = "rp"
            case "switch-upstream": prefix = "up"
            default: prefix = "dn"
            }
        default: prefix = "br"
        }
        return prefix + "-" + Self.addressSuffix(f.address)
    }

    static func addressSuffix(_ a: PCIAddress) -> String {
        (a.segment == 0 ? "" : hex4(a.segment) + "-") + hex2(a.bus) + "-" + hex2(a.device) + "-" + String(a.function)
    }

    static func isNetwork(_ f: HostFunction) -> Bool { f.classCode >> 16 == 0x02 }

    /// A short name for a function's class (PCI Code and ID Assignment spec, class codes); a
    /// virtio function by its virtio device type.
    static func baseName(_ f: HostFunction) -> String {
        if let v = virtioName(f) { return v }
        switch f.baseSubclass {
        case 0x0100: return "scsi"
        case 0x0101: return "ide"
        case 0x0104: return "raid"
        case 0x0106: return "sata"
        case 0x0107: return "sas"
        case 0x0108: return "nvme"
        case 0x0200: return "nic"
        case 0x0280: return "wifi"
        case 0x0300, 0x0302, 0x0380: return "gpu"
        case 0x0400: return "video"
        case 0x0401, 0x0403: return "audio"
        case 0x0480: return "media"
        case 0x0500, 0x0580: return "ram"
        case 0x0600: return "host"
        case 0x0601: return "lpc"
        case 0x0680: return "bridge"
        case 0x0700: return "uart"
        case 0x0780: return "comm"
        case 0x0805: return "sdhci"
        case 0x0806: return "iommu"
        case 0x0880: return "periph"
        case 0x0c00: return "firewire"
        case 0x0c03: return "usb"
        case 0x0c05: return "smbus"
        case 0x0c80: return "serialbus"
        case 0x0c0a: return "usb4"
        case 0x0d11, 0x0d80: return "wireless"
        case 0x1080: return "crypto"
        case 0x1101: return "dpio"
        case 0x1180: return "signal"
        case 0x1200: return "accel"
        default:
            switch f.classCode >> 16 {
            case 0x01: return "storage"
            case 0x02: return "net"
            case 0x03: return "gpu"
            case 0x04: return "media"
            case 0x0c: return "serialbus"
            case 0x0d: return "wireless"
            case 0x10: return "crypto"
            case 0x11: return "signal"
            case 0x12: return "accel"
            case 0x13: return "instrument"
            default: return "function"
            }
        }
    }

    /// The free-form `kind` of a device.
    /// Virtio over PCI (vendor 1af4): modern devices are 1040 plus the virtio device ID
    /// (Virtio 1.2, 4.1.2.1 and 5); transitional ones 1000-103f carry it in the subsystem
    /// device ID. Their class codes say little (a balloon or vsock is class ff).
    static func virtioName(_ f: HostFunction) -> String? {
        guard f.vendor == 0x1AF4 else { return nil }
        let type: UInt16
        if (0x1040 ... 0x107F).contains(f.device) {
            type = f.device - 0x1040
        } else if (0x1000 ... 0x103F).contains(f.device), let sub = f.subsystem?.device {
            type = sub
        } else {
            return nil
        }
        switch type {
        case 1: return "virtio-net"
        case 2: return "virtio-blk"
        case 3: return "virtio-console"
        case 4: return "virtio-rng"
        case 5: return "virtio-balloon"
        case 8: return "virtio-scsi"
        case 9: return "virtio-9p"
        case 16: return "virtio-gpu"
        case 18: return "virtio-input"
        case 19: return "virtio-vsock"
        case 20: return "virtio-crypto"
        case 26: return "virtio-fs"
        case 27: return "virtio-pmem"
        case 41: return "virtio-sound"
        default: return "virtio"
        }
    }

    static func kind(_ f: HostFunction) -> String {
        switch baseName(f) {
        case "raid", "sata", "sas", "scsi", "ide", "storage": return "storage"
        case "nic", "wifi", "net", "virtio-net": return "nic"
        case "virtio-blk", "virtio-scsi": return "storage"
        default: return baseName(f)
        }
    }
}

/// Two hex digits.
func hex2(_ v: UInt8) -> String {
    let s = String(v, radix: 16)
    return s.count < 2 ? "0" + s : s
}

/// At least four hex digits.
func hex4(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: max(0, 4 - s.count)) + s
}

/// What `iotopo import` is asked for beyond its sources.
public struct ImportOptions: Sendable {
    /// The kernel release to record (the source's `uname -r` otherwise).
    public var kernel: String?
    /// The platform's name (derived from the source's name otherwise).
    public var name: String?
    /// Where the files a device tree source names for dtc (`/include/`, `/incbin/`) may
    /// lead, as a topology's includes (docs/security.md; DeviceTreeIncludes).
    public var includes: IncludeScope

    public init(kernel: String? = nil, name: String? = nil, includes: IncludeScope = .repository) {
        self.kernel = kernel
        self.name = name
        self.includes = includes
    }
}
