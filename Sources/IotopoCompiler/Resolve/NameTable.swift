import IotopoModel
import IotopoSource

/// The kinds of named entity; names are unique across all of them.
enum EntityKind: String {
    case region = "memory region", bus, bridge, iommu = "IOMMU", device, domain

    /// "a bus", "an IOMMU".
    var withArticle: String { (self == .iommu ? "an " : "a ") + rawValue }
}

/// Every name declared on the platform, its kind and where it was first defined.
///
/// Duplicates are reported here once, at the later definition, with a note at the first
/// (which may be in another file). A name whose entity could not be built is "poisoned":
/// references to it resolve to nothing without a second diagnostic, so one mistake never
/// cascades into many.
struct NameTable {
    struct Entry {
        var kind: EntityKind
        var range: SourceRange
        var origin: Origin
        var id: Int32?
        var poisoned: Bool
    }

    private(set) var entries: [String: Entry] = [:]
    var sink = DiagnosticSink()

    /// Declares every name in source order; returns for each declaration whether it is the
    /// first of its name (and so kept).
    mutating func declare(_ items: [(name: Ref, kind: EntityKind, origin: Origin, usable: Bool)]) -> [Bool] {
        let order = items.indices.sorted {
            let a = items[$0].origin, b = items[$1].origin
            if a.range != b.range { return a.range < b.range }
            if (a.instance ?? 0) != (b.instance ?? 0) { return (a.instance ?? 0) < (b.instance ?? 0) }
            return $0 < $1
        }
        var keep = [Bool](repeating: false, count: items.count)
        var reportedTemplates = Set<SourceRange>()
        for i in order {
            let it = items[i]
            if let first = entries[it.name.name] {
                if first.range == it.name.range, it.origin.instance != nil {
                    if reportedTemplates.insert(it.name.range).inserted {
                        sink.error(CheckID.duplicateName,
                                   "every instance of this repeated entry is named '\(it.name.name)'; put the index in the name, e.g. '\(it.name.name){i}'",
                                   at: it.name.range)
                    }
                } else {
                    sink.error(CheckID.duplicateName, "\(it.kind.rawValue) name '\(it.name.name)' is already taken by \(first.kind.withArticle)",
                               at: it.name.range, notes: [DiagnosticNote("first defined here", at: first.range)])
                }
                continue
            }
            entries[it.name.name] = Entry(kind: it.kind, range: it.name.range, origin: it.origin, id: nil, poisoned: !it.usable)
            keep[i] = true
        }
        return keep
    }

    /// Records the model ID of a kept entity.
    mutating func bind(_ name: String, id: Int) {
        entries[name]?.id = Int32(id)
    }

    /// Marks a name whose entity was dropped.
    mutating func poison(_ name: String) {
        entries[name]?.poisoned = true
    }

    /// Resolves a reference to an entity of `kind`; reports `dangling-reference` when the
    /// name is unknown or of another kind, and returns nil silently for a poisoned name.
    mutating func resolve(_ ref: Ref, as kinds: [EntityKind], what: String) -> (kind: EntityKind, id: Int)? {
        guard let e = entries[ref.name] else {
            let candidates = entries.filter { kinds.contains($0.value.kind) }.map(\.key)
            let hint = Suggestions.hint(for: ref.name, in: candidates)
            sink.error(CheckID.danglingReference, "no \(kinds.map(\.rawValue).joined(separator: " or ")) named '\(ref.name)'\(hint)", at: ref.range)
            return nil
        }
        guard kinds.contains(e.kind) else {
            sink.error(CheckID.danglingReference, "\(what) must name \(kinds.map { $0.withArticle }.joined(separator: " or ")), but '\(ref.name)' is \(e.kind.withArticle)",
                       at: ref.range, notes: [DiagnosticNote("'\(ref.name)' is defined here", at: e.range)])
            return nil
        }
        guard !e.poisoned, let id = e.id else { return nil }
        return (e.kind, Int(id))
    }
}
