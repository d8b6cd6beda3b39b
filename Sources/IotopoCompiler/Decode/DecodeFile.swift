import IotopoModel
import IotopoSource
import IotopoYAML

extension Decoder {
    /// Decodes a whole file. Only the root file may (and must) declare `platform`; a file
    /// the root `extends` may declare one too (it is a topology of its own), which is then
    /// ignored.
    package mutating func file(isRoot: Bool, isBase: Bool = false) -> FileDecl {
        var out = FileDecl()
        guard let root = doc.root, !doc.isNull(root) else {
            if isRoot {
                sink.error(CheckID.missingKey, "the file is empty; a topology needs at least a 'platform' section", at: .fileStart(doc.file))
            }
            return out
        }
        guard var f = fields(root, "the top level of a topology file") else { return out }
        if let (k, v) = take(&f, "platform") {
            if isRoot {
                out.platform = platform(v)
            } else if isBase {
                _ = platform(v)
            } else {
                error(CheckID.invalidInclude, "only the root file declares 'platform'; an included file contributes entries", k)
            }
        } else if isRoot {
            error(CheckID.missingKey, "the topology is missing required key 'platform'", root)
        }
        if let (k, v) = take(&f, "extends") {
            if isRoot || isBase {
                if let path = string(v, "an extends path") {
                    if path.isEmpty || path.utf8.contains(where: { $0 < 0x20 }) {
                        error(CheckID.invalidInclude, "an extends path must be a non-empty file path without control characters", v)
                    } else {
                        out.extends = IncludeDecl(path: path, range: range(v))
                    }
                }
            } else {
                error(CheckID.invalidInclude, "only the root file extends another topology; an included file contributes entries", k)
            }
        }
        if let v = optional(&f, "include") { out.includes = includes(v) }
        if let v = optional(&f, "memory") { out.regions = entries(v, "memory") { $0.region($1) } }
        if let v = optional(&f, "buses") { out.buses = entries(v, "buses") { $0.bus($1) } }
        if let v = optional(&f, "bridges") { out.bridges = entries(v, "bridges") { $0.bridge($1) } }
        if let v = optional(&f, "iommus") { out.iommus = entries(v, "iommus") { $0.iommu($1) } }
        if let v = optional(&f, "devices") { out.devices = entries(v, "devices") { $0.device($1) } }
        if let v = optional(&f, "domains") { out.domains = entries(v, "domains") { $0.domain($1) } }
        if let v = optional(&f, "attachments") { out.attachments = entries(v, "attachments") { $0.attachment($1) } }
        if let v = optional(&f, "policies") { out.policies = entries(v, "policies") { $0.policy($1) } }
        if let v = optional(&f, "vms") { out.vms = entries(v, "vms") { $0.vm($1) } }
        if let v = optional(&f, "observed-groups") { out.observedGroups = observedGroups(v) }
        finish(f, extensions: true)
        return out
    }

    /// The required `name` of an entry, validated; nil (reported) when absent or invalid.
    package mutating func entryName(_ f: inout Fields, _ what: String) -> Ref? {
        guard let v = require(&f, "name") else { return nil }
        return name(v, what)
    }

    package mutating func includes(_ v: YAMLNodeID) -> [IncludeDecl] {
        guard let items = list(v, "'include'") else { return [] }
        var out: [IncludeDecl] = []
        for item in items {
            guard let path = string(item, "an include path") else { continue }
            guard !path.isEmpty, !path.utf8.contains(where: { $0 < 0x20 }) else {
                error(CheckID.invalidInclude, "an include path must be a non-empty file path without control characters", item)
                continue
            }
            out.append(IncludeDecl(path: path, range: range(item)))
        }
        return out
    }

    package mutating func platform(_ n: YAMLNodeID) -> PlatformDecl? {
        guard var f = fields(n, "platform") else { return nil }
        var p = PlatformDecl(origin: origin(n))
        suppressions(&f)
        if let v = require(&f, "name") { p.name = name(v, "platform name") }
        if let v = optional(&f, "description") { p.description = string(v, "description") ?? "" }
        if let v = optional(&f, "address-bits"), let b = integer(v, "address-bits", in: 12 ... 64) { p.addressBits = UInt8(b) }
        if let v = optional(&f, "kernel") { p.kernel = string(v, "kernel release") }
        if let v = optional(&f, "unverified") { p.unverified = string(v, "unverified") }
        finish(f)
        return p
    }

    package mutating func region(_ n: YAMLNodeID) -> RegionDecl? {
        guard var f = fields(n, "a memory region") else { return nil }
        suppressions(&f)
        let nm = entryName(&f, "region name")
        var r = RegionDecl(name: nm ?? Ref(name: "", range: range(n)), origin: origin(n))
        let b = require(&f, "base"), s = require(&f, "size")
        r.range = addressRange(base: b, size: s, entry: n, "region '\(nm?.name ?? "?")'")
        r.kind = .ram
        if let v = optional(&f, "kind") { r.kind = word(v, "memory kind", MemoryKind.self) }
        if let v = optional(&f, "secure") { r.secure = bool(v, "secure") ?? false }
        if let v = optional(&f, "owner") { r.owner = name(v, "owner") }
        finish(f)
        return nm == nil ? nil : r
    }

    package mutating func bus(_ n: YAMLNodeID) -> BusDecl? {
        guard var f = fields(n, "a bus") else { return nil }
        suppressions(&f)
        let nm = entryName(&f, "bus name")
        var b = BusDecl(name: nm ?? Ref(name: "", range: range(n)), origin: origin(n))
        if let v = require(&f, "kind") { b.kind = word(v, "bus kind", BusKind.self) }
        if let v = optional(&f, "segment"), let s = integer(v, "segment", in: 0 ... 0xFFFF_FFFF) { b.segment = UInt32(s) }
        if let v = optional(&f, "number") {
            b.numberGiven = true
            if let x = integer(v, "bus number", in: 0 ... 255) { b.number = UInt8(x) }
            if let k = b.kind, !k.isPCI {
                error(CheckID.invalidValue, "only PCI buses (pcie, pci, pcix) have a bus number; this bus is \(k.rawValue)", v)
            }
        } else if let k = b.kind, k.isPCI {
            error(CheckID.missingKey, "PCI bus is missing required key 'number' (its bus number)", n)
        }
        finish(f)
        return nm == nil ? nil : b
    }

    /// `bb:dd.f` or `ssss:bb:dd.f`, hexadecimal as lspci prints them.
    package mutating func rid(_ n: YAMLNodeID, _ what: String) -> RIDDecl? {
        guard let s = string(n, what) else { return nil }
        let parts = s.split(separator: ":", omittingEmptySubsequences: false)
        var segment: UInt32?
        var busText: Substring, rest: Substring
        switch parts.count {
        case 2: busText = parts[0]; rest = parts[1]
        case 3:
            guard (4 ... 8).contains(parts[0].count), let seg = UInt32(parts[0], radix: 16) else { return badRID(n, s) }
            segment = seg
            busText = parts[1]; rest = parts[2]
        default: return badRID(n, s)
        }
        let df = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard df.count == 2, busText.count <= 2, !busText.isEmpty, df[0].count <= 2, !df[0].isEmpty, df[1].count == 1,
              let bus = Int(busText, radix: 16), let dev = Int(df[0], radix: 16), let fn = Int(df[1], radix: 16) else {
            return badRID(n, s)
        }
        guard let rid = RequesterID(bus: bus, device: dev, function: fn) else {
            error(CheckID.badRequesterID, "\(what) '\(Self.printable(s))': device must be 00-1f and function 0-7", n)
            return nil
        }
        return RIDDecl(rid: rid, segment: segment, range: range(n))
    }

    private mutating func badRID(_ n: YAMLNodeID, _ s: String) -> RIDDecl? {
        error(CheckID.badRequesterID, "'\(Self.printable(s))' is not a requester ID; write bus:device.function in hex, as lspci does (e.g. 01:00.0 or 0000:01:00.0)", n)
        return nil
    }

    /// ACS as a list of flags (implemented and enabled) or `{capability: [...], control: [...]}`.
    package mutating func acs(_ n: YAMLNodeID) -> ACSCapability? {
        if doc.kind(n) == .sequence {
            guard let flags = acsFlags(n) else { return nil }
            return ACSCapability(capability: flags, control: flags)
        }
        guard var f = fields(n, "acs") else { return nil }
        var cap = ACSFlags(), ctl = ACSFlags()
        var ok = true
        if let v = require(&f, "capability") { if let x = acsFlags(v) { cap = x } else { ok = false } } else { ok = false }
        if let v = optional(&f, "control") {
            if let x = acsFlags(v) {
                ctl = x
                if !cap.isSuperset(of: ctl) {
                    error(CheckID.invalidValue, "acs control enables \(ctl.subtracting(cap).nameList.joined(separator: ", ")), which the capability does not implement", v)
                    ok = false
                }
            } else { ok = false }
        }
        finish(f)
        return ok ? ACSCapability(capability: cap, control: ctl) : nil
    }

    package mutating func acsFlags(_ n: YAMLNodeID) -> ACSFlags? {
        guard let items = list(n, "ACS flags") else { return nil }
        var out = ACSFlags()
        var ok = true
        for item in items {
            guard let s = string(item, "ACS flag") else { ok = false; continue }
            guard let flag = ACSFlags.names.first(where: { $0.0 == s })?.1 else {
                let all = ACSFlags.names.map(\.0)
                error(CheckID.invalidValue, "'\(Self.printable(s))' is not an ACS flag; flags are \(all.joined(separator: ", "))\(hints.hint(for: s, set: "acs", in: { all }))", item)
                ok = false
                continue
            }
            out.insert(flag)
        }
        return ok ? out : nil
    }
}
