import IotopoModel
import IotopoSource
import IotopoYAML

/// Typed access to a JSON document parsed by the YAML front end (JSON is YAML's flow
/// subset), reporting `invalid-model` with the JSON location for anything out of shape.
struct JSONNodeReader {
    let doc: YAMLDocument
    var sink = DiagnosticSink()

    init(doc: YAMLDocument) { self.doc = doc }

    mutating func fail(_ message: String, _ n: YAMLNodeID) {
        // One diagnostic per node is plenty: a broken table would otherwise repeat itself.
        if sink.diagnostics.count < 50 {
            sink.error(CheckID.invalidModel, message, at: doc.range(n))
        }
    }

    func field(_ o: YAMLNodeID, _ key: StaticString) -> YAMLNodeID? {
        guard doc.kind(o) == .mapping else { return nil }
        for i in 0 ..< doc.count(o) where doc.scalarEquals(doc.key(o, i), key) { return doc.value(o, i) }
        return nil
    }

    mutating func req(_ o: YAMLNodeID, _ key: StaticString) -> YAMLNodeID? {
        guard doc.kind(o) == .mapping else { fail("expected an object", o); return nil }
        if let v = field(o, key) { return v }
        fail("missing field \"\(key)\"", o)
        return nil
    }

    mutating func string(_ o: YAMLNodeID, _ key: StaticString) -> String? {
        guard let v = req(o, key) else { return nil }
        guard doc.kind(v) == .scalar, doc.style(v) == .doubleQuoted else { fail("\"\(key)\" must be a string", v); return nil }
        return doc.string(v)
    }

    mutating func integer(_ o: YAMLNodeID, _ key: StaticString, max: UInt64) -> UInt64? {
        guard let v = req(o, key) else { return nil }
        return integer(v, max: max)
    }

    mutating func integer(_ v: YAMLNodeID, max: UInt64) -> UInt64? {
        guard doc.kind(v) == .scalar, doc.style(v) == .plain,
              let x = doc.withScalarBytes(v, { Self.decimal($0) }), x <= max else {
            fail("expected an integer from 0 to \(max)", v)
            return nil
        }
        return x
    }

    /// A JSON number as the writer emits it: plain decimal digits, nothing else.
    static func decimal(_ t: UnsafeBufferPointer<UInt8>) -> UInt64? {
        guard !t.isEmpty, t.count <= 19, t.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), t.count == 1 || t[0] != 0x30 else { return nil }
        return t.reduce(0) { $0 * 10 + UInt64($1 - 0x30) }
    }

    mutating func optionalInteger(_ o: YAMLNodeID, _ key: StaticString, max: UInt64) -> UInt64?? {
        guard let v = req(o, key) else { return nil }
        if doc.isNull(v) { return .some(nil) }
        return integer(v, max: max).map { .some($0) }
    }

    mutating func address(_ o: YAMLNodeID, _ key: StaticString) -> UInt64? {
        guard let v = req(o, key) else { return nil }
        return address(v)
    }

    mutating func address(_ v: YAMLNodeID) -> UInt64? {
        guard doc.kind(v) == .scalar, doc.style(v) == .doubleQuoted,
              let x = doc.withScalarBytes(v, { t -> UInt64? in
                  guard t.count > 2, t.count <= 18, t[0] == 0x30, t[1] == 0x78,
                        t.dropFirst(2).allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else { return nil }
                  return IntegerSyntax.fastLiteral(t)
              }) else {
            fail("expected a hex address string such as \"0x1000\"", v)
            return nil
        }
        return x
    }

    mutating func bool(_ o: YAMLNodeID, _ key: StaticString) -> Bool? {
        guard let v = req(o, key) else { return nil }
        if doc.style(v) == .plain && doc.scalarEquals(v, "true") { return true }
        if doc.style(v) == .plain && doc.scalarEquals(v, "false") { return false }
        fail("\"\(key)\" must be true or false", v)
        return nil
    }

    mutating func array(_ o: YAMLNodeID, _ key: StaticString) -> [YAMLNodeID]? {
        guard let v = req(o, key) else { return nil }
        guard doc.kind(v) == .sequence else { fail("\"\(key)\" must be an array", v); return nil }
        return (0 ..< doc.count(v)).map { doc.element(v, $0) }
    }

    mutating func word<E: RawRepresentable>(_ o: YAMLNodeID, _ key: StaticString, _: E.Type) -> E? where E.RawValue == String {
        guard let s = string(o, key) else { return nil }
        guard let e = E(rawValue: s) else {
            if let v = field(o, key) { fail("\"\(key)\" has unknown value \"\(s)\"", v) }
            return nil
        }
        return e
    }

    /// `{"id": n, "name": "x"}` naming entry `n` of a table whose names are `names`.
    mutating func ref<T>(_ v: YAMLNodeID, _ names: [String], _: T.Type) -> EntityID<T>? {
        guard let id = integer(v, "id", max: UInt64(Int32.max)), let name = string(v, "name") else { return nil }
        guard id < names.count, names[Int(id)] == name else {
            fail("reference {\"id\": \(id), \"name\": \"\(name)\"} names no such entity", v)
            return nil
        }
        return EntityID<T>(Int(id))
    }

    mutating func ref<T>(_ o: YAMLNodeID, _ key: StaticString, _ names: [String], _ t: T.Type) -> EntityID<T>? {
        guard let v = req(o, key) else { return nil }
        return ref(v, names, t)
    }

    mutating func optionalRef<T>(_ o: YAMLNodeID, _ key: StaticString, _ names: [String], _ t: T.Type) -> EntityID<T>?? {
        guard let v = req(o, key) else { return nil }
        if doc.isNull(v) { return .some(nil) }
        return ref(v, names, t).map { .some($0) }
    }

    mutating func range(_ v: YAMLNodeID, files: Int) -> SourceRange? {
        guard let f = integer(v, "file", max: UInt64(max(0, files - 1))),
              let l = integer(v, "line", max: UInt64(UInt32.max)), let c = integer(v, "column", max: UInt64(UInt32.max)),
              let el = integer(v, "endLine", max: UInt64(UInt32.max)), let ec = integer(v, "endColumn", max: UInt64(UInt32.max)) else { return nil }
        return SourceRange(file: FileID(UInt32(f)), start: SourcePosition(line: UInt32(l), column: UInt32(c)),
                           end: SourcePosition(line: UInt32(el), column: UInt32(ec)))
    }

    mutating func origin(_ o: YAMLNodeID, files: Int) -> Origin? {
        guard let v = req(o, "origin"), let rv = req(v, "range"), let r = range(rv, files: files) else { return nil }
        var out = Origin(range: r)
        if let i = field(v, "instance") {
            guard let x = integer(i, max: UInt64(UInt32.max)) else { return nil }
            out.instance = UInt32(x)
        }
        if let rr = field(v, "repetition") {
            guard let x = range(rr, files: files) else { return nil }
            out.repetition = x
        }
        return out
    }

    mutating func acs(_ o: YAMLNodeID) -> ACSCapability?? {
        guard let v = req(o, "acs") else { return nil }
        if doc.isNull(v) { return .some(nil) }
        guard let cap = flags(v, "capability"), let ctl = flags(v, "control") else { return nil }
        return .some(ACSCapability(capability: cap, control: ctl))
    }

    mutating func flags(_ o: YAMLNodeID, _ key: StaticString) -> ACSFlags? {
        guard let items = array(o, key) else { return nil }
        var out = ACSFlags()
        for i in items {
            guard doc.kind(i) == .scalar, let f = ACSFlags.names.first(where: { $0.0 == doc.string(i) }) else { fail("unknown ACS flag", i); return nil }
            out.insert(f.1)
        }
        return out
    }

    mutating func rid(_ o: YAMLNodeID, _ key: StaticString) -> RequesterID?? {
        guard let v = req(o, key) else { return nil }
        if doc.isNull(v) { return .some(nil) }
        let s = doc.string(v)
        let p = s.split(separator: ":")
        guard p.count == 2, let df = Optional(p[1].split(separator: ".")), df.count == 2,
              let b = Int(p[0], radix: 16), let d = Int(df[0], radix: 16), let f = Int(df[1], radix: 16),
              let rid = RequesterID(bus: b, device: d, function: f) else {
            fail("\"\(key)\" must be a requester ID such as \"01:00.0\"", v)
            return nil
        }
        return .some(rid)
    }
}
