import IotopoModel
import IotopoSource
import IotopoYAML

/// A name reference as written: the name and where it stands.
struct Ref: Hashable, Sendable {
    var name: String
    var range: SourceRange
}

/// The key/value pairs of one mapping being decoded, and which have been consumed.
///
/// Consumed pairs are a bit set (an array only past 64 keys), and the keys asked for (the
/// suggestions for an unknown key) live in the decoder's shared stack, so opening an entry
/// allocates nothing.
struct Fields {
    let node: YAMLNodeID
    let what: String
    let count: Int
    var usedBits: UInt64 = 0
    var usedMore: [Bool] = []
    let knownStart: Int

    init(node: YAMLNodeID, what: String, count: Int, knownStart: Int) {
        self.node = node
        self.what = what
        self.count = count
        self.knownStart = knownStart
        if count > 64 { usedMore = [Bool](repeating: false, count: count - 64) }
    }

    func isUsed(_ i: Int) -> Bool { i < 64 ? usedBits & (1 << UInt64(i)) != 0 : usedMore[i - 64] }

    mutating func use(_ i: Int) {
        if i < 64 { usedBits |= 1 << UInt64(i) } else { usedMore[i - 64] = true }
    }
}

/// Turns one YAML document into declarations, reporting every problem with its range.
///
/// Every reader returns nil after reporting when a value is unusable, so decoding goes on and
/// the user sees all problems at once. Inside a repeated entry, scalars pass through the
/// index substitution first.
struct Decoder {
    let doc: YAMLDocument
    var sink = DiagnosticSink()
    var subst = Substitution()
    /// The current repetition instance, for origins.
    var instance: (index: UInt32, count: SourceRange)?
    /// Suppressions found, with the entry each covers.
    var suppressions: [Suppression] = []
    /// Check IDs that suppressions may name.
    let knownChecks: Set<String>
    /// The entry currently being repeated, whose `count`, `index` and `first` keys belong to
    /// the repetition rather than to the entity.
    var repeating: YAMLNodeID?
    /// Keys asked for by the open entries, innermost last (see `Fields`).
    var known: [StaticString] = []
    /// Entries generated so far by repetitions, against `maxGenerated`.
    var generated = 0
    let maxGenerated: Int

    init(doc: YAMLDocument, knownChecks: Set<String>, maxGenerated: Int) {
        self.doc = doc
        self.knownChecks = knownChecks
        self.maxGenerated = maxGenerated
    }

    func range(_ n: YAMLNodeID) -> SourceRange { doc.range(n) }

    func origin(_ n: YAMLNodeID) -> Origin {
        Origin(range: doc.range(n), instance: instance?.index, repetition: instance?.count)
    }

    mutating func error(_ id: String, _ message: String, _ n: YAMLNodeID, notes: [DiagnosticNote] = []) {
        sink.error(id, message, at: doc.range(n), notes: notes)
    }

    static func kindName(_ k: YAMLKind) -> String {
        switch k {
        case .scalar: return "a scalar"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }

    // MARK: Mappings

    /// Opens a mapping for field-by-field reading; reports `wrong-type` otherwise. The
    /// repetition keys of the entry being repeated count as used.
    mutating func fields(_ n: YAMLNodeID, _ what: String) -> Fields? {
        guard doc.kind(n) == .mapping else {
            error(CheckID.wrongType, "\(what) must be a mapping, not \(Self.kindName(doc.kind(n)))", n)
            return nil
        }
        var f = Fields(node: n, what: what, count: doc.count(n), knownStart: known.count)
        if repeating == n {
            for i in 0 ..< f.count {
                let k = doc.key(n, i)
                if doc.scalarEquals(k, "count") || doc.scalarEquals(k, "index") || doc.scalarEquals(k, "first") { f.use(i) }
            }
        }
        return f
    }

    /// Takes the pair with key `key`, if present: (key node, value node).
    mutating func take(_ f: inout Fields, _ key: StaticString) -> (key: YAMLNodeID, value: YAMLNodeID)? {
        known.append(key)
        for i in 0 ..< f.count where doc.scalarEquals(doc.key(f.node, i), key) {
            f.use(i)
            return (doc.key(f.node, i), doc.value(f.node, i))
        }
        return nil
    }

    /// Takes a required key; reports `missing-key` when absent.
    mutating func require(_ f: inout Fields, _ key: StaticString) -> YAMLNodeID? {
        if let (_, v) = take(&f, key) { return v }
        error(CheckID.missingKey, "\(f.what) is missing required key '\(key)'", f.node)
        return nil
    }

    /// Takes an optional key's value.
    mutating func optional(_ f: inout Fields, _ key: StaticString) -> YAMLNodeID? {
        take(&f, key)?.value
    }

    /// Reports every key not taken, with a suggestion among the keys that were asked for.
    /// With `extensions`, keys starting with `x-` are free (a home for YAML anchors, as in
    /// docker-compose files).
    mutating func finish(_ f: Fields, extensions: Bool = false) {
        defer { if known.count > f.knownStart { known.removeSubrange(f.knownStart...) } }
        if f.count <= 64 && f.usedBits == (f.count == 64 ? .max : (1 << UInt64(f.count)) - 1) { return }
        let asked = known.count > f.knownStart ? Array(known[f.knownStart...]) : []
        for i in 0 ..< f.count where !f.isUsed(i) {
            let k = doc.key(f.node, i)
            if extensions, doc.kind(k) == .scalar, doc.withScalarBytes(k, { $0.starts(with: [0x78, 0x2D]) }) { continue }
            guard doc.kind(k) == .scalar else {
                error(CheckID.wrongType, "keys must be scalars", k)
                continue
            }
            let name = doc.string(k)
            var names: [String] = []
            for k in asked.map({ "\($0)" }) where !names.contains(k) { names.append(k) }
            let hint = Suggestions.hint(for: name, in: names)
            let list = hint.isEmpty ? "; expected one of: " + names.joined(separator: ", ") : ""
            error(CheckID.unknownKey, "unknown key '\(Self.printable(name))' in \(f.what)\(hint)\(list)", k)
        }
    }

    /// Takes `suppress` from an entry: `suppress: {check-id: "reason"}`.
    mutating func suppressions(_ f: inout Fields) {
        guard let (_, v) = take(&f, "suppress") else { return }
        guard doc.kind(v) == .mapping else {
            error(CheckID.invalidSuppression, "'suppress' must map check IDs to reasons, e.g. suppress: {dma-without-iommu: \"why\"}", v)
            return
        }
        for i in 0 ..< doc.count(v) {
            let k = doc.key(v, i), r = doc.value(v, i)
            let id = doc.string(k)
            guard knownChecks.contains(id) else {
                error(CheckID.invalidSuppression, "suppression names unknown check '\(Self.printable(id))'\(Suggestions.hint(for: id, in: knownChecks.sorted()))", k)
                continue
            }
            guard doc.kind(r) == .scalar, !doc.isNull(r),
                  let reason = string(r, "suppression reason"), !reason.allSatisfy({ $0 == " " || $0 == "\t" }) else {
                error(CheckID.invalidSuppression, "suppression of '\(id)' needs a reason: suppress: {\(id): \"why this is fine\"}", k)
                continue
            }
            suppressions.append(Suppression(check: id, reason: reason, scope: range(f.node), origin: origin(k)))
        }
    }

    // MARK: Scalars

    /// Runs `body` on a scalar's bytes after index substitution; nil (reported) when not a
    /// scalar or a placeholder is malformed.
    mutating func withText<R>(_ n: YAMLNodeID, _ what: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R? {
        guard doc.kind(n) == .scalar else {
            error(CheckID.wrongType, "\(what) must be a scalar, not \(Self.kindName(doc.kind(n)))", n)
            return nil
        }
        if subst.isEmpty { return doc.withScalarBytes(n, body) }
        let needs = doc.withScalarBytes(n) { $0.contains(UInt8(ascii: "{")) }
        if !needs { return doc.withScalarBytes(n, body) }
        let result = doc.withScalarBytes(n) { subst.apply($0) }
        switch result {
        case let .success(bytes): return bytes.withUnsafeBufferPointer(body)
        case let .failure(e):
            error(CheckID.invalidValue, e.message, n)
            return nil
        }
    }

    /// A string scalar.
    mutating func string(_ n: YAMLNodeID, _ what: String) -> String? {
        withText(n, what) { String(decoding: $0, as: UTF8.self) }
    }

    /// A name: `[A-Za-z_][A-Za-z0-9_.-]*`, at most 128 bytes; control characters are called
    /// out, since they hide in terminals and logs.
    mutating func name(_ n: YAMLNodeID, _ what: String) -> Ref? {
        guard let bytes = withText(n, what, { Array($0) }) else { return nil }
        if bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            error(CheckID.badName, "\(what) contains a control character (NUL, escape or similar); names are printable", n)
            return nil
        }
        guard Self.isValidName(bytes) else {
            let shown = String(decoding: bytes, as: UTF8.self)
            error(CheckID.badName, bytes.isEmpty ? "\(what) is empty"
                : "\(what) '\(Self.printable(shown))' is not a valid name: use letters, digits, '_', '.' and '-', starting with a letter or '_', at most 128 characters", n)
            return nil
        }
        return Ref(name: String(decoding: bytes, as: UTF8.self), range: range(n))
    }

    static func isValidName(_ b: [UInt8]) -> Bool {
        guard let first = b.first, b.count <= 128 else { return false }
        let letter: (UInt8) -> Bool = { ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F }
        guard letter(first) else { return false }
        return b.allSatisfy { letter($0) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x2E }
    }

    /// Escapes control characters for display.
    static func printable(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            if u.value < 0x20 || u.value == 0x7F {
                out += "\\x" + (u.value < 16 ? "0" : "") + String(u.value, radix: 16)
            } else {
                out.unicodeScalars.append(u)
            }
        }
        return out.count > 80 ? String(out.prefix(77)) + "..." : out
    }

    /// `true` or `false`, nothing else (no YAML 1.1 `yes`, `on`, `y`).
    mutating func bool(_ n: YAMLNodeID, _ what: String) -> Bool? {
        guard doc.kind(n) == .scalar else {
            error(CheckID.wrongType, "\(what) must be true or false, not \(Self.kindName(doc.kind(n)))", n)
            return nil
        }
        if doc.scalarEquals(n, "true") { return true }
        if doc.scalarEquals(n, "false") { return false }
        error(CheckID.wrongType, "\(what) must be true or false, not '\(Self.printable(doc.string(n)))'", n)
        return nil
    }

    /// An integer in `range`.
    mutating func integer(_ n: YAMLNodeID, _ what: String, in bounds: ClosedRange<UInt64> = 0 ... .max) -> UInt64? {
        guard let r = withText(n, what, { IntegerSyntax.evaluate($0) }) else { return nil }
        switch r {
        case let .success(v):
            guard bounds.contains(v) else {
                error(CheckID.valueOutOfRange, "\(what) \(Self.show(v)) is out of range (\(Self.show(bounds.lowerBound)) to \(Self.show(bounds.upperBound)))", n)
                return nil
            }
            return v
        case let .failure(.malformed(m)):
            error(CheckID.badNumber, "\(what): \(m)", n)
            return nil
        case .failure(.overflow):
            error(CheckID.badNumber, "\(what) does not fit in 64 bits (the largest value is 0xffff_ffff_ffff_ffff)", n)
            return nil
        }
    }

    static func show(_ v: UInt64) -> String { v < 4096 ? String(v) : hex(v) }

    /// A size: an integer above zero, units welcome.
    mutating func size(_ n: YAMLNodeID, _ what: String) -> UInt64? {
        guard let r = withText(n, what, { IntegerSyntax.evaluate($0) }) else { return nil }
        switch r {
        case let .success(v):
            guard v > 0 else {
                error(CheckID.badSize, "\(what) must be greater than zero", n)
                return nil
            }
            return v
        case let .failure(.malformed(m)):
            error(m.contains("unit") ? CheckID.badSize : CheckID.badNumber, "\(what): \(m)", n)
            return nil
        case .failure(.overflow):
            error(CheckID.badSize, "\(what) does not fit in 64 bits (sizes stop at 16 EiB - 1)", n)
            return nil
        }
    }

    /// A power-of-two size (granules, page sizes).
    mutating func powerOfTwo(_ n: YAMLNodeID, _ what: String) -> UInt64? {
        guard let v = size(n, what) else { return nil }
        guard v.nonzeroBitCount == 1 else {
            error(CheckID.invalidValue, "\(what) \(sizeText(v)) is not a power of two", n)
            return nil
        }
        return v
    }

    /// One of an enumeration's words.
    mutating func word<E: RawRepresentable & CaseIterable>(_ n: YAMLNodeID, _ what: String, _: E.Type) -> E? where E.RawValue == String {
        guard let s = string(n, what) else { return nil }
        if let v = E(rawValue: s) { return v }
        let all = E.allCases.map(\.rawValue)
        let hint = Suggestions.hint(for: s, in: all)
        error(CheckID.invalidValue, "\(what) '\(Self.printable(s))' is not one of: \(all.joined(separator: ", "))\(hint)", n)
        return nil
    }

    /// A list's elements; reports `wrong-type` otherwise.
    mutating func list(_ n: YAMLNodeID, _ what: String) -> [YAMLNodeID]? {
        guard doc.kind(n) == .sequence else {
            if doc.isNull(n) { return [] }
            error(CheckID.wrongType, "\(what) must be a list, not \(Self.kindName(doc.kind(n)))", n)
            return nil
        }
        return (0 ..< doc.count(n)).map { doc.element(n, $0) }
    }

    /// `base` and `size` as an address range; `base + size` past 2^64 is a located error.
    mutating func addressRange(base b: YAMLNodeID?, size s: YAMLNodeID?, entry: YAMLNodeID, _ what: String) -> AddressRange? {
        guard let b, let s else { return nil }
        let base = integer(b, "\(what) base")
        let size = size(s, "\(what) size")
        guard let base, let size else { return nil }
        guard let r = AddressRange(base: base, size: size) else {
            error(CheckID.addressOverflow, "\(what) \(hex(base)) + \(sizeText(size)) runs past the top of the 64-bit address space",
                  s, notes: [DiagnosticNote("base given here", at: range(b))])
            return nil
        }
        return r
    }
}
