import IotopoModel
import IotopoSource

/// One hop of an explained DMA.
public struct Hop: Sendable {
    /// What the hop is ("bridge sw-dn0", "IOMMU dmar0", "memory").
    public var title: String
    /// What happened there, one line each.
    public var lines: [String]
    /// The declaration that caused it.
    public var origin: Origin?
}

/// An explained DMA: every hop, and the outcome the DMA path gives for the same access.
public struct Explanation: Sendable {
    public var hops: [Hop]
    public var fault: Fault?
    public var segments: [Segment]
}

extension Engine {
    /// Explains one DMA hop by hop: the device, each bridge (alias, windows), each IOMMU
    /// (stream ID, context, domain, IOTLB, every page-table level with its index and entry,
    /// permission and output width), and the memory reached, each with its source location.
    /// The outcome is the DMA path's own (`dma`), run afterwards on the same state.
    public mutating func explain(_ d: DeviceID, write: Bool, address: UInt64, size: UInt64) -> Explanation {
        let m = model
        let dev = m.devices[d]
        var hops: [Hop] = []
        let op = write ? "write" : "read"
        let segment = m.segment(of: d)
        var first = ["\(op) \(hex(address)) +\(sizeText(size)), \(dev.dmaBits)-bit DMA" + (dev.rid.map { ", requester ID \($0.description(segment: segment))" } ?? "")
                     + (dev.streamIDs.isEmpty ? "" : ", stream IDs " + dev.streamIDs.map { hex(UInt64($0)) }.joined(separator: ","))]
        let (end, wraps) = address.addingReportingOverflow(size &- 1)
        if wraps {
            // Never print the wrapped sum: the access itself runs past the address space.
            first.append("cannot emit \(hex(address)) +\(sizeText(size)): it runs past 2^64 (fault dma-width)")
        } else if end > dev.dmaLimit {
            first.append("cannot emit \(hex(end)): at or above 2^\(dev.dmaBits) (fault dma-width)")
        }
        hops.append(Hop(title: "device \(dev.name) on bus \(m.buses[dev.bus].name)", lines: first, origin: dev.origin))
        let path = topology.path(of: dev)
        var a = address
        for (i, step) in path.steps.enumerated() {
            switch step {
            case let .cross(b):
                let br = m.bridges[b]
                var lines: [String] = []
                if br.translationRoot {
                    lines.append("translation root: requester-ID aliasing stops here")
                } else if let alias = m.bridgeAlias(b) {
                    lines.append("forwards the DMA as requester ID \(alias.description(segment: m.buses[br.upstream].segment)) (\(br.kind.rawValue) alias, pci_for_each_dma_alias)")
                } else {
                    lines.append("no requester-ID alias (\(br.kind.rawValue))")
                }
                hops.append(Hop(title: "bridge \(br.name) (\(m.buses[br.downstream].name) -> \(m.buses[br.upstream].name))", lines: lines, origin: br.origin))
            case let .windows(b):
                let br = m.bridges[b]
                guard !br.windows.isEmpty else { continue }
                if let w = br.windows.first(where: { $0.child.contains(a) }) {
                    let out = w.translate(a)
                    hops.append(Hop(title: "windows of \(br.name)", lines: ["\(hex(a)) is in window \(hex(w.child.base))-\(hex(w.child.last)) -> \(hex(out))"], origin: w.origin))
                    a = out
                } else {
                    hops.append(Hop(title: "windows of \(br.name)", lines: ["\(hex(a)) is outside every DMA window: unreachable"], origin: br.origin))
                }
            case let .iommu(u):
                explainIOMMU(d, u, step: i, path: path, write: write, address: &a, hops: &hops)
            }
        }
        let fault = dma(d, write: write, address: address, size: size)
        let segs = segments
        var lines: [String] = []
        for s in segs {
            let range = "\(hex(s.iova)) +\(sizeText(s.length))"
            if let f = s.fault {
                lines.append("\(range): fault \(f)")
            } else if let r = s.region {
                lines.append("\(range) -> \(hex(s.address)) in \(m.regions[r].name) (\(m.regions[r].kind.rawValue))" + (s.hazards.isEmpty ? "" : ", hazard " + s.hazards.names.joined(separator: ", ")))
            }
        }
        let region = segs.first?.region
        hops.append(Hop(title: "memory", lines: lines, origin: region.map { m.regions[$0].origin }))
        return Explanation(hops: hops, fault: fault, segments: segs)
    }

    mutating func explainIOMMU(_ d: DeviceID, _ u: IOMMUID, step i: Int, path: DMAPath, write: Bool, address a: inout UInt64, hops: inout [Hop]) {
        let m = model
        let unit = m.iommus[u]
        var lines: [String] = []
        var origin: Origin? = unit.origin
        defer { hops.append(Hop(title: "IOMMU \(unit.name) (\(unit.kind.rawValue))", lines: lines, origin: origin)) }
        guard let op = plans[d.index].ops.first(where: { $0.kind == .iommu && $0.index == u.raw }) else { return }
        if let rid = m.effectiveRID(of: d, path: path, at: i) {
            lines.append("requester ID \(rid.rid.description(segment: m.segment(of: d)))" + (unit.idMap.isEmpty ? " passes through as stream ID (no id-map)" : " -> id-map"))
        }
        if op.slot < 0 {
            lines.append("no id-map entry matches: " + (unit.unmatched == .bypass ? "bypasses the IOMMU untranslated (hazard)" : "aborted (fault bad-stream-id, \(Fault.badStreamID.nativeCode(unit.kind, FaultDetail(write: write, unmatched: true))))"))
            return
        }
        lines.append("stream ID \(hex(UInt64(op.streamID)))")
        let dom = slotDomain[Int(op.slot)]
        guard dom >= 0 else {
            lines.append("no context for the stream: no domain attached (fault bad-stream-id, \(Fault.badStreamID.nativeCode(unit.kind, FaultDetail(write: write))))")
            return
        }
        let domain = m.domains[Int(dom)]
        origin = domain.origin
        let state = domains[Int(dom)]
        let type = hot[Int(dom)].type
        lines.append("context: domain \(domain.name) (\(type.rawValue))")
        switch type {
        case .identity:
            lines.append("identity domain: \(hex(a)) passes through untranslated")
            return
        case .blocked:
            lines.append("blocked domain (fault blocked, \(Fault.blocked.nativeCode(unit.kind, FaultDetail(write: write))))")
            return
        case .translated:
            break
        }
        if unit.inputBits < 64 && a >> UInt64(unit.inputBits) != 0 {
            lines.append("IOVA \(hex(a)) is past the \(unit.inputBits)-bit input width (fault address-size, \(Fault.addressSize.nativeCode(unit.kind, FaultDetail(inputRange: true, write: write))))")
            return
        }
        let g = pools[u.index].geometry
        if let w = tlbs[u.index].lookup(dom, a) {
            lines.append("IOTLB: hit (\(sizeText(UInt64(1) << UInt64(tlbs[u.index].shift(w)))) page -> \(hex(tlbs[u.index].output(w))))")
        } else {
            lines.append("IOTLB: miss")
        }
        lines.append("page walk: \(g.levels) levels from \(g.levelName(unit.kind, level: 0)), \(sizeText(UInt64(1) << UInt64(g.granuleShift))) granule, \(unit.inputBits)-bit input")
        var hops: [(level: Int, index: Int, entry: UInt64)] = []
        let r = walk(u.index, dom, a) { hops.append(($0, $1, $2)) }
        for (level, index, entry) in hops {
            let span = sizeText(UInt64(1) << UInt64(g.shift(level: level)))
            let text = PTE.describe(entry) { pools[u.index].number(Int32(truncatingIfNeeded: $0)) }
            lines.append("  \(g.levelName(unit.kind, level: level)) index \(hex(UInt64(index), digits: 3)) (\(span) per entry): \(text)")
        }
        guard r.faultLevel == nil else {
            lines.append("entry not valid: nothing mapped at \(hex(a)) (fault translation, \(Fault.translation.nativeCode(unit.kind, FaultDetail(write: write))))")
            return
        }
        let mask = (UInt64(1) << UInt64(r.pageShift)) - 1
        let phys = (r.entry & PTE.addressMask) | (a & mask)
        if let mp = state.mapping(containing: a) { origin = mp.origin }
        let perm = r.entry & (write ? PTE.write : PTE.read)
        guard perm != 0 else {
            lines.append("\(write ? "write" : "read") not permitted by the entry (fault permission, \(Fault.permission.nativeCode(unit.kind, FaultDetail(write: write))))")
            return
        }
        if unit.outputBits < 64 && phys >> UInt64(unit.outputBits) != 0 {
            lines.append("output \(hex(phys)) is past the \(unit.outputBits)-bit output width (fault address-size, \(Fault.addressSize.nativeCode(unit.kind, FaultDetail(write: write))))")
            return
        }
        lines.append("\(hex(a)) -> \(hex(phys)) (\(sizeText(UInt64(1) << UInt64(r.pageShift))) page, \(write ? "write" : "read") permitted)")
        a = phys
    }
}
