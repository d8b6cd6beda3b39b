import IotopoReport
import IotopoSource

/// The reports of a golden run for people (text) and for programs (JSON). Both are
/// deterministic: no times, no absolute paths, cases in name order.
public enum GoldenText {
    /// The label a status is shown with.
    public static func label(_ s: CaseStatus) -> String {
        switch s {
        case .passed: return "PASS"
        case .failed: return "FAIL"
        case .missing: return "MISSING"
        case .created: return "CREATED"
        case .updated: return "UPDATED"
        case .nondeterministic: return "NONDETERMINISTIC"
        case .error: return "ERROR"
        }
    }

    /// Every case that did not simply pass, with its diff; the obsolete goldens; one
    /// summary line. Case names, paths and messages come from the repository's file names,
    /// so each is shown on one line by `TerminalText`'s rule (a newline in a name as `^J`);
    /// the diffs show their lines the same way.
    public static func render(_ r: GoldenReport, style: TextStyle) -> String {
        var out = ""
        func shown(_ s: String) -> String { TerminalText.visible(s) }
        for o in r.outcomes where o.status != .passed {
            let l = label(o.status)
            let head = o.status.isFailure ? style.red(l) : style.green(l)
            out += "\(head) \(style.bold(shown(o.case.name))): \(shown(o.message))\n"
            out += o.renderDiff(style: style)
            out += "\n"
        }
        for g in r.obsolete {
            if g.deleted {
                out += "\(style.green("DELETED")) \(shown(g.path)): \(shown(g.why))\n"
            } else if let e = g.error {
                out += "\(style.red("ERROR")) \(shown(e))\n"
            } else {
                let l = r.obsoleteMode == .fail ? style.red("OBSOLETE") : style.magenta("OBSOLETE")
                out += "\(l) \(shown(g.path)): \(shown(g.why)); --obsolete=delete removes it\n"
            }
        }
        if !r.obsolete.isEmpty { out += "\n" }
        return out + summary(r, style: style) + "\n"
    }

    /// `iotopo test: 190 cases: 188 passed, 1 failed, 1 missing; 1 obsolete golden`.
    public static func summary(_ r: GoldenReport, style: TextStyle = .plain) -> String {
        var parts = ["\(r.count(.passed)) passed"]
        for s in CaseStatus.allCases where s != .passed {
            let n = r.count(s)
            if n > 0 { parts.append("\(n) \(s.rawValue)") }
        }
        var line = "iotopo test: \(plural(r.outcomes.count, "case")): " + parts.joined(separator: ", ")
        if !r.obsolete.isEmpty {
            let deleted = r.obsolete.filter(\.deleted).count
            line += "; " + (deleted == r.obsolete.count ? "\(plural(deleted, "obsolete golden")) deleted" : plural(r.obsolete.count, "obsolete golden"))
        }
        if r.repeatCount > 1 { line += "; each case run \(r.repeatCount) times" }
        if let s = r.shard { line += " (shard \(s.description): \(r.selected) of \(r.total) cases)" }
        if r.interrupted { line += "; interrupted after \(r.outcomes.count) of \(r.selected) cases, nothing more written" }
        let ok = r.exitCode == 0
        return ok ? style.green(line) : style.red(line)
    }

    /// `--format json`: the counts, every case with its status (and diff when it has one),
    /// the obsolete goldens.
    public static func json(_ r: GoldenReport) -> String {
        var counts: [(String, JSON)] = []
        for s in CaseStatus.allCases { counts.append((s.rawValue, .int(Int64(r.count(s))))) }
        counts.append(("obsolete", .int(Int64(r.obsolete.count))))
        let cases: [JSON] = r.outcomes.map { o in
            var f: [(String, JSON)] = [("name", .string(o.case.name)), ("kind", .string(o.case.kind.rawValue)),
                                       ("input", .string(o.case.input)), ("golden", .string(o.case.golden)),
                                       ("status", .string(o.status.rawValue)), ("message", .string(o.message))]
            if o.status == .nondeterministic { f.append(("variants", .int(Int64(o.variants)))) }
            if o.diff != nil, o.status != .passed { f.append(("diff", .string(o.renderDiff()))) }
            return .object(f)
        }
        let obsolete: [JSON] = r.obsolete.map { g in
            var f: [(String, JSON)] = [("path", .string(g.path)), ("deleted", .bool(g.deleted))]
            if let e = g.error { f.append(("error", .string(e))) }
            return .object(f)
        }
        var top: [(String, JSON)] = [("version", .int(1)), ("exit", .int(Int64(r.exitCode))), ("counts", .object(counts)),
                                     ("selected", .int(Int64(r.selected))), ("total", .int(Int64(r.total)))]
        top.append(("shard", r.shard.map { .object([("index", .int(Int64($0.index + 1))), ("count", .int(Int64($0.count)))]) } ?? .null))
        top.append(("repeat", .int(Int64(r.repeatCount))))
        top.append(("interrupted", .bool(r.interrupted)))
        top.append(("cases", .array(cases)))
        top.append(("obsolete", .array(obsolete)))
        return JSON.object(top).serialized(indent: 2, inlineFrom: 3) + "\n"
    }

    static func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
}
