import IotopoModel
import IotopoSource
import IotopoYAML

extension Decoder {
    /// Decodes a list of entries, expanding repeated ones (`count: N`).
    ///
    /// A repeated entry is decoded once per instance with its index variable bound (default
    /// `i`, starting at `first`, default 0). A problem in the template is reported once, at
    /// the template line, naming the first instance that shows it and how many more do.
    mutating func entries<T>(_ list: YAMLNodeID, _ what: String, _ decodeOne: (inout Decoder, YAMLNodeID) -> T?) -> [T] {
        guard let elements = self.list(list, "'\(what)'") else { return [] }
        var out: [T] = []
        out.reserveCapacity(elements.count)
        for e in elements {
            guard doc.kind(e) == .mapping, let countPair = pair(e, "count") else {
                if let v = decodeOne(&self, e) { out.append(v) }
                continue
            }
            repeatEntry(e, countKey: countPair.key, countValue: countPair.value, into: &out, decodeOne)
        }
        return out
    }

    func pair(_ m: YAMLNodeID, _ key: StaticString) -> (key: YAMLNodeID, value: YAMLNodeID)? {
        for i in 0 ..< doc.count(m) where doc.scalarEquals(doc.key(m, i), key) {
            return (doc.key(m, i), doc.value(m, i))
        }
        return nil
    }

    private mutating func repeatEntry<T>(_ e: YAMLNodeID, countKey: YAMLNodeID, countValue: YAMLNodeID, into out: inout [T],
                                         _ decodeOne: (inout Decoder, YAMLNodeID) -> T?) {
        guard let count = integer(countValue, "count") else { return }
        var variable: [UInt8] = Array("i".utf8)
        if let (_, v) = pair(e, "index") {
            guard let name = string(v, "index variable") else { return }
            let bytes = Array(name.utf8)
            guard !bytes.isEmpty, bytes.count <= 16, bytes.allSatisfy({ $0 >= 0x61 && $0 <= 0x7A }) else {
                error(CheckID.invalidValue, "index variable must be a short lowercase word such as i or j", v)
                return
            }
            variable = bytes
        }
        var first: UInt64 = 0
        if let (_, v) = pair(e, "first") {
            guard let f = integer(v, "first") else { return }
            first = f
        }
        let remaining = maxGenerated - generated
        guard count <= UInt64(max(0, remaining)) else {
            error(CheckID.repetitionLimit,
                  "count \(count) would generate more than the limit of \(maxGenerated) repeated entries per platform (raise it with --max-generated)",
                  countValue)
            return
        }
        if first > UInt64.max - count {
            error(CheckID.valueOutOfRange, "first + count passes 2^64", countValue)
            return
        }
        generated += Int(count)
        let countRange = range(countKey)
        let savedRepeating = repeating, savedInstance = instance
        var firstSeen: [String: (index: Int, dups: Int)] = [:]
        var kept: [Diagnostic] = []
        let outer = sink
        let shownVar = String(decoding: variable, as: UTF8.self)
        for k in 0 ..< count {
            let value = first + k
            sink = DiagnosticSink()
            subst.bindings.append((variable, value))
            repeating = e
            instance = (UInt32(truncatingIfNeeded: value), countRange)
            if let v = decodeOne(&self, e) { out.append(v) }
            subst.bindings.removeLast()
            for var d in sink.diagnostics {
                let key = d.id + "|" + (d.range.map { "\($0.file.raw):\($0.start.line):\($0.start.column)" } ?? "")
                if let seen = firstSeen[key] {
                    firstSeen[key] = (seen.index, seen.dups + 1)
                    continue
                }
                d.notes.append(DiagnosticNote("in instance \(shownVar)=\(value) of this repeated entry", at: countRange))
                firstSeen[key] = (kept.count, 0)
                kept.append(d)
            }
        }
        repeating = savedRepeating
        instance = savedInstance
        sink = outer
        for (_, s) in firstSeen where s.dups > 0 {
            kept[s.index].notes.append(DiagnosticNote("the same problem occurs in \(s.dups) more instance\(s.dups == 1 ? "" : "s")", at: nil))
        }
        for d in kept { sink.report(d) }
    }
}
