/// "Did you mean" suggestions by edit distance.
package enum Suggestions {
    /// The candidate closest to `word`, if it is close enough to be a plausible typo. Of
    /// two equally close, the one that sorts first, so the order of `candidates` never
    /// matters (a Dictionary's or a Set's elements may be passed as they come).
    package static func closest(to word: String, in candidates: [String]) -> String? {
        let w = Array(word.utf8)
        guard w.count <= 64 else { return nil }
        var best: (String, Int)?
        for c in candidates {
            let d = distance(w, Array(c.utf8))
            let limit = max(1, min(w.count, c.utf8.count) / 3 + 1)
            guard d <= limit else { continue }
            if let b = best, d > b.1 || (d == b.1 && c >= b.0) { continue }
            best = (c, d)
        }
        return best?.0
    }

    /// " (did you mean 'x'?)" or "".
    package static func hint(for word: String, in candidates: [String]) -> String {
        closest(to: word, in: candidates).map { " (did you mean '\($0)'?)" } ?? ""
    }

    /// Levenshtein distance with two rows.
    package static func distance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0 ... b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1 ... a.count {
            cur[0] = i
            for j in 1 ... b.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&prev, &cur)
        }
        return prev[b.count]
    }
}

/// Hints already worked out, by candidate set and word, within a budget of comparisons.
///
/// A repeated entry (`count: N`) decodes its template N times, each time with the same
/// mistakes, and a reference to a missing name may be written at many places; without the
/// cache every one of them searched the candidates again (100,000 instances of one misspelt
/// suppression took 9 s instead of 2). Keyed by bytes, as the distance is measured.
///
/// Distinct misses cannot share a search, so N of them among N candidates would still be
/// quadratic (20,000 attachments naming 20,000 missing devices took 4 min 40 s). Searches
/// therefore stop once `budget` candidates have been compared: later misses get no hint,
/// and the first of them says so. The budget (docs/limits.md) is far above what a real
/// file's mistakes need, and reporting goes in file order, so the cut is deterministic.
package struct HintCache {
    /// Candidates compared, at most, by one cache (one file's decoder, one name table).
    package static let defaultBudget = 1_000_000
    package static let exhausted = " (no more 'did you mean' suggestions: too many unknown names to search)"

    private var known: [[UInt8]: String] = [:]
    private var left: Int
    private var saidExhausted = false

    package init(budget: Int = HintCache.defaultBudget) { left = budget }

    /// `Suggestions.hint(for: word, in: candidates())`, computed once per `set` and `word`;
    /// `set` names the candidates (the same `set` must always mean the same candidates).
    /// Past the budget, "" (and `exhausted`, the first time).
    package mutating func hint(for word: String, set: String, in candidates: () -> [String]) -> String {
        var key = Array(set.utf8)
        key.append(0)
        key += word.utf8
        if let h = known[key] { return h }
        let list = left > 0 ? candidates() : []
        // A search that would cross the budget is not started.
        guard left > 0, list.count <= left else {
            left = 0
            let said = saidExhausted
            saidExhausted = true
            return said ? "" : Self.exhausted
        }
        left -= list.count
        let h = Suggestions.hint(for: word, in: list)
        known[key] = h
        return h
    }
}
