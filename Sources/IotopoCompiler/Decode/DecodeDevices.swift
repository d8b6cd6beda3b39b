import IotopoModel
import IotopoSource
import IotopoYAML

extension Decoder {
    package mutating func device(_ n: YAMLNodeID) -> DeviceDecl? {
        guard var f = fields(n, "a device") else { return nil }
        suppressions(&f)
        let nm = entryName(&f, "device name")
        var d = DeviceDecl(name: nm ?? Ref(name: "", range: range(n)), origin: origin(n))
        if let v = require(&f, "bus") { d.bus = name(v, "bus") } else { d.complete = false }
        if let v = optional(&f, "kind") { d.kind = string(v, "device kind") ?? d.kind }
        if let v = optional(&f, "rid") { d.rid = rid(v, "requester ID"); if d.rid == nil { d.complete = false } }
        if let (k, v) = take(&f, "stream-ids") {
            d.streamIDsRange = range(k)
            if let items = list(v, "'stream-ids'") {
                for item in items {
                    if doc.kind(item) == .mapping {
                        // `{id: 0x400, mask: 0x7f}`: an SMMUv2 stream match (ID and mask cells).
                        guard var g = fields(item, "a stream ID with a mask") else { d.complete = false; continue }
                        let id = require(&g, "id").flatMap { integer($0, "stream ID", in: 0 ... 0xFFFF_FFFF) }
                        let mask = require(&g, "mask").flatMap { integer($0, "stream-match mask", in: 0 ... 0xFFFF_FFFF) }
                        finish(g)
                        guard let id, let mask else { d.complete = false; continue }
                        d.streamMasks += [UInt32](repeating: 0, count: d.streamIDs.count - d.streamMasks.count) + [UInt32(mask)]
                        d.streamIDs.append(UInt32(id))
                    } else if let x = integer(item, "stream ID", in: 0 ... 0xFFFF_FFFF) {
                        d.streamIDs.append(UInt32(x))
                    } else { d.complete = false }
                }
            } else { d.complete = false }
        }
        if let v = optional(&f, "multifunction") { d.multifunction = bool(v, "multifunction") ?? false }
        if let v = optional(&f, "pcie-endpoint") { d.pcieEndpoint = bool(v, "pcie-endpoint") ?? false }
        if let v = optional(&f, "acs") { d.acs = acs(v); if d.acs == nil { d.complete = false } }
        if let v = optional(&f, "dma") { d.dmaCapable = bool(v, "dma") ?? true }
        if let v = optional(&f, "dma-bits") {
            if let x = integer(v, "dma-bits", in: 1 ... 64) { d.dmaBits = UInt8(x) } else { d.complete = false }
        }
        if let v = optional(&f, "msi") { d.msi = msi(v) }
        if let v = optional(&f, "aliases") { d.aliases = aliases(v, busAliases: &d.busAliases) }
        if let v = optional(&f, "reserved") { d.reserved = reserved(v) }
        d.pci = pciIdentity(&f, entry: n)
        if let v = optional(&f, "port-type") {
            d.portType = word(v, "port type", PCIPortType.self)
            if let t = d.portType, [.rootPort, .upstreamPort, .downstreamPort, .pcieToPCI, .pciToPCIe].contains(t) {
                error(CheckID.invalidValue, "a \(t.rawValue) is a bridge: declare it under 'bridges' with kind \(Self.bridgeKindText(t))", v)
                d.portType = nil
            }
        }
        if let v = optional(&f, "physfn") { d.physfn = name(v, "physfn") }
        if let v = optional(&f, "default-domain") { d.defaultDomain = word(v, "default domain type", DefaultDomainType.self)?.rawValue }
        finish(f)
        return nm == nil ? nil : d
    }

    package static func bridgeKindText(_ t: PCIPortType) -> String {
        switch t {
        case .rootPort: return "root-port"
        case .upstreamPort: return "switch-upstream"
        case .downstreamPort: return "switch-downstream"
        case .pcieToPCI: return "pcie-to-pci"
        default: return "pci-to-pcie"
        }
    }

    /// `msi: true`, `msi: false`, or `{vectors, handle, cpu, vector}`.
    package mutating func msi(_ n: YAMLNodeID) -> MSICapability? {
        if doc.kind(n) == .scalar {
            guard let on = bool(n, "msi") else { return nil }
            return on ? MSICapability(vectors: 1, handle: nil, cpu: 0, vector: 0x30) : nil
        }
        guard var f = fields(n, "msi") else { return nil }
        var m = MSICapability(vectors: 1, handle: nil, cpu: 0, vector: 0x30)
        if let v = optional(&f, "vectors"), let x = integer(v, "vectors", in: 1 ... 2048) { m.vectors = UInt32(x) }
        if let v = optional(&f, "handle"), let x = integer(v, "handle", in: 0 ... 0xFFFF) { m.handle = UInt32(x) }
        if let v = optional(&f, "cpu"), let x = integer(v, "cpu", in: 0 ... 0xFFFF_FFFF) { m.cpu = UInt32(x) }
        if let v = optional(&f, "vector"), let x = integer(v, "vector", in: 0 ... 255) { m.vector = UInt8(x) }
        if let v = optional(&f, "address"), let x = integer(v, "msi address") { m.address = x }
        finish(f)
        return m
    }

    /// Fixed DMA aliases as `dd.f` on the device's own bus.
    /// `aliases: [00.1, 02:00.0]`: `dd.f` on the device's own bus (a DMA alias, which joins
    /// groups), or a whole requester ID `bb:dd.f` on another bus (what the IOMMU sees its
    /// requests arrive with, as IVRS alias entries say; Linux keeps cross-bus aliases out of
    /// groups, `setup_aliases`). The second kind goes to `busAliases`.
    package mutating func aliases(_ n: YAMLNodeID, busAliases: inout [RequesterID]) -> [UInt8] {
        guard let items = list(n, "'aliases'") else { return [] }
        var out: [UInt8] = []
        for item in items {
            guard let s = string(item, "alias") else { continue }
            if s.contains(":") {
                guard let r = RequesterID(parsing: s) else {
                    error(CheckID.badRequesterID, "alias '\(Self.printable(s))' must be device.function on the device's bus (00.1) or a requester ID bb:dd.f", item)
                    continue
                }
                busAliases.append(r)
                continue
            }
            let p = s.split(separator: ".", omittingEmptySubsequences: false)
            guard p.count == 2, (1 ... 2).contains(p[0].count), p[1].count == 1,
                  let dev = Int(p[0], radix: 16), let fn = Int(p[1], radix: 16), dev < 32, fn < 8 else {
                error(CheckID.badRequesterID, "alias '\(Self.printable(s))' must be device.function on the device's bus, e.g. 00.1", item)
                continue
            }
            out.append(UInt8(dev << 3 | fn))
        }
        return out
    }

    package mutating func reserved(_ n: YAMLNodeID) -> [ReservedRange] {
        guard let items = list(n, "'reserved'") else { return [] }
        var out: [ReservedRange] = []
        for item in items {
            guard var f = fields(item, "a reserved range") else { continue }
            let b = require(&f, "base"), s = require(&f, "size")
            finish(f)
            if let r = addressRange(base: b, size: s, entry: item, "reserved range") {
                out.append(ReservedRange(range: r, origin: origin(item)))
            }
        }
        return out
    }
}
