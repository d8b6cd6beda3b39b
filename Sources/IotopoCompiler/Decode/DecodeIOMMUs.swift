import IotopoModel
import IotopoSource
import IotopoYAML

extension Decoder {
    /// Per-architecture defaults: VT-d and AMD-Vi use 16-bit source IDs and remap
    /// interrupts by default; SMMUv3 stream IDs may be up to 32 bits, SMMUv2's 16.
    package static func defaults(_ k: IOMMUKind, into d: inout IOMMUDecl) {
        switch k {
        case .intelVTd, .amdVi:
            d.streamIDBits = 16
            d.interruptRemapping = true
        case .armSMMUv3:
            d.streamIDBits = 32
        case .armSMMU:
            d.streamIDBits = 16
        case .generic:
            d.streamIDBits = 16
        }
    }

    package mutating func iommu(_ n: YAMLNodeID) -> IOMMUDecl? {
        guard var f = fields(n, "an IOMMU") else { return nil }
        suppressions(&f)
        let nm = entryName(&f, "IOMMU name")
        var d = IOMMUDecl(name: nm ?? Ref(name: "", range: range(n)), origin: origin(n))
        if let v = require(&f, "kind") { d.kind = word(v, "IOMMU kind", IOMMUKind.self) }
        let kind = d.kind ?? .generic
        Self.defaults(kind, into: &d)
        if let v = require(&f, "at") {
            // `at: [a, b]`: one unit intercepting at several places (an INCLUDE_PCI_ALL unit
            // serving every root bus of its segment).
            if doc.kind(v) == .sequence {
                let refs = (list(v, "'at'") ?? []).compactMap { name($0, "placement ('at': a bridge or bus)") }
                if refs.isEmpty { error(CheckID.invalidValue, "'at' lists no place", v); d.complete = false }
                d.at = refs.first
                d.alsoAt = Array(refs.dropFirst())
            } else {
                d.at = name(v, "placement ('at': a bridge or bus)")
            }
        }
        let inputNode = optional(&f, "input-bits")
        if let v = inputNode {
            if let x = integer(v, "input-bits", in: 16 ... 64) { d.inputBits = UInt8(x) } else { d.complete = false }
        }
        let outputNode = optional(&f, "output-bits")
        if let v = outputNode {
            if let x = integer(v, "output-bits", in: 16 ... 64) { d.outputBits = UInt8(x) } else { d.complete = false }
        }
        var granuleNode: YAMLNodeID?
        if let v = optional(&f, "granule") {
            granuleNode = v
            if let g = powerOfTwo(v, "granule") { d.granuleShift = UInt8(g.trailingZeroBitCount) } else { d.complete = false }
        }
        validateGeometry(&d, kind: kind, granuleNode: granuleNode, inputNode: inputNode, outputNode: outputNode, entry: n)
        let possible = PageTableGeometry.possiblePageSizes(kind: kind, granuleShift: d.granuleShift, inputBits: d.inputBits, outputBits: d.outputBits)
        d.pageSizes = possible
        if let v = optional(&f, "page-sizes") { pageSizes(v, possible: possible, into: &d) }
        if let v = optional(&f, "iotlb") { iotlb(v, into: &d) }
        if let v = optional(&f, "interrupt-remapping") { d.interruptRemapping = bool(v, "interrupt-remapping") ?? d.interruptRemapping }
        if let (k, v) = take(&f, "remap-table") {
            d.remapTable = remapTable(v)
            if !d.interruptRemapping {
                error(CheckID.invalidValue, "'remap-table' is given but interrupt remapping is off (set interrupt-remapping: true)", k)
            }
        }
        if let v = optional(&f, "stream-id-bits"), let x = integer(v, "stream-id-bits", in: 1 ... 32) { d.streamIDBits = UInt8(x) }
        if let v = optional(&f, "id-map") { d.idMap = idMap(v) ?? { d.complete = false; return [] }() }
        if let v = optional(&f, "id-map-mask"), let x = integer(v, "id-map-mask", in: 0 ... 0xFFFF_FFFF) { d.idMapMask = UInt32(x) }
        if let v = optional(&f, "unmatched") { d.unmatched = word(v, "unmatched", UnmatchedPolicy.self) ?? .abort }
        if let v = optional(&f, "aliases") {
            // `aliases: [{rid: 03:00.0, as: 02:00.1}, {from: ff:00.0, to: ff:1f.7, as: 00:14.4}]`
            for item in list(v, "'aliases'") ?? [] {
                guard var g = fields(item, "an IOMMU alias") else { d.complete = false; continue }
                let one = optional(&g, "rid").flatMap { rid($0, "requester ID") }
                let from = optional(&g, "from").flatMap { rid($0, "requester ID") }
                let to = optional(&g, "to").flatMap { rid($0, "requester ID") }
                let alias = require(&g, "as").flatMap { rid($0, "requester ID") }
                finish(g)
                guard let alias else { d.complete = false; continue }
                if let one {
                    d.aliasRanges.append(IOMMUAlias(range: RIDRange(first: one.rid, last: one.rid), as: alias.rid, origin: origin(item)))
                } else if let from, let to, from.rid <= to.rid {
                    d.aliasRanges.append(IOMMUAlias(range: RIDRange(first: from.rid, last: to.rid), as: alias.rid, origin: origin(item)))
                } else {
                    error(CheckID.invalidValue, "an IOMMU alias needs 'rid', or 'from' and 'to' in order, and 'as'", item)
                    d.complete = false
                }
            }
        }
        let scopeNode = optional(&f, "scope")
        if let v = scopeNode { d.scope = iommuScope(v); if d.scope == nil { d.complete = false } }
        if let (k, v) = take(&f, "include-all") {
            d.includeAll = bool(v, "include-all") ?? false
            if d.includeAll, scopeNode != nil {
                error(CheckID.invalidValue, "'include-all' and 'scope' exclude each other: an INCLUDE_PCI_ALL unit manages what no scoped unit does", k)
                d.complete = false
            }
        }
        finish(f)
        if d.kind == nil || d.at == nil { d.complete = false }
        return nm == nil ? nil : d
    }

    /// Granule and width rules: Arm LPAE granules are 4, 16 or 64 KiB; VT-d and AMD-Vi use
    /// 4 KiB; the level count `ceil((ias - log2(granule)) / (log2(granule) - 3))` must fit the
    /// format (4 for LPAE, 5 for VT-d, 6 for AMD-Vi; docs/semantics.md section 5).
    package mutating func validateGeometry(_ d: inout IOMMUDecl, kind: IOMMUKind, granuleNode: YAMLNodeID?, inputNode: YAMLNodeID?, outputNode: YAMLNodeID?, entry: YAMLNodeID) {
        let g = d.granuleShift
        let allowed: [UInt8]
        switch kind {
        case .intelVTd, .amdVi: allowed = [12]
        case .armSMMUv3, .armSMMU: allowed = [12, 14, 16]
        case .generic: allowed = [12, 13, 14, 15, 16]
        }
        if !allowed.contains(g) {
            let list = allowed.map { sizeText(UInt64(1) << UInt64($0)) }.joined(separator: ", ")
            error(CheckID.invalidValue, "granule \(sizeText(UInt64(1) << UInt64(g))) is not available on \(kind.rawValue) (available: \(list))", granuleNode ?? entry)
            d.complete = false
            d.granuleShift = 12
            return
        }
        if d.inputBits <= g {
            error(CheckID.valueOutOfRange, "input-bits \(d.inputBits) must exceed the granule's \(g) bits", inputNode ?? granuleNode ?? entry)
            d.complete = false
            return
        }
        if kind == .armSMMUv3 || kind == .armSMMU {
            // Without LPA2 (io-pgtable-arm has none): 48 bits for the 4 and 16 KiB granules, 52
            // for 64 KiB; SMMUv3 input sizes never exceed 52 bits (IHI 0070, CD.T0SZ).
            let most = PageTableGeometry.armMaxAddressBits(granuleShift: g)
            let granule = sizeText(UInt64(1) << UInt64(g))
            let why = g == 16 ? "\(kind.rawValue) tables take at most 52 bits" : "more than 48 bits with a \(granule) granule needs LPA2, which Linux's io-pgtable-arm does not support (arm_lpae_restrict_pgsizes caps it at 48)"
            if d.inputBits > most {
                error(CheckID.valueOutOfRange, "input-bits \(d.inputBits): \(why); use at most \(most)" + (g == 16 ? "" : ", or the 64KiB granule for 52"), inputNode ?? granuleNode ?? entry)
                d.complete = false
                return
            }
            if d.outputBits > most {
                error(CheckID.valueOutOfRange, "output-bits \(d.outputBits): \(why); use at most \(most)" + (g == 16 ? "" : ", or the 64KiB granule for 52"), outputNode ?? granuleNode ?? entry)
                d.complete = false
                return
            }
        }
        let geo = PageTableGeometry(kind: kind, granuleShift: g, inputBits: d.inputBits)
        if Int(geo.levels) > PageTableGeometry.maxLevels(kind) {
            error(CheckID.valueOutOfRange,
                  "input-bits \(d.inputBits) with a \(sizeText(UInt64(1) << UInt64(g))) granule needs \(geo.levels) table levels; \(kind.rawValue) tables have at most \(PageTableGeometry.maxLevels(kind))",
                  inputNode ?? granuleNode ?? entry)
            d.complete = false
        }
    }

    package mutating func pageSizes(_ n: YAMLNodeID, possible: UInt64, into d: inout IOMMUDecl) {
        guard let items = list(n, "'page-sizes'") else { d.complete = false; return }
        var set: UInt64 = 0
        let possibleText = (0 ..< 64).filter { possible & (1 << UInt64($0)) != 0 }.map { sizeText(1 << UInt64($0)) }.joined(separator: ", ")
        for item in items {
            guard let p = powerOfTwo(item, "page size") else { d.complete = false; continue }
            guard possible & p != 0 else {
                error(CheckID.invalidValue, "page size \(sizeText(p)) is not possible with this granule and input width (possible: \(possibleText))", item)
                d.complete = false
                continue
            }
            set |= p
        }
        let granule = UInt64(1) << UInt64(d.granuleShift)
        if set & granule == 0, d.complete {
            error(CheckID.invalidValue, "page-sizes must include the granule, \(sizeText(granule))", n)
            d.complete = false
        }
        d.pageSizes = set
    }

    package mutating func iotlb(_ n: YAMLNodeID, into d: inout IOMMUDecl) {
        guard var f = fields(n, "iotlb") else { return }
        if let v = optional(&f, "sets") {
            if let x = integer(v, "iotlb sets", in: 1 ... 65536) {
                if x.nonzeroBitCount != 1 { error(CheckID.invalidValue, "iotlb sets must be a power of two (the set index is address bits)", v) }
                else { d.iotlb.sets = UInt32(x) }
            }
        }
        if let v = optional(&f, "ways"), let x = integer(v, "iotlb ways", in: 1 ... 64) { d.iotlb.ways = UInt32(x) }
        if let v = optional(&f, "hit-cycles"), let x = integer(v, "hit-cycles", in: 0 ... 1_000_000) { d.iotlb.hitCycles = UInt32(x) }
        if let v = optional(&f, "walk-cycles-per-level"), let x = integer(v, "walk-cycles-per-level", in: 0 ... 1_000_000) { d.iotlb.walkCyclesPerLevel = UInt32(x) }
        finish(f)
    }

    package mutating func remapTable(_ n: YAMLNodeID) -> [RemapDecl] {
        entries(n, "remap-table") { d, e -> RemapDecl? in
            guard var f = d.fields(e, "a remap-table entry") else { return nil }
            let index = d.require(&f, "index").flatMap { d.integer($0, "index", in: 0 ... 0xFFFF) }
            let source = d.optional(&f, "source").flatMap { d.name($0, "source device") }
            let cpu = d.require(&f, "cpu").flatMap { d.integer($0, "cpu", in: 0 ... 0xFFFF_FFFF) }
            let vector = d.require(&f, "vector").flatMap { d.integer($0, "vector", in: 0 ... 255) }
            d.finish(f)
            guard let index, let cpu, let vector else { return nil }
            return RemapDecl(index: UInt32(index), source: source, cpu: UInt32(cpu), vector: UInt8(vector), origin: d.origin(e))
        }
    }

    package mutating func idMap(_ n: YAMLNodeID) -> [IDMapEntry]? {
        var ok = true
        let out = entries(n, "id-map") { d, e -> IDMapEntry? in
            guard var f = d.fields(e, "an id-map entry") else { ok = false; return nil }
            let base = d.require(&f, "rid-base").flatMap { d.integer($0, "rid-base", in: 0 ... 0xFFFF_FFFF) }
            let out = d.require(&f, "output-base").flatMap { d.integer($0, "output-base", in: 0 ... 0xFFFF_FFFF) }
            let lenNode = d.require(&f, "length")
            let len = lenNode.flatMap { d.integer($0, "length", in: 1 ... 0xFFFF_FFFF) }
            d.finish(f)
            guard let base, let out, let len, let lenNode else { ok = false; return nil }
            if out + len - 1 > 0xFFFF_FFFF {
                d.error(CheckID.valueOutOfRange, "output-base + length passes 2^32 (stream IDs are at most 32 bits)", lenNode)
                ok = false
                return nil
            }
            return IDMapEntry(ridBase: UInt32(base), outputBase: UInt32(out), length: UInt32(len), origin: d.origin(e))
        }
        return ok ? out : nil
    }
}
