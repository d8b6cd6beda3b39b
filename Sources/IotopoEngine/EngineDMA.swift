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
                seg.cycles = UInt64(r.cycles)
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
                // No region, or past a region's end: the memory step cuts it.
                return runPipeline(seg, device: d.index, from: plans[d.index].ops.count, write: write)
            }
        }
        return runPipeline(seg, device: d.index, from: 0, write: write)
    }

    // MARK: The pipeline

    /// Runs `seg` through the stages of device `d`'s path from `stage` on (its plan's ops,
    /// then the memory step), leaving the result in `segments`; returns the first fault.
    ///
    /// The pieces of one DMA are streamed, depth first: each piece a stage cuts off goes
    /// through every later stage before the stage cuts the next, and reaches `segments`
    /// merged with its neighbour when the two form one physical run (`emit`). So what one
    /// DMA holds is one cursor per stage plus its final runs, whatever its size: a DMA over
    /// 16 TiB mapped in 4 KiB pages is four billion page pieces but one run. (Issue 17
    /// point 11: every stage used to keep its whole piece list, 68 bytes a page.) The
    /// result is the one the stage-by-stage order gives: each stage treats its pieces one by
    /// one, and the order of pieces is kept.
    mutating func runPipeline(_ seg: Segment, device d: Int, from stage: Int, write: Bool) -> Fault? {
        segments.removeAll(keepingCapacity: true)
        streamPieces(seg, device: d, from: stage, write: write)
        noteSegments()
        for s in segments where s.fault != nil { return s.fault }
        return nil
    }

    /// The streaming itself (`runPipeline`).
    private mutating func streamPieces(_ seg: Segment, device d: Int, from stage: Int, write: Bool) {
        let opCount = plans[d].ops.count
        if stage >= opCount {
            finish(seg, write: write)
            return
        }
        cursors.removeAll(keepingCapacity: true)
        cursors.append(PieceCursor(seg, stage: stage))
        while var c = cursors.popLast() {
            let stage = Int(c.stage)
            let op = plans[d].ops[stage]
            let last = stage + 1 == opCount
            // The last op's pieces go straight to the memory step: cut them all here, with
            // no cursor traffic (the common path: one IOMMU, or windows alone). Otherwise
            // cut one piece, and put the rest back under the piece's own cursor.
            //
            // At the last op, neighbouring pieces that form one physical run inside one
            // region (or one hole) are merged before the memory step, which then has one
            // piece to decode instead of one per page. The memory step would not cut such a
            // run, and `emit` would merge its pieces all the same, so the result is the one
            // piece by piece (a run crossing a region boundary is not merged here: the
            // memory step cuts it, and each part keeps its own pages' costs).
            var pending = Segment(iova: 0, length: 0)
            var pendingLimit: UInt64 = 0
            // A translating domain's pages, looked up once for the whole piece.
            let translating = op.kind == .iommu ? translatingDomain(op) : -1
            repeat {
                let piece: Segment
                if translating >= 0 {
                    piece = nextPage(&c, iommu: Int(op.index), domain: translating, write: write, last: last)
                } else if op.kind == .iommu {
                    piece = nextIOMMUPiece(&c, op, write: write)
                } else {
                    piece = nextWindowPiece(&c, BridgeID(op.index), write: write)
                }
                // A faulted piece goes no further (each stage passes faults through untouched).
                if piece.faulted {
                    if pending.length > 0 { finish(pending, write: write); pending.length = 0 }
                    emit(piece)
                } else if last {
                    if pending.length > 0, pending.continuesRun(with: piece),
                       piece.address <= pendingLimit, piece.length &- 1 <= pendingLimit &- piece.address {
                        pending.absorb(piece)
                    } else {
                        if pending.length > 0 { finish(pending, write: write) }
                        pending = piece
                        pendingLimit = decodeLimit(piece.address)
                    }
                } else {
                    if c.remaining > 0 { cursors.append(c) }
                    cursors.append(PieceCursor(piece, stage: stage + 1))
                    break
                }
            } while c.remaining > 0
            if pending.length > 0 { finish(pending, write: write) }
        }
    }

    /// The last address of the region holding `a`, or of the hole holding it: the memory
    /// step does not cut a piece from `a` up to it.
    @inline(__always)
    mutating func decodeLimit(_ a: UInt64) -> UInt64 {
        if let k = regionIndex(containing: a) { return regionLast[k] }
        return nextRegionBase(after: a).map { $0 &- 1 } ?? .max
    }

    /// The memory step for one piece: cut at every region boundary, each part emitted.
    @inline(__always)
    mutating func finish(_ piece: Segment, write: Bool) {
        if let k = regionIndex(containing: piece.address), piece.length &- 1 <= regionLast[k] &- piece.address {
            var p = piece
            p.region = RegionID(regionID[k])
            emit(p)
            return
        }
        var c = PieceCursor(piece, stage: 0)
        repeat {
            emit(nextRegionPiece(&c, write: write))
        } while c.remaining > 0
    }

    /// Appends a finished piece, merged into the last one when both form one physical run:
    /// both reached memory, in the same region, contiguous on the device side and in
    /// physical memory, with the same hazards (scatter/gather keeps one segment per
    /// physical run); or both faulted the same way at the same place, contiguous on the
    /// device side.
    @inline(__always)
    mutating func emit(_ b: Segment) {
        if let out = segments.indices.last {
            let a = segments[out]
            let run = a.continuesRun(with: b) && a.region == b.region
            let sameFault = a.fault != nil && b.fault == a.fault && a.faultIOMMU == b.faultIOMMU
                && a.faultBridge == b.faultBridge && a.iova &+ a.length == b.iova
            if run || sameFault {
                segments[out].absorb(b)
                return
            }
        }
        segments.append(b)
    }

    // MARK: Windows

    /// dma-ranges: the next piece of `c` inside one window moves by the window's offset; a
    /// part outside every window does not cross the bridge (docs/semantics.md section 3).
    mutating func nextWindowPiece(_ c: inout PieceCursor, _ b: BridgeID, write: Bool) -> Segment {
        let windows = model.bridges[b].windows
        let a = c.address
        var piece = c.take()
        if let w = windows.first(where: { $0.child.contains(a) }) {
            let toEnd = w.child.last &- a &+ 1   // 0: the window runs to 2^64
            piece.length = toEnd == 0 ? c.remaining : min(c.remaining, toEnd)
            piece.address = w.translate(a)
        } else {
            // Outside every window up to the next window's start (or the end).
            let next = windows.lazy.filter { $0.child.base > a }.map(\.child.base).min()
            piece.length = next.map { min(c.remaining, $0 &- a) } ?? c.remaining
            piece.address = a
            piece.fault = .unreachable
            piece.faultBridge = b
            piece.isWrite = write
        }
        c.advance(piece.length)
        return piece
    }

    // MARK: IOMMU

    /// The domain translating the stream of `op` at its IOMMU, or -1 (no context, an
    /// unmatched ID, an identity or a blocked domain: `nextIOMMUPiece`).
    @inline(__always)
    func translatingDomain(_ op: PlanOp) -> Int32 {
        guard op.slot >= 0 else { return -1 }
        let dom = slotDomain[Int(op.slot)]
        return dom >= 0 && hot[Int(dom)].type == .translated ? dom : -1
    }

    /// The piece of `c` past an IOMMU whose stream has no translating domain there (pages
    /// of a translating one are `nextPage`'s): the whole of it, through or faulted.
    mutating func nextIOMMUPiece(_ c: inout PieceCursor, _ op: PlanOp, write: Bool) -> Segment {
        let u = Int(op.index)
        var s = c.piece
        c.remaining = 0
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
            return s
        }
        let dom = slotDomain[Int(op.slot)]
        if dom >= 0, hot[Int(dom)].type == .identity { return s }
        // No context for the stream, or a blocked domain.
        s.fault = dom < 0 ? .badStreamID : .blocked
        s.faultIOMMU = IOMMUID(u)
        s.isWrite = write
        return s
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
        /// Page size (log2) of the leaf that translated it (valid without a fault, or with a
        /// permission or output-width fault).
        var shift = 0
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
        r.shift = shift
        r.toEnd = (mask - (a & mask)) &+ 1
        r.phys = out | (a & mask)
        if perm & (write ? PTE.write : PTE.read) == 0 {
            r.fault = .permission
        } else if unit.outputBits < 64 && r.phys >> unit.outputBits != 0 {
            r.fault = .addressSize
        }
        return r
    }

    /// Translates the next page of `c`.
    mutating func nextPage(_ c: inout PieceCursor, iommu u: Int, domain dom: Int32, write: Bool, last: Bool) -> Segment {
        let a = c.address
        let remaining = c.remaining
        var piece = c.take()
        piece.isWrite = write
        let r = translateOne(iommu: u, domain: dom, a, write: write)
        if r.inputRange {
            piece.length = remaining
            piece.address = a
            piece.fault = .addressSize
            piece.inputRange = true
            piece.faultIOMMU = IOMMUID(u)
            c.advance(remaining)
            return piece
        }
        if r.hit { piece.hits &+= 1 } else { piece.misses &+= 1 }
        piece.cycles &+= UInt64(r.cycles)
        if r.stale { piece.hazards.insert(.staleIOTLB) }
        let len = r.toEnd == 0 ? remaining : min(remaining, r.toEnd)
        piece.length = len
        let outputBits = units[u].outputBits
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
        c.advance(len)
        if last, c.remaining >> UInt64(r.shift) >= 64, foldsPageRuns, !r.hit, r.fault == nil || r.fault == .permission, piece.fault == r.fault,
           c.address >= c.noRunBefore {
            extendByPageRun(&piece, &c, iommu: u, domain: dom, write: write, first: r)
        }
        return piece
    }

    /// Folds into `piece` the pages after it that the hardware would translate exactly as
    /// it did its own: the whole pages that follow in the same mapping, contiguous in
    /// physical memory, with the same outcome (reached, or a permission fault), inside the
    /// region or hole the piece lies in, none of them in the IOTLB. Each would miss, walk
    /// the same levels and fill the IOTLB, so the run is counted at once (lookups, walks,
    /// cycles) and only its last `capacity` pages are filled: the ones the IOTLB ends up
    /// holding. Every `sets` consecutive pages fall in distinct sets, so `capacity`
    /// consecutive fills evict every older entry, which is also why an IOTLB entry
    /// `capacity` pages or more into the run cannot make one of its pages hit. A DMA over
    /// 16 TiB in 4 KiB pages is then one run, not four billion walks; the outcome, the
    /// counters and the IOTLB are those of the page-by-page walk.
    ///
    /// Only the last op of a path folds (its pieces go straight to the memory step, which
    /// the region bound keeps from cutting them); a piece bound for another stage goes page
    /// by page, as before. Tables are not built for the pages folded: they are a cache of
    /// the mappings, and nothing the run reports depends on them.
    mutating func extendByPageRun(_ piece: inout Segment, _ c: inout PieceCursor, iommu u: Int, domain dom: Int32, write: Bool, first r: PageResult) {
        let shift = UInt64(r.shift)
        guard shift < 64 else { return }
        let size = UInt64(1) << shift
        let b = c.address
        guard b & (size &- 1) == 0 else { return }
        let i = domains[Int(dom)].firstMapping(endingAtOrAfter: b)
        guard i < domains[Int(dom)].mappings.endIndex else { return }
        let m = domains[Int(dom)].mappings[i]
        guard m.iova.contains(b), m.pageSize == size else { return }
        let phys = m.phys &+ (b &- m.iova.base)
        guard phys == piece.address &+ piece.length || piece.fault != nil else { return }
        let allowed = PTE.bits(m.perm) & (write ? PTE.write : PTE.read) != 0
        guard allowed == (piece.fault == nil) else { return }
        // Whole pages of the mapping inside what is left of the access.
        let lastByte = min(m.iova.last, b &+ (c.remaining &- 1))
        // (The access ends below 2^64 - 1, so `b` is not 0 when `lastByte` is 2^64 - 1, and
        // the count does not wrap.)
        var pages = (lastByte &- b &+ 1) >> shift
        if piece.fault == nil {
            // Inside the region (or hole) the piece starts in, and below the output width.
            let start = piece.address
            if let k = regionIndex(containing: start) {
                pages = phys > regionLast[k] ? 0 : min(pages, Self.wholePages(from: phys, through: regionLast[k], shift: shift))
            } else if let next = nextRegionBase(after: start) {
                pages = next > phys ? min(pages, (next &- phys) >> shift) : 0
            }
            let outputBits = units[u].outputBits
            if pages > 0, outputBits < 64, (phys &+ ((pages << shift) &- 1)) >> outputBits != 0 { return }
        }
        let tlb = tlbs[u]
        let capacity = UInt64(tlb.capacity)
        guard pages >= max(64, capacity / 8) else { return }
        let runLast = b &+ ((pages << shift) &- 1)
        if let covered = tlb.firstCovered(domain: dom, first: b, last: runLast) {
            let clear = (covered &- b) >> shift
            if clear < capacity {
                // A cached page may hit: go page by page for a while before looking again,
                // so the look costs nothing next to the pages.
                pages = clear
                c.noRunBefore = b &+ (capacity << shift)
                guard pages >= 64 else { return }
            }
        }
        let length = pages << shift
        tlb.countMisses(pages, cycles: r.cycles)
        let filled = min(pages, capacity)
        tlb.advanceClock(by: pages &- filled)
        let epoch = hot[Int(dom)].epoch
        let perm = UInt8(PTE.bits(m.perm))
        var k = pages &- filled
        while k < pages {
            let off = k << shift
            tlb.fill(dom, iova: b &+ off, pageShift: Int(shift), output: phys &+ off, perm: perm, epoch: epoch)
            k &+= 1
        }
        piece.length &+= length
        piece.misses &+= pages
        piece.cycles &+= pages &* UInt64(r.cycles)
        c.advance(length)
    }

    // MARK: Memory

    /// The next piece of `c` in memory: up to the end of the region it starts in, or, in a
    /// hole, up to the next region (a bus error, no-target). Every address decodes on its
    /// own, so an access from a hole into a region, or through region, hole, region, gives
    /// one piece per run.
    mutating func nextRegionPiece(_ c: inout PieceCursor, write: Bool) -> Segment {
        let a = c.address
        var piece = c.take()
        piece.address = a
        if let k = regionIndex(containing: a) {
            let toEnd = regionLast[k] &- a &+ 1   // 0: the region runs to 2^64
            piece.length = toEnd == 0 ? c.remaining : min(c.remaining, toEnd)
            piece.region = RegionID(regionID[k])
            piece.fault = nil
        } else {
            piece.length = nextRegionBase(after: a).map { min(c.remaining, $0 &- a) } ?? c.remaining
            piece.region = nil
            piece.fault = .noTarget
            piece.isWrite = write
        }
        c.advance(piece.length)
        return piece
    }
}

extension Engine {
    /// Whole pages of 2^`shift` bytes from `a` through `last` (`a <= last`), without
    /// wrapping when the range is all of 2^64.
    static func wholePages(from a: UInt64, through last: UInt64, shift: UInt64) -> UInt64 {
        let span = last &- a
        return span == .max ? UInt64(1) << (64 &- shift) : (span &+ 1) >> shift
    }
}

/// What is left of one piece at one stage of the pipeline: its address there, its device
/// address, the bytes not yet cut off, and the piece itself, whose earlier stages' costs
/// and hazards stay with the first piece cut from it.
struct PieceCursor {
    var piece: Segment
    var address: UInt64
    var iova: UInt64
    var remaining: UInt64
    var first = true
    var stage: Int32
    /// The IOMMU stage looks for a run of pages to fold (`extendByPageRun`) only from here.
    var noRunBefore: UInt64 = 0

    init(_ s: Segment, stage: Int) {
        piece = s
        address = s.address
        iova = s.iova
        remaining = s.length
        self.stage = Int32(truncatingIfNeeded: stage)
    }

    /// A new piece starting here: the cursor's own piece the first time (its costs and
    /// hazards with it), a fresh one after. The caller sets its length and address.
    @inline(__always)
    mutating func take() -> Segment {
        var p = first ? piece : Segment(iova: iova, length: 0)
        first = false
        p.iova = iova
        return p
    }

    /// Moves past `n` bytes.
    @inline(__always)
    mutating func advance(_ n: UInt64) {
        address &+= n
        iova &+= n
        remaining -= n
    }
}
