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
    /// Dangling references already reported, by place: every instance of a repeated entry
    /// shares its template's range, and one error says it for all of them (a `count: 10000`
    /// template with a misspelt bus gave 10,000 identical errors and quadratic time).
    private var reportedDangling: Set<SourceRange> = []
    /// "Did you mean" hints by kinds and name, so each distinct miss scans the table once.
    private var hints = HintCache()

    /// Declares every name; returns for each declaration whether it is the first of its name
    /// in source order (and so kept). No sort: when a name repeats, the two origins decide
    /// which came first, so the cost stays linear in the number of declarations.
    mutating func declare(_ items: [(name: Ref, kind: EntityKind, origin: Origin, usable: Bool)]) -> [Bool] {
        var keep = [Bool](repeating: false, count: items.count)
        var owner: [String: Int] = [:]
        owner.reserveCapacity(items.count)
        var losers: [(loser: Int, winner: Int)] = []
        for i in items.indices {
            let name = items[i].name.name
            guard let j = owner[name] else {
                owner[name] = i
                keep[i] = true
                continue
            }
            if Self.earlier(items[i], than: items[j]) {
                owner[name] = i
                keep[i] = true
                keep[j] = false
                losers.append((j, i))
            } else {
                losers.append((i, j))
            }
        }
        entries.reserveCapacity(owner.count)
        for (name, i) in owner {
            entries[name] = Entry(kind: items[i].kind, range: items[i].name.range, origin: items[i].origin, id: nil, poisoned: !items[i].usable)
        }
        var reportedTemplates = Set<SourceRange>()
        for (loser, _) in losers {
            let it = items[loser]
            guard let first = entries[it.name.name] else { continue }
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
        }
        return keep
    }

    /// Source order of two declarations: position, then repetition instance.
    static func earlier(_ a: (name: Ref, kind: EntityKind, origin: Origin, usable: Bool),
                        than b: (name: Ref, kind: EntityKind, origin: Origin, usable: Bool)) -> Bool {
        if a.origin.range != b.origin.range { return a.origin.range < b.origin.range }
        return (a.origin.instance ?? 0) < (b.origin.instance ?? 0)
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
            guard reportedDangling.insert(ref.range).inserted else { return nil }
            let hint = hints.hint(for: ref.name, set: kinds.map(\.rawValue).joined(separator: ",")) {
                entries.filter { kinds.contains($0.value.kind) }.map(\.key)
            }
            sink.error(CheckID.danglingReference, "no \(kinds.map(\.rawValue).joined(separator: " or ")) named '\(ref.name)'\(hint)", at: ref.range)
            return nil
        }
        guard kinds.contains(e.kind) else {
            guard reportedDangling.insert(ref.range).inserted else { return nil }
            sink.error(CheckID.danglingReference, "\(what) must name \(kinds.map { $0.withArticle }.joined(separator: " or ")), but '\(ref.name)' is \(e.kind.withArticle)",
                       at: ref.range, notes: [DiagnosticNote("'\(ref.name)' is defined here", at: e.range)])
            return nil
        }
        guard !e.poisoned, let id = e.id else { return nil }
        return (e.kind, Int(id))
    }
}
