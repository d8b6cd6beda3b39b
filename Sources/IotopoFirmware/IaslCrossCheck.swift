/// A field this project decoded, named as iasl names it, so that a table's reading can be
/// held against iasl's disassembly (`iasl -d`) field by field: the corpus check of
/// `make corpus`.
public struct DecodedField: Hashable, Sendable {
    public var offset: Int
    public var name: String
    public var value: UInt64

    public init(_ offset: Int, _ name: String, _ value: UInt64) {
        self.offset = offset
        self.name = name
        self.value = value
    }
}

extension ACPITable {
    /// The structural fields of the table as read: where each structure, scope, entry, node
    /// and mapping starts, with its type, and the values import relies on (bases, limits,
    /// segments, device IDs, mapping fields).
    public var decodedFields: [DecodedField] {
        var out: [DecodedField] = []
        switch self {
        case let .dmar(t):
            out.append(DecodedField(36, "Host Address Width", UInt64(t.hostAddressWidth - 1)))
            func scopes(_ s: [DeviceScope]) {
                for x in s {
                    out.append(DecodedField(x.offset, "Device Scope Type", UInt64(x.type)))
                    out.append(DecodedField(x.offset + 5, "PCI Bus Number", UInt64(x.startBus)))
                }
            }
            for u in t.units {
                out.append(DecodedField(u.offset, "Subtable Type", 0))
                out.append(DecodedField(u.offset + 6, "PCI Segment Number", UInt64(u.segment)))
                out.append(DecodedField(u.offset + 8, "Register Base Address", u.registerBase))
                scopes(u.scopes)
            }
            for r in t.reserved {
                out.append(DecodedField(r.offset, "Subtable Type", 1))
                out.append(DecodedField(r.offset + 6, "PCI Segment Number", UInt64(r.segment)))
                out.append(DecodedField(r.offset + 8, "Base Address", r.base))
                out.append(DecodedField(r.offset + 16, "End Address (limit)", r.limit))
                scopes(r.scopes)
            }
            for a in t.atsr {
                out.append(DecodedField(a.offset, "Subtable Type", 2))
                out.append(DecodedField(a.offset + 6, "PCI Segment Number", UInt64(a.segment)))
                scopes(a.scopes)
            }
            for r in t.rhsa {
                out.append(DecodedField(r.offset, "Subtable Type", 3))
                out.append(DecodedField(r.offset + 8, "Base Address", r.registerBase))
                out.append(DecodedField(r.offset + 16, "Proximity Domain", UInt64(r.proximityDomain)))
            }
            for a in t.namespaceDevices {
                out.append(DecodedField(a.offset, "Subtable Type", 4))
                out.append(DecodedField(a.offset + 7, "Device Number", UInt64(a.deviceNumber)))
            }
            for s in t.satc {
                out.append(DecodedField(s.offset, "Subtable Type", 5))
                out.append(DecodedField(s.offset + 6, "PCI Segment Number", UInt64(s.segment)))
                scopes(s.scopes)
            }
            for s in t.skipped { out.append(DecodedField(s.offset, "Subtable Type", UInt64(s.type))) }
        case let .ivrs(t):
            out.append(DecodedField(36, "Virtualization Info", UInt64(t.ivInfo)))
            for h in t.hardware {
                out.append(DecodedField(h.offset, "Subtable Type", UInt64(h.type)))
                out.append(DecodedField(h.offset + 4, "DeviceId", UInt64(h.deviceID)))
                out.append(DecodedField(h.offset + 8, "Base Address", h.base))
                out.append(DecodedField(h.offset + 16, "PCI Segment Group", UInt64(h.segment)))
                out.append(DecodedField(h.offset + 18, "Virtualization Info", UInt64(h.info)))
                for e in h.entries {
                    out.append(DecodedField(e.offset, "Entry Type", UInt64(e.type)))
                    out.append(DecodedField(e.offset + 1, "Device ID", UInt64(e.deviceID)))
                    if e.kind == .special {
                        out.append(DecodedField(e.offset + 4, "Handle", UInt64(e.handle ?? 0)))
                        out.append(DecodedField(e.offset + 5, "Source Used Device ID", UInt64(e.usedDeviceID ?? 0)))
                        out.append(DecodedField(e.offset + 7, "Variety", UInt64(e.variety ?? 0)))
                    }
                    if let a = e.alias { out.append(DecodedField(e.offset + 5, "Source Used Device ID", UInt64(a))) }
                }
            }
            for m in t.memory {
                out.append(DecodedField(m.offset, "Subtable Type", UInt64(m.type)))
                out.append(DecodedField(m.offset + 4, "DeviceId", UInt64(m.deviceID)))
                out.append(DecodedField(m.offset + 6, "Auxiliary Data", UInt64(m.auxData)))
                out.append(DecodedField(m.offset + 16, "Start Address", m.start))
                out.append(DecodedField(m.offset + 24, "Memory Length", m.length))
            }
            for s in t.skipped { out.append(DecodedField(s.offset, "Subtable Type", UInt64(s.type))) }
        case let .iort(t):
            for n in t.nodes {
                out.append(DecodedField(n.offset, "Type", UInt64(n.type)))
                out.append(DecodedField(n.offset + 8, "Mapping Count", UInt64(n.mappings.count)))
                for m in n.mappings {
                    out.append(DecodedField(m.offset, "Input base", UInt64(m.inputBase)))
                    out.append(DecodedField(m.offset + 4, "ID Count", UInt64(m.idCount)))
                    out.append(DecodedField(m.offset + 8, "Output Base", UInt64(m.outputBase)))
                    out.append(DecodedField(m.offset + 12, "Output Reference", UInt64(m.outputReference)))
                }
                switch n.body {
                case let .rootComplex(_, _, seg, _): out.append(DecodedField(n.offset + 28, "PCI Segment Number", UInt64(seg)))
                case let .smmuV1V2(base, span, model, _):
                    out.append(DecodedField(n.offset + 16, "Base Address", base))
                    out.append(DecodedField(n.offset + 24, "Span", span))
                    out.append(DecodedField(n.offset + 32, "Model", UInt64(model)))
                case let .smmuV3(base, _, model, _):
                    out.append(DecodedField(n.offset + 16, "Base Address", base))
                    out.append(DecodedField(n.offset + 40, "Model", UInt64(model)))
                default: break
                }
            }
        }
        return out.sorted { ($0.offset, $0.name) < ($1.offset, $1.name) }
    }
}

/// iasl's disassembly of a table (`iasl -d`, or acpixtract's .dsl): the lines
/// `[024h 0036   1]           Host Address Width : 26`, kept as fields. Versions differ: old
/// ones name IVRS entries `Entry Type`, new ones `Subtable Type`, and old ones stop at a
/// subtable they do not know; `compare` allows for both.
public struct IaslDecode: Sendable {
    public var fields: [DecodedField] = []
    /// The offset of the last field iasl decoded.
    public var lastOffset: Int { fields.last?.offset ?? 0 }

    public static func parse(_ text: String) -> IaslDecode {
        var out = IaslDecode()
        // Split on LF bytes: as Characters, CR LF is one grapheme and would not split.
        for raw in text.utf8.split(separator: 0x0A, omittingEmptySubsequences: true) {
            let line = Substring(String(decoding: raw.last == 0x0D ? raw.dropLast() : raw[...], as: UTF8.self))
            guard line.hasPrefix("["), let close = line.firstIndex(of: "]") else { continue }
            let loc = line[line.index(after: line.startIndex) ..< close].split(separator: " ")
            guard let first = loc.first, first.hasSuffix("h"), let offset = Int(first.dropLast(), radix: 16) else { continue }
            let rest = line[line.index(after: close)...]
            let chars = Array(rest.utf8)
            guard let sep = (0 ..< max(0, chars.count - 2)).first(where: { chars[$0] == 0x20 && chars[$0 + 1] == 0x3A && chars[$0 + 2] == 0x20 }) else { continue }
            var name = String(decoding: chars[..<sep], as: UTF8.self).trimmingSpaces
            let valuePart = String(decoding: chars[(sep + 3)...], as: UTF8.self)
            if name.hasSuffix(" (decoded below)") { name = String(name.dropLast(16)) }
            let valueText = valuePart.split(separator: " ").first.map(String.init) ?? ""
            let description = valuePart
            // An IVRS device entry in new iasl: `Subtable Type : 48 [Device Entry: ...]`.
            if name == "Subtable Type", description.contains("Device Entry") { name = "Entry Type" }
            guard let v = UInt64(valueText, radix: 16) else { continue }
            out.fields.append(DecodedField(offset, name, v))
        }
        return out
    }

    /// The result of holding a table's reading against iasl's.
    public struct Comparison: Sendable {
        /// Fields both decoded with the same value.
        public var agreed = 0
        /// Fields that differ, or that one side has and the other not, in words.
        public var disagreements: [String] = []
        /// Fields this reader decoded past where iasl stopped (a subtable it does not know).
        public var beyondIasl = 0
    }

    /// Compares on the names this reader decodes. An IVRS block iasl could not decode
    /// (`Unknown Subtable Type`, old versions) ends iasl's view: fields of ours past its last
    /// decoded field are counted apart, not as disagreements.
    public func compare(_ ours: [DecodedField], signature: String) -> Comparison {
        var c = Comparison()
        let names = Set(ours.map(\.name))
        var theirs: [Int: [String: UInt64]] = [:]
        for f in fields where names.contains(f.name) && f.offset >= 36 { theirs[f.offset, default: [:]][f.name] = f.value }
        var mine: [Int: [String: UInt64]] = [:]
        for f in ours { mine[f.offset, default: [:]][f.name] = f.value }
        let last = lastOffset
        for f in ours {
            if let v = theirs[f.offset]?[f.name] {
                if v == f.value { c.agreed += 1 } else {
                    c.disagreements.append("\(signature) at byte \(offsetText(f.offset)): \(f.name) is \(hexDigits(f.value)) here, \(hexDigits(v)) in iasl's decode")
                }
            } else if f.offset > last {
                c.beyondIasl += 1
            } else {
                c.disagreements.append("\(signature) at byte \(offsetText(f.offset)): \(f.name) \(hexDigits(f.value)) read here, not in iasl's decode")
            }
        }
        for (offset, byName) in theirs.sorted(by: { $0.key < $1.key }) {
            for (name, v) in byName.sorted(by: { $0.key < $1.key }) where mine[offset]?[name] == nil {
                c.disagreements.append("\(signature) at byte \(offsetText(offset)): iasl decodes \(name) \(hexDigits(v)), not read here")
            }
        }
        return c
    }
}
