import IotopoReport
import IotopoSource

/// A line diff of two texts, shown as hunks with line numbers and context.
///
/// The edit script is Myers' O(ND) greedy algorithm (the one diff(1) and git use by
/// default) on the lines between the common prefix and suffix. Past `maxEdits` differences
/// the middle is shown as one replaced block: a person reads such a diff as "everything
/// changed" anyway, and the time and memory stay bounded whatever the inputs.
public struct TextDiff: Sendable {
    /// One line of either text: its characters (without the newline) and whether a newline
    /// ended it (only a last line can lack one).
    ///
    /// Lines are equal when their bytes are: a golden test compares bytes, and Swift's
    /// `==` on strings is canonical equivalence, under which `é` precomposed (U+00E9) and
    /// `e` plus a combining accent (U+0065 U+0301) are the same line.
    struct Line: Hashable, Sendable {
        var text: Substring
        var terminated: Bool

        static func == (l: Line, r: Line) -> Bool {
            l.terminated == r.terminated && l.text.utf8.elementsEqual(r.text.utf8)
        }

        func hash(into h: inout Hasher) {
            h.combine(terminated)
            ExactText.hashBytes(text.utf8, into: &h)
        }
    }

    enum Op: Sendable { case equal, delete, insert }

    struct Edit: Sendable {
        var op: Op
        /// 0-based line numbers in the old and the new text (the side the edit touches).
        var old: Int
        var new: Int
    }

    /// A run of edits with its context.
    public struct Hunk: Sendable {
        /// 1-based first lines and line counts, as in a unified diff's `@@` header.
        public var oldStart: Int, oldCount: Int, newStart: Int, newCount: Int
        let edits: ArraySlice<Edit>
    }

    let oldLines: [Line]
    let newLines: [Line]
    public let hunks: [Hunk]

    /// Diffs `old` (the golden) against `new` (the output) with `context` lines around each
    /// change.
    public init(old: String, new: String, context: Int = 3, maxEdits: Int = 1000) {
        oldLines = Self.lines(old)
        newLines = Self.lines(new)
        // Lines become small integers first (equal lines, equal numbers), so the search
        // compares integers, not strings: git's xdiff does the same with line hashes.
        var numbers: [Line: Int] = [:]
        numbers.reserveCapacity(oldLines.count + newLines.count)
        func number(_ l: Line) -> Int {
            if let n = numbers[l] { return n }
            let n = numbers.count
            numbers[l] = n
            return n
        }
        let a = oldLines.map(number), b = newLines.map(number)
        let edits = Self.edits(a, b, maxEdits: maxEdits)
        hunks = Self.group(edits, context: context)
    }

    /// Whether the texts are equal.
    public var isEmpty: Bool { hunks.isEmpty }

    /// The 1-based line of the old text where the first change is (for annotations).
    public var firstOldLine: Int? {
        guard let h = hunks.first, let e = h.edits.first(where: { $0.op != .equal }) else { return nil }
        return min(e.old + 1, max(1, oldLines.count))
    }

    /// Splits at line feeds, scanning bytes (a `Character` split would be several times
    /// slower, and would keep `\r\n` whole where the `\r` should show as `^M`).
    static func lines(_ s: String) -> [Line] {
        var out: [Line] = []
        let u = s.utf8
        var start = u.startIndex
        var i = start
        while i != u.endIndex {
            if u[i] == UInt8(ascii: "\n") {
                out.append(Line(text: s[start ..< i], terminated: true))
                start = u.index(after: i)
            }
            i = u.index(after: i)
        }
        if start != u.endIndex { out.append(Line(text: s[start ..< u.endIndex], terminated: false)) }
        return out
    }

    // MARK: Edit script

    static func edits<T: Equatable>(_ a: [T], _ b: [T], maxEdits: Int) -> [Edit] {
        var prefix = 0
        while prefix < a.count && prefix < b.count && a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix && suffix < b.count - prefix && a[a.count - 1 - suffix] == b[b.count - 1 - suffix] { suffix += 1 }
        var out: [Edit] = []
        out.reserveCapacity(max(a.count, b.count) + 8)
        for i in 0 ..< prefix { out.append(Edit(op: .equal, old: i, new: i)) }
        let middleA = a[prefix ..< a.count - suffix], middleB = b[prefix ..< b.count - suffix]
        if let m = myers(middleA, middleB, maxEdits: maxEdits) {
            out += m
        } else {
            for i in middleA.indices { out.append(Edit(op: .delete, old: i, new: middleB.startIndex)) }
            for j in middleB.indices { out.append(Edit(op: .insert, old: middleA.endIndex, new: j)) }
        }
        for s in 0 ..< suffix { out.append(Edit(op: .equal, old: a.count - suffix + s, new: b.count - suffix + s)) }
        return out
    }

    /// Myers' greedy forward search, keeping each round's frontier to walk back the path.
    /// Nil when more than `maxEdits` edits are needed.
    static func myers<T: Equatable>(_ a: ArraySlice<T>, _ b: ArraySlice<T>, maxEdits: Int) -> [Edit]? {
        let n = a.count, m = b.count
        let a0 = a.startIndex, b0 = b.startIndex
        if n == 0 || m == 0 {
            return a.indices.map { Edit(op: .delete, old: $0, new: b0) } + b.indices.map { Edit(op: .insert, old: a0 + n, new: $0) }
        }
        let limit = min(n + m, maxEdits)
        let offset = limit + 1
        var v = [Int](repeating: 0, count: 2 * limit + 3)
        var trace: [[Int]] = []
        var found = -1
        search: for d in 0 ... limit {
            // The frontier after round d-1, for diagonals -d...d.
            trace.append(Array(v[(offset - d) ... (offset + d)]))
            var k = -d
            while k <= d {
                var x = k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1
                var y = x - k
                while x < n && y < m && a[a0 + x] == b[b0 + y] { x += 1; y += 1 }
                v[offset + k] = x
                if x >= n && y >= m { found = d; break search }
                k += 2
            }
        }
        guard found >= 0 else { return nil }
        var out: [Edit] = []
        var x = n, y = m
        var d = found
        while d > 0 {
            let frontier = trace[d]
            func at(_ k: Int) -> Int { frontier[k + d] }
            let k = x - y
            let prevK = k == -d || (k != d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1
            let prevX = at(prevK), prevY = prevX - prevK
            while x > prevX && y > prevY {
                out.append(Edit(op: .equal, old: a0 + x - 1, new: b0 + y - 1))
                x -= 1; y -= 1
            }
            if x == prevX {
                out.append(Edit(op: .insert, old: a0 + x, new: b0 + y - 1))
                y -= 1
            } else {
                out.append(Edit(op: .delete, old: a0 + x - 1, new: b0 + y))
                x -= 1
            }
            d -= 1
        }
        while x > 0 && y > 0 {
            out.append(Edit(op: .equal, old: a0 + x - 1, new: b0 + y - 1))
            x -= 1; y -= 1
        }
        return out.reversed()
    }

    // MARK: Hunks

    static func group(_ edits: [Edit], context: Int) -> [Hunk] {
        let changes = edits.indices.filter { edits[$0].op != .equal }
        guard !changes.isEmpty else { return [] }
        var hunks: [Hunk] = []
        var start = max(0, changes[0] - context)
        var end = min(edits.count, changes[0] + context + 1)
        func close() {
            let slice = edits[start ..< end]
            let olds = slice.filter { $0.op != .insert }, news = slice.filter { $0.op != .delete }
            let first = slice.first
            let oldStart = olds.first.map { $0.old + 1 } ?? (first?.old ?? 0)
            let newStart = news.first.map { $0.new + 1 } ?? (first?.new ?? 0)
            hunks.append(Hunk(oldStart: oldStart, oldCount: olds.count, newStart: newStart, newCount: news.count, edits: slice))
        }
        for c in changes.dropFirst() {
            if c - context <= end {
                end = min(edits.count, c + context + 1)
            } else {
                close()
                start = c - context
                end = min(edits.count, c + context + 1)
            }
        }
        close()
        return hunks
    }

    // MARK: Rendering

    /// The diff as text: a header naming both sides, then each hunk (at most `maxHunks`)
    /// with an `@@` header and every line prefixed by its old and new line numbers and
    /// ` `, `-` (only in the golden) or `+` (only in the output). Empty when equal.
    public func render(oldName: String, newName: String, style: TextStyle = .plain, maxHunks: Int = .max) -> String {
        guard !hunks.isEmpty else { return "" }
        // The names are paths a repository chose.
        var out = style.red("--- \(TerminalText.visible(oldName))") + "\n" + style.green("+++ \(TerminalText.visible(newName))") + "\n"
        for h in hunks.prefix(maxHunks) { out += render(h, style: style) }
        if hunks.count > maxHunks { out += style.dim("... \(hunks.count - maxHunks) more hunk\(hunks.count - maxHunks == 1 ? "" : "s")") + "\n" }
        return out
    }

    /// One hunk as text.
    public func render(_ h: Hunk, style: TextStyle = .plain) -> String {
        let width = String(max(h.oldStart + h.oldCount, h.newStart + h.newCount)).count
        func num(_ n: Int?) -> String {
            guard let n else { return String(repeating: " ", count: width) }
            let s = String(n)
            return String(repeating: " ", count: width - s.count) + s
        }
        var out = style.cyan("@@ -\(h.oldStart),\(h.oldCount) +\(h.newStart),\(h.newCount) @@") + "\n"
        for e in h.edits {
            let line: Line, gutter: String, body: String
            switch e.op {
            case .equal:
                line = oldLines[e.old]
                gutter = style.dim("\(num(e.old + 1)) \(num(e.new + 1)) |")
                body = "  " + Self.visible(line.text)
            case .delete:
                line = oldLines[e.old]
                gutter = style.dim("\(num(e.old + 1)) \(num(nil)) |")
                body = style.red("- " + Self.visible(line.text))
            case .insert:
                line = newLines[e.new]
                gutter = style.dim("\(num(nil)) \(num(e.new + 1)) |")
                body = style.green("+ " + Self.visible(line.text))
            }
            out += gutter + " " + body + "\n"
            if !line.terminated { out += style.dim("\(num(nil)) \(num(nil)) |") + "   \\ no newline at end of file\n" }
        }
        return out
    }

    /// Shows control characters (a carriage return from a Windows checkout, say: `^M`) and
    /// bidi controls (`<U+202E>`) instead of letting them act on the terminal, by the one
    /// rule of `TerminalText`.
    static func visible(_ s: Substring) -> String { TerminalText.visible(s) }
}
