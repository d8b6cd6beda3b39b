import IotopoModel
import IotopoSource
import IotopoYAML

extension Decoder {
    package mutating func bridge(_ n: YAMLNodeID) -> BridgeDecl? {
        guard var f = fields(n, "a bridge") else { return nil }
        suppressions(&f)
        let nm = entryName(&f, "bridge name")
        var b = BridgeDecl(name: nm ?? Ref(name: "", range: range(n)), origin: origin(n))
        if let v = require(&f, "kind") { b.kind = word(v, "bridge kind", BridgeKind.self) }
        if let v = require(&f, "upstream") { b.upstream = name(v, "upstream bus") }
        if let v = require(&f, "downstream") { b.downstream = name(v, "downstream bus") }
        b.windows = []
        if let v = optional(&f, "windows") { b.windows = windows(v) }
        if let v = optional(&f, "acs") { b.acs = acs(v); if b.acs == nil { b.complete = false } }
        if let v = optional(&f, "rid") {
            b.rid = rid(v, "requester ID")
            if b.rid == nil { b.complete = false }
            if let k = b.kind, !k.isPCIFunction {
                error(CheckID.badRequesterID, "a \(k.rawValue) is not a PCI function and has no requester ID", v)
                b.complete = false
            }
        } else if let k = b.kind, k.isPCIFunction {
            error(CheckID.missingKey, "a \(k.rawValue) is a PCI function: it needs 'rid' (its requester ID, e.g. 00:1c.0)", n)
            b.complete = false
        }
        if let v = optional(&f, "multifunction") { b.multifunction = bool(v, "multifunction") ?? false }
        if let v = optional(&f, "translation-root") { b.translationRoot = bool(v, "translation-root") ?? false }
        if let v = optional(&f, "pcie-alias") {
            b.pcieAlias = bool(v, "pcie-alias") ?? false
            if let k = b.kind, k != .pciBridge {
                error(CheckID.invalidValue, "'pcie-alias' applies to conventional PCI bridges (kind pci-bridge) only", v)
            }
        }
        if let (k, v) = take(&f, "id-map") {
            b.idMap = hostIDMap(v) ?? { b.complete = false; return [] }()
            if let kind = b.kind, kind != .rootComplex {
                error(CheckID.invalidValue, "'id-map' on a bridge belongs to a host bridge (kind root-complex), as the device tree's iommu-map and IORT's root complex nodes do; a \(kind.rawValue) has none", k)
                b.complete = false
            }
        }
        if let v = optional(&f, "id-map-mask"), let x = integer(v, "id-map-mask", in: 0 ... 0xFFFF_FFFF) { b.idMapMask = UInt32(x) }
        if let (k, v) = take(&f, "msi-map") {
            b.msiMap = msiMap(v) ?? { b.complete = false; return [] }()
            if let kind = b.kind, kind != .rootComplex {
                error(CheckID.invalidValue, "'msi-map' belongs to a host bridge (kind root-complex), as the device tree's msi-map does; a \(kind.rawValue) has none", k)
                b.complete = false
            }
        }
        if let v = optional(&f, "msi-map-mask"), let x = integer(v, "msi-map-mask", in: 0 ... 0xFFFF_FFFF) { b.msiMapMask = UInt32(x) }
        b.pci = pciIdentity(&f, entry: n)
        finish(f)
        if b.kind == nil || b.upstream == nil || b.downstream == nil || b.windows == nil { b.complete = false }
        return nm == nil ? nil : b
    }

    /// A host bridge's `id-map: [{rid-base, iommu, output-base, length}]`: the device tree's
    /// `iommu-map = <rid-base &iommu output-base length>`, one entry per tuple.
    package mutating func hostIDMap(_ n: YAMLNodeID) -> [HostIDMapDecl]? {
        var ok = true
        let out = entries(n, "id-map") { d, e -> HostIDMapDecl? in
            guard var f = d.fields(e, "an id-map entry") else { ok = false; return nil }
            let base = d.require(&f, "rid-base").flatMap { d.integer($0, "rid-base", in: 0 ... 0xFFFF_FFFF) }
            let io = d.require(&f, "iommu").flatMap { d.name($0, "IOMMU") }
            let out = d.require(&f, "output-base").flatMap { d.integer($0, "output-base", in: 0 ... 0xFFFF_FFFF) }
            let lenNode = d.require(&f, "length")
            let len = lenNode.flatMap { d.integer($0, "length", in: 1 ... 0xFFFF_FFFF) }
            d.finish(f)
            guard let base, let io, let out, let len, let lenNode else { ok = false; return nil }
            if out + len - 1 > 0xFFFF_FFFF {
                d.error(CheckID.valueOutOfRange, "output-base + length passes 2^32 (stream IDs are at most 32 bits)", lenNode)
                ok = false
                return nil
            }
            return HostIDMapDecl(ridBase: UInt32(base), iommu: io, outputBase: UInt32(out), length: UInt32(len), origin: d.origin(e))
        }
        return ok ? out : nil
    }

    /// A host bridge's `msi-map: [{rid-base, msi-controller, output-base, length}]`: the device
    /// tree's `msi-map = <rid-base &its output-base length>`.
    package mutating func msiMap(_ n: YAMLNodeID) -> [MSIMapEntry]? {
        var ok = true
        let out = entries(n, "msi-map") { d, e -> MSIMapEntry? in
            guard var f = d.fields(e, "an msi-map entry") else { ok = false; return nil }
            let base = d.require(&f, "rid-base").flatMap { d.integer($0, "rid-base", in: 0 ... 0xFFFF_FFFF) }
            let ctl = d.require(&f, "msi-controller").flatMap { d.name($0, "MSI controller") }
            let out = d.require(&f, "output-base").flatMap { d.integer($0, "output-base", in: 0 ... 0xFFFF_FFFF) }
            let lenNode = d.require(&f, "length")
            let len = lenNode.flatMap { d.integer($0, "length", in: 1 ... 0xFFFF_FFFF) }
            d.finish(f)
            guard let base, let ctl, let out, let len, let lenNode else { ok = false; return nil }
            if out + len - 1 > 0xFFFF_FFFF {
                d.error(CheckID.valueOutOfRange, "output-base + length passes 2^32 (MSI device IDs are at most 32 bits)", lenNode)
                ok = false
                return nil
            }
            return MSIMapEntry(ridBase: UInt32(base), controller: ctl.name, outputBase: UInt32(out), length: UInt32(len), origin: d.origin(e))
        }
        return ok ? out : nil
    }

    /// `windows: [{child, parent, size}]`, dma-ranges entries (docs/semantics.md section 3).
    package mutating func windows(_ n: YAMLNodeID) -> [DMAWindow]? {
        guard let items = list(n, "'windows'") else { return nil }
        var out: [DMAWindow] = []
        var ok = true
        for item in items {
            guard var f = fields(item, "a DMA window") else { ok = false; continue }
            let c = require(&f, "child"), p = require(&f, "parent"), s = require(&f, "size")
            finish(f)
            guard let child = addressRange(base: c, size: s, entry: item, "window child range"),
                  let pv = p, let parent = integer(pv, "window parent address") else { ok = false; continue }
            guard AddressRange(base: parent, size: child.size) != nil else {
                error(CheckID.addressOverflow, "window parent range \(hex(parent)) + \(sizeText(child.size)) runs past the top of the 64-bit address space", pv)
                ok = false
                continue
            }
            out.append(DMAWindow(child: child, parentBase: parent, origin: origin(item)))
        }
        return ok ? out : nil
    }
}
