/// What import needs from a device tree, read with the kernel's rules: memory and
/// reserved memory, the IOMMUs (`#iommu-cells`), each master's `iommus` specifiers, PCIe
/// host bridges with their `iommu-map`, `msi-map` and `bus-range`, and `dma-ranges` on the way
/// from each master to the root. Nodes with `status` other than "okay" are left out with
/// what is below them (`of_device_is_available`; a disabled bus populates no children).
public struct DeviceTreeFacts: Sendable {
    public struct Range: Sendable, Hashable {
        public var base: UInt64
        public var size: UInt64
    }

    public struct Reserved: Sendable {
        public var name: String
        public var range: Range
        public var noMap: Bool
    }

    public struct IOMMU: Sendable {
        public var node: Int
        public var path: String
        public var compatible: [String]
        public var cells: Int
        /// `stream-match-mask` (arm-smmu: the SMR mask used when a specifier has one cell).
        public var streamMatchMask: UInt32?
    }

    /// One `iommus` specifier: an IOMMU and its cells (stream ID, SMR mask).
    public struct Specifier: Sendable, Hashable {
        public var iommu: Int
        public var id: UInt32?
        public var mask: UInt32?
    }

    public struct Master: Sendable {
        public var node: Int
        public var path: String
        public var compatible: [String]
        public var specifiers: [Specifier]
        public var dmaCoherent: Bool
        /// The bus node it sits on (its parent).
        public var bus: Int?
        /// A PCIe controller in endpoint mode (`pcie-ep` nodes, `*-ep` compatibles).
        public var endpointMode: Bool
    }

    /// An `iommu-map` or `msi-map` entry: `rid-base`, target node, output base, length.
    public struct MapEntry: Sendable, Hashable {
        public var ridBase: UInt32
        public var target: Int
        public var outputBase: UInt32
        public var length: UInt32
    }

    public struct PCIHost: Sendable {
        public var node: Int
        public var path: String
        public var domain: UInt32?
        public var busRange: (first: UInt8, last: UInt8)
        public var iommuMap: [MapEntry]
        public var iommuMapMask: UInt32
        public var msiMap: [MapEntry]
        public var msiMapMask: UInt32
        public var msiParent: Int?
        public var bus: Int?
    }

    /// A bus node with `dma-ranges`: (child address, parent address, size) triples; empty
    /// for an empty `dma-ranges` (1:1).
    public struct DMARanges: Sendable {
        public var node: Int
        public var path: String
        public var windows: [(child: UInt64, parent: UInt64, size: UInt64)]
    }

    public var model: String?
    public var memory: [Range] = []
    public var reserved: [Reserved] = []
    public var iommus: [IOMMU] = []
    public var masters: [Master] = []
    public var hosts: [PCIHost] = []
    public var dmaRanges: [Int: DMARanges] = [:]
    /// Nodes left out because they, or a node above them, are disabled.
    public var disabled: [String] = []

    /// Reads the facts; problems (unknown phandles, cells that do not fit, maps of the wrong
    /// length) are located at node paths.
    public static func read(_ t: DeviceTree, problems: inout [FirmwareProblem]) -> DeviceTreeFacts {
        var f = DeviceTreeFacts()
        func problem(_ id: String, _ sev: FirmwareProblem.Severity, _ path: String, _ m: String) {
            problems.append(FirmwareProblem(id, sev, table: "DTB", offset: nil, path: path, m))
        }
        guard !t.nodes.isEmpty else { return f }
        f.model = t.nodes[0].property("model").map(DeviceTree.strings)?.first
        // Available nodes: a disabled node hides its subtree.
        var available = [Bool](repeating: true, count: t.nodes.count)
        for i in t.nodes.indices {
            if let p = t.nodes[i].parent, !available[p] { available[i] = false; continue }
            if !t.isAvailable(i) {
                available[i] = false
                f.disabled.append(t.nodes[i].path)
            }
        }
        let root = t.childCells(0)
        // Memory: /memory@* nodes (device_type "memory"), reg in the root's cells.
        for (i, n) in t.nodes.enumerated() where available[i] && n.parent == 0 {
            let isMemory = n.property("device_type").map(DeviceTree.strings)?.first == "memory" || n.name == "memory" || n.name.hasPrefix("memory@")
            guard isMemory, let reg = t.cells(i, "reg") else { continue }
            f.memory += ranges(reg, root.address, root.size, path: n.path, &problems)
        }
        // Reserved memory: children of /reserved-memory, in its cells.
        for (i, n) in t.nodes.enumerated() where n.parent == 0 && n.name == "reserved-memory" {
            let c = t.childCells(i)
            for k in n.children where available[k] {
                let child = t.nodes[k]
                guard let reg = t.cells(k, "reg") else { continue }   // dynamically placed: no fixed range
                for r in ranges(reg, c.address, c.size, path: child.path, &problems) {
                    f.reserved.append(Reserved(name: child.name, range: r, noMap: child.has("no-map")))
                }
            }
        }
        // IOMMUs.
        var iommuOfNode: [Int: Int] = [:]
        for (i, n) in t.nodes.enumerated() where n.has("#iommu-cells") {
            guard available[i] else { continue }   // a disabled IOMMU: its masters have none
            guard let c = t.cells(i, "#iommu-cells")?.first, c <= 2 else {
                problem(FirmwareCheck.malformed, .error, n.path, "#iommu-cells must be one cell of 0, 1 or 2")
                continue
            }
            iommuOfNode[i] = f.iommus.count
            f.iommus.append(IOMMU(node: i, path: n.path, compatible: t.compatible(i), cells: Int(c), streamMatchMask: t.cells(i, "stream-match-mask")?.first))
        }
        func target(_ ph: UInt32, _ from: String, _ what: String) -> Int? {
            guard let k = t.byPhandle[ph] else {
                problem(FirmwareCheck.malformed, .error, from, "\(what) names phandle \(ph), which no node has")
                return nil
            }
            return k
        }
        // Masters: every available node with `iommus`.
        for (i, n) in t.nodes.enumerated() where available[i] {
            let compat = t.compatible(i)
            let ep = n.name == "pcie-ep" || n.name.hasPrefix("pcie-ep@") || compat.contains { $0.hasSuffix("-ep") || $0.hasSuffix("-pcie-ep") }
            guard let v = n.property("iommus") else {
                if ep { f.masters.append(Master(node: i, path: n.path, compatible: compat, specifiers: [], dmaCoherent: n.has("dma-coherent"), bus: n.parent, endpointMode: true)) }
                continue
            }
            guard let c = DeviceTree.cells(v) else {
                problem(FirmwareCheck.malformed, .error, n.path, "iommus is \(v.count) bytes, not a whole number of cells")
                continue
            }
            var specs: [Specifier] = []
            var k = 0
            while k < c.count {
                guard let tn = target(c[k], n.path, "iommus") else { break }
                guard let io = iommuOfNode[tn] else {
                    if t.nodes[tn].has("#iommu-cells") {
                        // The IOMMU is disabled: of_iommu_xlate gives no IOMMU.
                        let cells = t.cells(tn, "#iommu-cells")?.first.map(Int.init) ?? 0
                        k += 1 + cells
                        continue
                    }
                    problem(FirmwareCheck.malformed, .error, n.path, "iommus names \(t.nodes[tn].path), which has no #iommu-cells")
                    break
                }
                let cells = f.iommus[io].cells
                guard k + 1 + cells <= c.count else {
                    problem(FirmwareCheck.malformed, .error, n.path, "iommus ends inside a specifier: \(t.nodes[tn].path) has #iommu-cells = <\(cells)>")
                    break
                }
                specs.append(Specifier(iommu: io, id: cells >= 1 ? c[k + 1] : nil, mask: cells >= 2 ? c[k + 2] : nil))
                k += 1 + cells
            }
            f.masters.append(Master(node: i, path: n.path, compatible: compat, specifiers: specs, dmaCoherent: n.has("dma-coherent"), bus: n.parent, endpointMode: ep))
        }
        // An IOMMU whose own `iommus` lead, IOMMU after IOMMU, back to itself: a phandle
        // cycle (nested translation must end at memory).
        var inCycle = Set<Int>()
        for io in f.iommus where !inCycle.contains(io.node) {
            var seen: [Int] = [io.node]
            var at = io.node
            while let v = t.nodes[at].property("iommus"), let c = DeviceTree.cells(v), let ph = c.first, let next = t.byPhandle[ph], t.nodes[next].has("#iommu-cells") {
                if seen.contains(next) {
                    inCycle.formUnion(seen)
                    problem(FirmwareCheck.malformed, .error, io.path, "phandle cycle: its iommus lead through " + (seen.dropFirst().map { t.nodes[$0].path } + [t.nodes[next].path]).joined(separator: " -> ") + " back to an IOMMU already on the way")
                    break
                }
                seen.append(next)
                at = next
                if seen.count > DeviceTree.maxDepth { break }
            }
        }
        // PCIe host bridges.
        for (i, n) in t.nodes.enumerated() where available[i] && n.property("device_type").map(DeviceTree.strings)?.first == "pci" {
            // A host bridge, not a PCI-PCI bridge node below one.
            if let p = n.parent, t.nodes[p].property("device_type").map(DeviceTree.strings)?.first == "pci" { continue }
            var host = PCIHost(node: i, path: n.path, domain: t.cells(i, "linux,pci-domain")?.first, busRange: (0, 255), iommuMap: [], iommuMapMask: .max,
                               msiMap: [], msiMapMask: .max, msiParent: nil, bus: n.parent)
            if let br = t.cells(i, "bus-range"), br.count == 2, br[0] <= br[1], br[1] <= 255 { host.busRange = (UInt8(br[0]), UInt8(br[1])) }
            for (name, maskName) in [("iommu-map", "iommu-map-mask"), ("msi-map", "msi-map-mask")] {
                guard let v = n.property(name) else { continue }
                // Mainline of_map_id reads 4 cells per entry whatever the target's cells say.
                guard !v.isEmpty, v.count % 16 == 0, let c = DeviceTree.cells(v) else {
                    problem(DeviceTreeLint.mapCells, .warning, n.path, "\(name) is \(v.count) bytes: of_map_id reads 4 cells (rid-base, phandle, output-base, length) per entry, so Linux rejects it ('Bad \(name) length') and the host's devices get \(name == "iommu-map" ? "no IOMMU" : "no MSI translation")")
                    continue
                }
                var entries: [MapEntry] = []
                for e in stride(from: 0, to: c.count, by: 4) {
                    guard let tn = target(c[e + 1], n.path, name) else { continue }
                    var length = c[e + 3]
                    // of_map_id matches `id_base <= id < id_base + id_len`: a zero length
                    // matches nothing, and its u32 arithmetic wraps an output past 2^32.
                    if length == 0 {
                        problem(FirmwareCheck.malformed, .warning, n.path, "\(name) entry \(e / 4) has length 0 and maps no ID; left out")
                        continue
                    }
                    let room = min(0x1_0000_0000 - UInt64(c[e + 2]), 0x1_0000_0000 - UInt64(c[e]))
                    if UInt64(length) > room {
                        problem(FirmwareCheck.malformed, .warning, n.path, "\(name) entry \(e / 4) runs past 2^32 (base \(hexDigits(UInt64(c[e]))), output base \(hexDigits(UInt64(c[e + 2]))), length \(hexDigits(UInt64(length)))): of_map_id's 32-bit sums wrap there; cut to \(hexDigits(room))")
                        length = UInt32(room)
                    }
                    entries.append(MapEntry(ridBase: c[e], target: tn, outputBase: c[e + 2], length: length))
                }
                let mask = t.cells(i, maskName)?.first ?? .max
                if name == "iommu-map" { host.iommuMap = entries; host.iommuMapMask = mask } else { host.msiMap = entries; host.msiMapMask = mask }
            }
            if let mp = t.cells(i, "msi-parent")?.first { host.msiParent = target(mp, n.path, "msi-parent") }
            f.hosts.append(host)
        }
        // dma-ranges of every bus node: child address in its own #address-cells, parent address
        // in its parent's, size in its own #size-cells (Devicetree Specification 2.3.9).
        for (i, n) in t.nodes.enumerated() where available[i] {
            guard let v = n.property("dma-ranges"), let p = n.parent else { continue }
            let own = t.childCells(i), up = t.childCells(p)
            guard let c = DeviceTree.cells(v) else {
                problem(FirmwareCheck.malformed, .error, n.path, "dma-ranges is not a whole number of cells")
                continue
            }
            let each = own.address + up.address + own.size
            guard each > 0, c.count % each == 0, own.address <= 3, up.address <= 3, own.size <= 2 else {
                problem(FirmwareCheck.malformed, .error, n.path, "dma-ranges has \(c.count) cells, not a multiple of \(own.address) + \(up.address) + \(own.size) (#address-cells here, #address-cells of the parent, #size-cells here)")
                continue
            }
            var windows: [(UInt64, UInt64, UInt64)] = []
            for e in stride(from: 0, to: c.count, by: each) {
                // PCI addresses have 3 cells: the first holds flags, the other two the address.
                let ca = own.address == 3 ? DeviceTree.number(c, e + 1, 2) : DeviceTree.number(c, e, own.address)
                let pa = up.address == 3 ? DeviceTree.number(c, e + own.address + 1, 2) : DeviceTree.number(c, e + own.address, up.address)
                guard let ca, let pa, let sz = DeviceTree.number(c, e + own.address + up.address, own.size), sz > 0 else { continue }
                guard ca <= UInt64.max - (sz - 1), pa <= UInt64.max - (sz - 1) else {
                    problem(FirmwareCheck.malformed, .warning, n.path, "dma-ranges window 0x\(hexDigits(ca)) -> 0x\(hexDigits(pa)) + 0x\(hexDigits(sz)) runs past 2^64; left out")
                    continue
                }
                // Windows of one bus must not overlap in child addresses (of_dma_get_range
                // would take the first); a later overlapping one is left out.
                if let o = windows.first(where: { ca <= $0.0 &+ ($0.2 - 1) && $0.0 <= ca &+ (sz - 1) }) {
                    problem(FirmwareCheck.malformed, .warning, n.path, "dma-ranges window 0x\(hexDigits(ca)) + 0x\(hexDigits(sz)) overlaps the window at 0x\(hexDigits(o.0)) in bus addresses; left out")
                    continue
                }
                windows.append((ca, pa, sz))
            }
            f.dmaRanges[i] = DMARanges(node: i, path: n.path, windows: windows)
        }
        return f
    }

    /// `reg` as (base, size) pairs in the given cells.
    static func ranges(_ reg: [UInt32], _ a: Int, _ s: Int, path: String, _ problems: inout [FirmwareProblem]) -> [Range] {
        let each = a + s
        guard each > 0, reg.count % each == 0, a <= 2, s <= 2 else {
            problems.append(FirmwareProblem(FirmwareCheck.malformed, .error, table: "DTB", offset: nil, path: path,
                                            "reg has \(reg.count) cells, not pairs of \(a) address and \(s) size cells"))
            return []
        }
        var out: [Range] = []
        for e in stride(from: 0, to: reg.count, by: each) {
            guard let b = DeviceTree.number(reg, e, a), let z = DeviceTree.number(reg, e + a, s), z > 0 else { continue }
            guard b <= UInt64.max - (z - 1) else {
                problems.append(FirmwareProblem(FirmwareCheck.malformed, .warning, table: "DTB", offset: nil, path: path,
                                                "reg range 0x\(hexDigits(b)) + 0x\(hexDigits(z)) runs past 2^64; left out"))
                continue
            }
            out.append(Range(base: b, size: z))
        }
        return out
    }
}

/// The check IDs of the device tree lints (docs/checks.md).
public enum DeviceTreeLint {
    /// An `iommu-map` or `msi-map` whose length is not whole entries of 4 cells.
    public static let mapCells = "dt-map-cells"
    /// A host bridge's `iommu-map` that leaves requester IDs of its bus range unmapped.
    public static let mapUncovered = "dt-map-uncovered"
    /// Two entries of one map that overlap in their input IDs.
    public static let mapOverlap = "dt-map-overlap"
    /// A master with no `iommus` where its siblings of the same kind have one.
    public static let missingIOMMUs = "dt-missing-iommus"
    /// `dma-ranges` that leave all RAM out of reach of a 32-bit master.
    public static let dmaRangesRAM = "dt-dma-ranges-ram"
    /// A master whose `iommus` name more than one IOMMU (one fwspec per device).
    public static let twoIOMMUs = "dt-iommus-mixed"

    public static let all = [mapCells, mapUncovered, mapOverlap, missingIOMMUs, dmaRangesRAM, twoIOMMUs]
}
