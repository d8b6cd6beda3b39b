import IotopoModel
import IotopoSource
import IotopoYAML

/// A device named in a policy: a name to resolve, or a glob pattern matched at check time.
package struct PatternDecl {
    package var text: String
    package var ref: Ref?
    package var origin: Origin
}

package enum PolicyKindDecl {
    case deny(Permissions)
    case onlyWriters
    case isolated
}

package struct PolicyDecl {
    package var name: Ref
    package var kind: PolicyKindDecl
    package var devices: [PatternDecl]
    package var regions: [Ref]
    package var origin: Origin
}

package enum VMMemoryDecl {
    case range(AddressRange)
    case region(Ref)
}

package struct VMDecl {
    package var name: Ref
    package var memory: [VMMemoryDecl]
    package var devices: [Ref]
    package var origin: Origin
}

extension Decoder {
    /// A policy (docs/isolation.md): exactly one of `deny` (with `devices` and `regions`),
    /// `only-writers` (with `regions`) or `isolated`.
    package mutating func policy(_ n: YAMLNodeID) -> PolicyDecl? {
        guard var f = fields(n, "a policy") else { return nil }
        suppressions(&f)
        let nm = entryName(&f, "policy name")
        let deny = take(&f, "deny"), only = take(&f, "only-writers"), iso = take(&f, "isolated")
        let given = [deny, only, iso].compactMap { $0 }
        var kind: PolicyKindDecl?
        var devices: [PatternDecl] = []
        var regions: [Ref] = []
        if given.count != 1 {
            error(CheckID.missingKey, given.isEmpty ? "a policy needs one of 'deny', 'only-writers' or 'isolated'"
                                                    : "a policy states one rule: 'deny', 'only-writers' or 'isolated', not several (write several policies)", n)
        } else if let (_, v) = deny {
            if let s = string(v, "deny") {
                switch s {
                case "read": kind = .deny(.read)
                case "write": kind = .deny(.write)
                case "access": kind = .deny(.readWrite)
                default: error(CheckID.invalidValue, "deny '\(Self.printable(s))' is not one of: read, write, access", v)
                }
            }
            if let d = require(&f, "devices") { devices = patterns(d, "devices") }
            if let r = require(&f, "regions") { regions = refs(r, "regions", "region") }
        } else if let (_, v) = only {
            kind = .onlyWriters
            devices = patterns(v, "only-writers")
            if let r = require(&f, "regions") { regions = refs(r, "regions", "region") }
        } else if let (_, v) = iso {
            kind = .isolated
            devices = refs(v, "isolated", "device").map { PatternDecl(text: $0.name, ref: $0, origin: Origin(range: $0.range)) }
            if devices.count < 2, doc.kind(v) == .sequence {
                error(CheckID.invalidValue, "'isolated' names at least two devices", v)
                kind = nil
            }
        }
        finish(f)
        guard let nm, let kind else { return nil }
        return PolicyDecl(name: nm, kind: kind, devices: devices, regions: regions, origin: origin(n))
    }

    /// Device names or glob patterns (`*`, `?`).
    package mutating func patterns(_ v: YAMLNodeID, _ what: String) -> [PatternDecl] {
        guard let items = list(v, "'\(what)'") else { return [] }
        var out: [PatternDecl] = []
        for item in items {
            guard let text = string(item, "a device name or pattern") else { continue }
            if text.utf8.contains(where: { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") }) {
                let stripped = Array(text.utf8.filter { $0 != UInt8(ascii: "*") && $0 != UInt8(ascii: "?") })
                guard stripped.isEmpty || stripped.allSatisfy({ Self.isValidName([UInt8(ascii: "a")] + [$0]) }) else {
                    error(CheckID.badName, "pattern '\(Self.printable(text))' may hold only name characters, '*' and '?'", item)
                    continue
                }
                out.append(PatternDecl(text: text, ref: nil, origin: origin(item)))
            } else if let r = name(item, "device") {
                out.append(PatternDecl(text: r.name, ref: r, origin: origin(item)))
            }
        }
        return out
    }

    /// A list of entity names.
    package mutating func refs(_ v: YAMLNodeID, _ what: String, _ kind: String) -> [Ref] {
        guard let items = list(v, "'\(what)'") else { return [] }
        return items.compactMap { name($0, kind) }
    }

    /// A virtual machine: `name`, `memory` (regions by name or `{base, size}` ranges of
    /// host-physical memory) and the `devices` assigned to it.
    package mutating func vm(_ n: YAMLNodeID) -> VMDecl? {
        guard var f = fields(n, "a VM") else { return nil }
        suppressions(&f)
        let nm = entryName(&f, "VM name")
        var memory: [VMMemoryDecl] = []
        if let v = require(&f, "memory"), let items = list(v, "'memory'") {
            for item in items {
                if doc.kind(item) == .mapping, var g = fields(item, "a VM memory range") {
                    let r = addressRange(base: require(&g, "base"), size: require(&g, "size"), entry: item, "VM memory")
                    finish(g)
                    if let r { memory.append(.range(r)) }
                } else if let r = name(item, "region") {
                    memory.append(.region(r))
                }
            }
        }
        let devices = optional(&f, "devices").map { refs($0, "devices", "device") } ?? []
        finish(f)
        guard let nm else { return nil }
        return VMDecl(name: nm, memory: memory, devices: devices, origin: origin(n))
    }
}
