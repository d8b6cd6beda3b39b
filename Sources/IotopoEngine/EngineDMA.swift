import IotopoModel

extension Engine {
    /// The pieces of the last DMA, one per physical run.
    public var lastSegments: [Segment] { segments }

    /// Makes `segments` hold exactly `s`, reusing its storage.
    @inline(__always)
    mutating func setSingle(_ s: Segment) {
        if segments.count == 1 {
            segments[0] = s
        } else {
            segments.removeAll(keepingCapacity: true)
            segments.append(s)
        }
        lastHazards = s.hazards
        lastPieceCount = 1
    }

    /// Records the hazards and piece count of a general-path access.
    mutating func noteSegments() {
        var h: Hazards = []
        for s in segments { h.formUnion(s.hazards) }
        lastHazards = h
        lastPieceCount = segments.count
    }

    /// Runs one DMA and returns its first fault, if any; `lastSegments` holds the detail.
    ///
    /// The order follows docs/semantics.md: the device's DMA width first; then the path, op by op:
    /// bridge windows translate or reject, each IOMMU translates with the stream ID the
    /// device presents there (no context: bad-stream-id; blocked domain: blocked; identity:
    /// through; else IOTLB, then a page walk on a miss, then permission and output width);
    /// finally the physical address must land in a memory region. An access crossing page,
    /// window or region boundaries is split into pieces, each with its own outcome.
    public mutating func dma(_ d: DeviceID, write: Bool, address: UInt64, size: UInt64) -> Fault? {
        var seg = Segment(iova: address, length: size)
        let (end, o) = address.addingReportingOverflow(size &- 1)
        let fast = fastPaths[d.index]
        if o || end > fast.dmaLimit || size == 0 {
            seg.fault = .dmaWidth
            seg.isWrite = write
            setSingle(seg)
            return .dmaWidth
        }
        // The common case: one IOMMU and no windows on the path, a translated domain, an
        // access inside one granule page. It is one piece whatever the mapping, so it skips
        // the piece lists; the steps and their order are those of the general path below.
        if fast.slot >= 0, (address & fast.granuleMask) &+ size &- 1 <= fast.granuleMask {
            let dom = slotDomain[Int(fast.slot)]
            if dom >= 0, hot[Int(dom)].type == .translated {
                let u = Int(fast.iommu)
                seg.isWrite = write
                let r = translateOne(iommu: u, domain: dom, address, write: write)
                if r.hit { seg.hits = 1 } else if !r.inputRange { seg.misses = 1 }
                seg.cycles = r.cycles
                if r.stale { seg.hazards = .staleIOTLB }
                if let f = r.fault {
                    seg.fault = f
                    seg.inputRange = r.inputRange
                    seg.faultIOMMU = IOMMUID(u)
                    setSingle(seg)
                    return f
                }
                seg.address = r.phys
                if let i = regionIndex(containing: r.phys), r.phys &+ (size &- 1) <= regionLast[i] {
                    seg.region = RegionID(regionID[i])
                    setSingle(seg)
                    return nil
                }
                // No region, or past a region's end: the general memory step splits it.
                segments.removeAll(keepingCapacity: true)
                segments.append(seg)
                resolveRegions(write: write)
                noteSegments()
                for s in segments where s.fault != nil { return s.fault }
                return nil
            }
        }
        segments.removeAll(keepingCapacity: true)
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
        noteSegments()
        for s in segments where s.fault != nil { return s.fault }
        return nil
    }

    // MARK: Windows

    /// dma-ranges: a piece inside a window moves by the window's offset; a part outside every
    /// window does not cross the bridge (docs/semantics.md section 3).
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
                    piece.isWrite = write
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
                    s.isWrite = write
                    s.unmatchedID = true
                }
                scratch.append(s)
                continue
            }
            let dom = slotDomain[Int(op.slot)]
            if dom < 0 {
                s.fault = .badStreamID
                s.faultIOMMU = IOMMUID(u)
                s.isWrite = write
                scratch.append(s)
                continue
            }
            switch hot[Int(dom)].type {
            case .identity:
                scratch.append(s)
            case .blocked:
                s.fault = .blocked
                s.faultIOMMU = IOMMUID(u)
                s.isWrite = write
                scratch.append(s)
            case .translated:
                translatePages(s, iommu: u, domain: dom, write: write)
            }
        }
        swap(&segments, &scratch)
    }

    /// One page's translation: where the IOVA goes, or why not.
    struct PageResult {
        var fault: Fault?
        var inputRange = false
        /// Physical address of the IOVA (valid without a fault).
        var phys: UInt64 = 0
        /// Bytes from the IOVA to the end of its page (or of the faulting entry's span);
        /// 0 stands for 2^64.
        var toEnd: UInt64 = 0
        var hit = false
        var cycles: UInt32 = 0
        var stale = false
    }

    /// Translates the page holding `a`: IOTLB, a walk on a miss, then permission and output
    /// width (the order of docs/semantics.md section 5). Updates the IOTLB and the statistics.
    @inline(__always)
    mutating func translateOne(iommu u: Int, domain dom: Int32, _ a: UInt64, write: Bool) -> PageResult {
        var r = PageResult()
        let unit = units[u]
        let tlb = tlbs[u]
        if unit.inputBits < 64 && a >> unit.inputBits != 0 {
            r.fault = .addressSize
            r.inputRange = true
            return r
        }
        var out: UInt64, shift: Int, perm: UInt64
        if let w = tlb.lookup(dom, a) {
            r.hit = true
            r.cycles = unit.hitCycles
            out = tlb.output(w)
            shift = tlb.shift(w)
            perm = UInt64(tlb.perm(w))
            let current = hot[Int(dom)].epoch
            if tlb.epoch(w) != current {
                // An unmap happened since this entry was filled: check it against the
                // tables. Hardware would use it regardless; iotopo flags the hazard.
                let walk = self.walk(u, dom, a)
                if walk.faultLevel == nil, walk.entry & PTE.addressMask == out, walk.pageShift == shift, walk.entry & (PTE.read | PTE.write) == perm {
                    tlb.refresh(w, epoch: current)
                } else {
                    r.stale = true
                }
            }
        } else {
            let walk = pools[u].walkBuilt(root: hot[Int(dom)].tables.root, iova: a) ?? self.walk(u, dom, a)
            r.cycles = unit.hitCycles &+ UInt32(walk.levels) &* unit.walkCycles
            if let level = walk.faultLevel {
                // Nothing mapped: the whole span of the invalid entry faults.
                let span = pools[u].geometry.shift(level: level)
                r.fault = .translation
                r.toEnd = span >= 64 ? 0 : ((UInt64(1) << UInt64(span)) &- (a & ((UInt64(1) << UInt64(span)) &- 1)))
                tlb.count(hit: false, walk: true, cycles: r.cycles)
                return r
            }
            out = walk.entry & PTE.addressMask
            shift = walk.pageShift
            perm = walk.entry & (PTE.read | PTE.write)
            tlb.fill(dom, iova: a, pageShift: shift, output: out, perm: UInt8(perm), epoch: hot[Int(dom)].epoch)
        }
        tlb.count(hit: r.hit, walk: !r.hit, cycles: r.cycles)
        let mask = (UInt64(1) << UInt64(shift)) &- 1
        r.toEnd = (mask - (a & mask)) &+ 1
        r.phys = out | (a & mask)
        if perm & (write ? PTE.write : PTE.read) == 0 {
            r.fault = .permission
        } else if unit.outputBits < 64 && r.phys >> unit.outputBits != 0 {
            r.fault = .addressSize
        }
        return r
    }

    /// Translates one piece page by page.
    mutating func translatePages(_ s: Segment, iommu u: Int, domain dom: Int32, write: Bool) {
        let outputBits = UInt64(model.iommus[u].outputBits)
        var a = s.address, dev = s.iova, remaining = s.length
        var first = true
        while remaining > 0 {
            var piece = Segment(iova: dev, length: 0)
            if first {
                // Earlier stages' costs and hazards stay with the first piece only.
                piece.hits = s.hits; piece.misses = s.misses; piece.cycles = s.cycles; piece.hazards = s.hazards
                first = false
            }
            piece.isWrite = write
            let r = translateOne(iommu: u, domain: dom, a, write: write)
            if r.inputRange {
                piece.length = remaining
                piece.address = a
                piece.fault = .addressSize
                piece.inputRange = true
                piece.faultIOMMU = IOMMUID(u)
                scratch.append(piece)
                return
            }
            if r.hit { piece.hits &+= 1 } else { piece.misses &+= 1 }
            piece.cycles &+= r.cycles
            if r.stale { piece.hazards.insert(.staleIOTLB) }
            let len = r.toEnd == 0 ? remaining : min(remaining, r.toEnd)
            piece.length = len
            if let f = r.fault {
                piece.fault = f
                piece.faultIOMMU = IOMMUID(u)
                piece.address = a
            } else if outputBits < 64 && (r.phys &+ (len &- 1)) >> outputBits != 0 {
                piece.fault = .addressSize
                piece.faultIOMMU = IOMMUID(u)
                piece.address = a
            } else {
                piece.address = r.phys
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
            let last = a &+ (segments[i].length &- 1)
            if let k = regionIndex(containing: a) {
                segments[i].region = RegionID(regionID[k])
                if last > regionLast[k] { needsSplit = true }
            } else {
                segments[i].fault = .noTarget
                segments[i].isWrite = write
                if let next = nextRegionBase(after: a), next <= last { needsSplit = true }
            }
        }
        guard needsSplit else { return }
        // Every address decodes on its own: a piece is cut wherever it passes from a region
        // into a hole or from a hole into a region, one segment per run. (Only this step
        // sets no-target, so a no-target piece is one it decoded, not an earlier fault.)
        scratch.removeAll(keepingCapacity: true)
        for s in segments {
            guard s.fault == nil || s.fault == .noTarget else { scratch.append(s); continue }
            var a = s.address, dev = s.iova, remaining = s.length
            var first = true
            while remaining > 0 {
                // Earlier stages' costs and hazards stay with the first piece only.
                var piece = first ? s : Segment(iova: dev, length: 0)
                first = false
                piece.iova = dev
                piece.address = a
                let len: UInt64
                if let k = regionIndex(containing: a) {
                    let toEnd = regionLast[k] &- a &+ 1   // 0: the region runs to 2^64
                    len = toEnd == 0 ? remaining : min(remaining, toEnd)
                    piece.region = RegionID(regionID[k])
                    piece.fault = nil
                } else {
                    len = nextRegionBase(after: a).map { min(remaining, $0 &- a) } ?? remaining
                    piece.region = nil
                    piece.fault = .noTarget
                    piece.isWrite = write
                }
                piece.length = len
                scratch.append(piece)
                a &+= len; dev &+= len; remaining -= len
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
