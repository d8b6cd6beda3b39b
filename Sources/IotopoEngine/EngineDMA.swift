import IotopoModel

extension Engine {
    /// The pieces of the last DMA, one per physical run.
    public var lastSegments: [Segment] { segments }

    /// Runs one DMA and returns its first fault, if any; `lastSegments` holds the detail.
    ///
    /// The order follows REFERENCE.md: the device's DMA width first; then the path, op by op:
    /// bridge windows translate or reject, each IOMMU translates with the stream ID the
    /// device presents there (no context: bad-stream-id; blocked domain: blocked; identity:
    /// through; else IOTLB, then a page walk on a miss, then permission and output width);
    /// finally the physical address must land in a memory region. An access crossing page,
    /// window or region boundaries is split into pieces, each with its own outcome.
    public mutating func dma(_ d: DeviceID, write: Bool, address: UInt64, size: UInt64) -> Fault? {
        segments.removeAll(keepingCapacity: true)
        var seg = Segment(iova: address, length: size)
        let (end, o) = address.addingReportingOverflow(size &- 1)
        if o || end > plans[d.index].dmaLimit || size == 0 {
            seg.fault = .dmaWidth
            seg.detail.write = write
            segments.append(seg)
            return .dmaWidth
        }
        segments.append(seg)
        let count = plans[d.index].ops.count
        var i = 0
        while i < count {
            let op = plans[d.index].ops[i]
            switch op.kind {
            case .windows: applyWindows(BridgeID(op.index), write: write)
            case .iommu: translate(op, write: write)
            }
            i += 1
        }
        resolveRegions(write: write)
        if segments.count > 1 { mergeRuns() }
        for s in segments where s.fault != nil { return s.fault }
        return nil
    }

    // MARK: Windows

    /// dma-ranges: a piece inside a window moves by the window's offset; a part outside every
    /// window does not cross the bridge (REFERENCE.md section 3).
    mutating func applyWindows(_ b: BridgeID, write: Bool) {
        scratch.removeAll(keepingCapacity: true)
        let windows = model.bridges[b].windows
        for var s in segments {
            guard s.fault == nil else { scratch.append(s); continue }
            var a = s.address, dev = s.iova, remaining = s.length
            var first = true
            while remaining > 0 {
                var piece = first ? s : Segment(iova: dev, length: 0)
                first = false
                piece.iova = dev
                if let w = windows.first(where: { $0.child.contains(a) }) {
                    let len = min(remaining, w.child.last - a + 1 == 0 ? remaining : w.child.last - a + 1)
                    piece.length = len
                    piece.address = w.translate(a)
                    scratch.append(piece)
                    a &+= len; dev &+= len; remaining -= len
                } else {
                    // Outside every window up to the next window's start (or the end).
                    let next = windows.filter { $0.child.base > a }.map(\.child.base).min()
                    let len = next.map { min(remaining, $0 - a) } ?? remaining
                    piece.length = len
                    piece.address = a
                    piece.fault = .unreachable
                    piece.faultBridge = b
                    piece.detail.write = write
                    scratch.append(piece)
                    a &+= len; dev &+= len; remaining -= len
                }
            }
            s.length = 0
        }
        swap(&segments, &scratch)
    }

    // MARK: IOMMU

    mutating func translate(_ op: PlanOp, write: Bool) {
        scratch.removeAll(keepingCapacity: true)
        let u = Int(op.index)
        for var s in segments {
            guard s.fault == nil else { scratch.append(s); continue }
            if op.slot < 0 {
                // No id-map entry matched the requester ID (of_map_id): not behind this IOMMU.
                if model.iommus[u].unmatched == .bypass {
                    s.hazards.insert(.bypass)
                } else {
                    s.fault = .badStreamID
                    s.faultIOMMU = IOMMUID(u)
                    s.detail.write = write
                }
                scratch.append(s)
                continue
            }
            let dom = slotDomain[Int(op.slot)]
            if dom < 0 {
                s.fault = .badStreamID
                s.faultIOMMU = IOMMUID(u)
                s.detail.write = write
                scratch.append(s)
                continue
            }
            switch domains[Int(dom)].type {
            case .identity:
                scratch.append(s)
            case .blocked:
                s.fault = .blocked
                s.faultIOMMU = IOMMUID(u)
                s.detail.write = write
                scratch.append(s)
            case .translated:
                translatePages(s, iommu: u, domain: dom, write: write)
            }
        }
        swap(&segments, &scratch)
    }

    /// Translates one piece page by page: IOTLB, walk on a miss, permission, output width
    /// (the order of REFERENCE.md section 5).
    mutating func translatePages(_ s: Segment, iommu u: Int, domain dom: Int32, write: Bool) {
        let unit = model.iommus[u]
        let inputBits = UInt64(unit.inputBits), outputBits = UInt64(unit.outputBits)
        let hitCycles = unit.iotlb.hitCycles, walkCycles = unit.iotlb.walkCyclesPerLevel
        var a = s.address, dev = s.iova, remaining = s.length
        var first = true
        while remaining > 0 {
            var piece = Segment(iova: dev, length: 0)
            if first {
                // Earlier stages' costs and hazards stay with the first piece only.
                piece.hits = s.hits; piece.misses = s.misses; piece.cycles = s.cycles; piece.hazards = s.hazards
                first = false
            }
            piece.detail.write = write
            if inputBits < 64 && a >> inputBits != 0 {
                piece.length = remaining
                piece.address = a
                piece.fault = .addressSize
                piece.detail.inputRange = true
                piece.faultIOMMU = IOMMUID(u)
                scratch.append(piece)
                return
            }
            stats[u].lookups &+= 1
            var out: UInt64, shift: Int, perm: UInt64
            if let w = tlbs[u].lookup(dom, a) {
                stats[u].hits &+= 1
                stats[u].cycles &+= UInt64(hitCycles)
                piece.hits &+= 1
                piece.cycles &+= hitCycles
                out = tlbs[u].output[w]
                shift = Int(tlbs[u].shift[w])
                perm = UInt64(tlbs[u].perm[w])
                let current = domains[Int(dom)].epoch
                if tlbs[u].epoch[w] != current {
                    // An unmap happened since this entry was filled: check it against the
                    // tables. Hardware would use it regardless; iotopo flags the hazard.
                    let r = pools[u].walk(&domains[Int(dom)], iova: a)
                    if r.faultLevel == nil, r.entry & PTE.addressMask == out, r.pageShift == shift, r.entry & (PTE.read | PTE.write) == perm {
                        tlbs[u].refresh(w, epoch: current)
                    } else {
                        piece.hazards.insert(.staleIOTLB)
                    }
                }
            } else {
                let r = pools[u].walk(&domains[Int(dom)], iova: a)
                stats[u].walks &+= 1
                let cost = hitCycles &+ UInt32(r.levels) &* walkCycles
                stats[u].cycles &+= UInt64(cost)
                piece.misses &+= 1
                piece.cycles &+= cost
                if let level = r.faultLevel {
                    // Nothing mapped: the whole span of the invalid entry faults.
                    let span = pools[u].geometry.shift(level: level)
                    let spanEnd = span >= 64 ? UInt64.max : ((a >> UInt64(span)) &+ 1) << UInt64(span)
                    let len = spanEnd == 0 || spanEnd <= a ? remaining : min(remaining, spanEnd - a)
                    piece.length = len
                    piece.address = a
                    piece.fault = .translation
                    piece.faultIOMMU = IOMMUID(u)
                    scratch.append(piece)
                    a &+= len; dev &+= len; remaining -= len
                    continue
                }
                out = r.entry & PTE.addressMask
                shift = r.pageShift
                perm = r.entry & (PTE.read | PTE.write)
                _ = tlbs[u].fill(dom, iova: a, pageShift: shift, output: out, perm: UInt8(perm), epoch: domains[Int(dom)].epoch)
            }
            let mask = (UInt64(1) << UInt64(shift)) &- 1
            let toPageEnd = (mask - (a & mask)) &+ 1
            let len = toPageEnd == 0 ? remaining : min(remaining, toPageEnd)
            piece.length = len
            let phys = out | (a & mask)
            piece.address = phys
            if perm & (write ? PTE.write : PTE.read) == 0 {
                piece.fault = .permission
                piece.faultIOMMU = IOMMUID(u)
                piece.address = a
            } else if outputBits < 64 && (phys &+ (len &- 1)) >> outputBits != 0 {
                piece.fault = .addressSize
                piece.faultIOMMU = IOMMUID(u)
                piece.address = a
            }
            scratch.append(piece)
            a &+= len; dev &+= len; remaining -= len
        }
    }

    // MARK: Memory

    /// The physical address must land in a memory region; a piece running past a region's
    /// end is split there, and what lies in no region is a bus error (no-target).
    mutating func resolveRegions(write: Bool) {
        var needsSplit = false
        for i in segments.indices where segments[i].fault == nil {
            let a = segments[i].address
            guard let r = model.region(containing: a, sortedRegions: regionsByBase) else {
                segments[i].fault = .noTarget
                segments[i].detail.write = write
                continue
            }
            segments[i].region = r
            if a &+ (segments[i].length &- 1) > model.regions[r].range.last { needsSplit = true }
        }
        guard needsSplit else { return }
        scratch.removeAll(keepingCapacity: true)
        for s in segments {
            guard s.fault == nil, let r = s.region, s.address &+ (s.length &- 1) > model.regions[r].range.last else {
                scratch.append(s)
                continue
            }
            var piece = s
            var a = s.address, dev = s.iova, remaining = s.length
            var region: RegionID? = r
            while remaining > 0 {
                piece.iova = dev
                piece.address = a
                if let rr = region {
                    let len = min(remaining, model.regions[rr].range.last - a + 1)
                    piece.length = len
                    piece.region = rr
                    piece.fault = nil
                    scratch.append(piece)
                    a &+= len; dev &+= len; remaining -= len
                } else {
                    piece.length = remaining
                    piece.region = nil
                    piece.fault = .noTarget
                    piece.detail.write = write
                    scratch.append(piece)
                    break
                }
                piece = Segment(iova: dev, length: 0)
                region = remaining > 0 ? model.region(containing: a, sortedRegions: regionsByBase) : nil
            }
        }
        swap(&segments, &scratch)
    }

    /// Merges neighbouring pieces that form one physical run: both reached memory, in the
    /// same region, contiguous on the device side and in physical memory, with the same
    /// hazards (scatter/gather keeps one segment per physical run).
    mutating func mergeRuns() {
        var out = 0
        for i in 1 ..< segments.count {
            let b = segments[i]
            let a = segments[out]
            if a.fault == nil, b.fault == nil, a.region == b.region, a.hazards == b.hazards,
               a.iova &+ a.length == b.iova, a.address &+ a.length == b.address {
                segments[out].length &+= b.length
                segments[out].hits &+= b.hits
                segments[out].misses &+= b.misses
                segments[out].cycles &+= b.cycles
            } else if a.fault != nil, b.fault == a.fault, a.faultIOMMU == b.faultIOMMU, a.faultBridge == b.faultBridge,
                      a.iova &+ a.length == b.iova {
                segments[out].length &+= b.length
                segments[out].hits &+= b.hits
                segments[out].misses &+= b.misses
                segments[out].cycles &+= b.cycles
            } else {
                out += 1
                segments[out] = b
            }
        }
        segments.removeSubrange((out + 1)...)
    }
}
