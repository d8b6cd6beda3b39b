import IotopoModel
import IotopoSource
import IotopoYAML

/// What a PCI function's entry says of its identity (`pci-id` and the keys beside it).
package struct PCIDecl {
    package var identity: PCIIdentity
    package var range: SourceRange
}

/// `observed-groups` entries.
package struct ObservedGroupDecl {
    package var number: Int
    package var members: [Ref]
    package var type: String?
    package var origin: Origin
}

extension Decoder {
    /// The identity keys of a device or bridge: `pci-id` (required by the others),
    /// `subsystem`, `revision`, `class`, `driver`, `ari`, `sriov`. Nil when there is no
    /// `pci-id`.
    package mutating func pciIdentity(_ f: inout Fields, entry n: YAMLNodeID) -> PCIDecl? {
        let id = take(&f, "pci-id")
        let sub = optional(&f, "subsystem"), rev = optional(&f, "revision"), cls = optional(&f, "class")
        let drv = optional(&f, "driver"), ari = optional(&f, "ari"), sriov = optional(&f, "sriov")
        guard let (k, v) = id else {
            for other in [sub, rev, cls, sriov].compactMap({ $0 }) {
                error(CheckID.missingKey, "this key describes a PCI function's identity, which needs 'pci-id' (vendor:device, e.g. 8086:a33c)", other)
            }
            _ = drv.map { string($0, "driver") }
            _ = ari.map { bool($0, "ari") }
            return nil
        }
        guard let pid = pciID(v, "pci-id") else { return nil }
        var p = PCIIdentity(id: pid)
        if let sub { p.subsystem = pciID(sub, "subsystem") }
        if let rev, let r = integer(rev, "revision", in: 0 ... 0xFF) { p.revision = UInt8(r) }
        if let cls, let c = integer(cls, "class", in: 0 ... 0xFF_FFFF) { p.classCode = UInt32(c) }
        if let drv { p.driver = string(drv, "driver") }
        if let ari { p.ari = bool(ari, "ari") ?? false }
        if let sriov { p.sriov = sriovInfo(sriov) }
        return PCIDecl(identity: p, range: range(k))
    }

    /// `vvvv:dddd`, four hex digits each, as lspci -nn prints them.
    package mutating func pciID(_ n: YAMLNodeID, _ what: String) -> PCIID? {
        guard let s = string(n, what) else { return nil }
        let parts = s.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 4,
              let v = UInt16(parts[0], radix: 16), let d = UInt16(parts[1], radix: 16) else {
            error(CheckID.invalidValue, "\(what) '\(Self.printable(s))' must be vendor:device in hex, four digits each (e.g. 8086:a33c), as lspci -nn prints it", n)
            return nil
        }
        return PCIID(vendor: v, device: d)
    }

    /// `{total-vfs, enabled-vfs, offset, stride, vf-device}`.
    package mutating func sriovInfo(_ n: YAMLNodeID) -> SRIOVInfo? {
        guard var f = fields(n, "sriov") else { return nil }
        var s = SRIOVInfo(totalVFs: 0, enabledVFs: 0, offset: 0, stride: 0, vfDevice: nil)
        if let v = require(&f, "total-vfs"), let x = integer(v, "total-vfs", in: 0 ... 0xFFFF) { s.totalVFs = Int(x) }
        if let v = optional(&f, "enabled-vfs"), let x = integer(v, "enabled-vfs", in: 0 ... 0xFFFF) { s.enabledVFs = Int(x) }
        if let v = require(&f, "offset"), let x = integer(v, "offset", in: 0 ... 0xFFFF) { s.offset = Int(x) }
        if let v = require(&f, "stride"), let x = integer(v, "stride", in: 0 ... 0xFFFF) { s.stride = Int(x) }
        if let v = optional(&f, "vf-device"), let x = integer(v, "vf-device", in: 0 ... 0xFFFF) { s.vfDevice = UInt16(x) }
        finish(f)
        if s.enabledVFs > s.totalVFs, let v = optional(&f, "enabled-vfs") {
            error(CheckID.invalidValue, "enabled-vfs (\(s.enabledVFs)) is more than total-vfs (\(s.totalVFs))", v)
        }
        return s
    }

    /// `scope: [{from: 00:00.3, to: ff:1f.7}]`, `{rid: 00:14.0}` for one function,
    /// `{bridge: NAME}` for a bridge and everything below it, `{bus: NAME}` for a bus and
    /// everything below it.
    package mutating func iommuScope(_ n: YAMLNodeID) -> [ScopeDecl]? {
        guard let items = list(n, "'scope'") else { return nil }
        var out: [ScopeDecl] = []
        var ok = true
        for item in items {
            guard var f = fields(item, "a scope entry") else { ok = false; continue }
            if let one = optional(&f, "rid") {
                if let r = rid(one, "requester ID") { out.append(.rids(RIDRange(first: r.rid, last: r.rid))) } else { ok = false }
            } else if let v = optional(&f, "bridge") {
                if let r = name(v, "bridge") { out.append(.bridge(r)) } else { ok = false }
            } else if let v = optional(&f, "bus") {
                if let r = name(v, "bus") { out.append(.bus(r)) } else { ok = false }
            } else if let v = optional(&f, "device") {
                if let r = name(v, "device") { out.append(.device(r)) } else { ok = false }
            } else {
                let a = require(&f, "from").flatMap { rid($0, "requester ID") }, b = require(&f, "to").flatMap { rid($0, "requester ID") }
                if let a, let b {
                    if b.rid < a.rid {
                        error(CheckID.invalidValue, "scope runs backwards: \(b.rid) is before \(a.rid)", item)
                        ok = false
                    } else {
                        out.append(.rids(RIDRange(first: a.rid, last: b.rid)))
                    }
                } else { ok = false }
            }
            finish(f)
        }
        return ok ? out : nil
    }

    /// `observed-groups: [{group: N, members: [names], type: DMA-FQ}]`.
    package mutating func observedGroups(_ n: YAMLNodeID) -> [ObservedGroupDecl] {
        guard let items = list(n, "'observed-groups'") else { return [] }
        var out: [ObservedGroupDecl] = []
        for item in items {
            guard var f = fields(item, "an observed group") else { continue }
            let g = require(&f, "group").flatMap { integer($0, "group number", in: 0 ... 0x7FFF_FFFF) }
            var members: [Ref] = []
            if let v = require(&f, "members"), let list = list(v, "'members'") {
                for m in list { if let r = name(m, "member") { members.append(r) } }
            }
            var type: String?
            if let v = optional(&f, "type") { type = string(v, "group type") }
            finish(f)
            if let g { out.append(ObservedGroupDecl(number: Int(g), members: members, type: type, origin: origin(item))) }
        }
        return out
    }
}
