import Foundation
import IotopoReport
import IotopoSource

/// GitHub Actions output for a golden run: workflow-command annotations (at most `limit`
/// per kind, so a mass change does not drown the pull request) and, for the job's summary
/// page, the full list as Markdown.
public enum GitHubReport {
    /// Kinds of annotation, each with its own limit.
    enum Kind: String, CaseIterable {
        case mismatch = "golden mismatch"
        case missing = "missing golden"
        case nondeterministic = "nondeterministic case"
        case error = "golden error"
        case obsolete = "obsolete golden"
    }

    /// `::error file=...,line=...,title=...::message` lines. Names, paths and messages come
    /// from the repository's file names: each is one line (`TerminalText.visible`), and
    /// `WorkflowCommand` escapes the whole.
    public static func annotations(_ r: GoldenReport, limit: Int = 10) -> String {
        var byKind: [Kind: [String]] = [:]
        for o in r.outcomes {
            let message = TerminalText.visible(o.message)
            switch o.status {
            case .failed:
                let hunk = o.diff?.hunks.first.map { o.diff?.render($0) ?? "" } ?? ""  // the first hunk, without the file header
                byKind[.mismatch, default: []].append(command("error", file: o.case.golden, line: o.diff?.firstOldLine,
                                                              title: "\(Kind.mismatch.rawValue): \(o.case.name)", message: message + "\n" + hunk))
            case .missing:
                byKind[.missing, default: []].append(command("error", file: o.case.input, line: nil, title: "\(Kind.missing.rawValue): \(o.case.name)", message: message))
            case .nondeterministic:
                byKind[.nondeterministic, default: []].append(command("error", file: o.case.input, line: nil,
                                                                      title: "\(Kind.nondeterministic.rawValue): \(o.case.name)", message: message))
            case .error:
                byKind[.error, default: []].append(command("error", file: o.case.golden, line: nil, title: "\(Kind.error.rawValue): \(o.case.name)", message: message))
            case .passed, .created, .updated:
                break
            }
        }
        for g in r.obsolete where !g.deleted {
            let level = r.obsoleteMode == .fail || g.error != nil ? "error" : "warning"
            byKind[.obsolete, default: []].append(command(level, file: g.path, line: nil, title: Kind.obsolete.rawValue,
                                                          message: TerminalText.visible(g.error ?? "\(g.path): \(g.why); delete it or run iotopo test --obsolete=delete")))
        }
        var out = ""
        for kind in Kind.allCases {
            guard let lines = byKind[kind] else { continue }
            for l in lines.prefix(limit) { out += l + "\n" }
            if lines.count > limit {
                out += "::warning title=\(WorkflowCommand.property("\(kind.rawValue): \(lines.count - limit) more"))::\(WorkflowCommand.data("\(lines.count - limit) more not annotated here; the job summary lists all \(lines.count)"))\n"
            }
        }
        return out
    }

    /// Markdown for `$GITHUB_STEP_SUMMARY`: the summary line, then every case that did not
    /// pass and every obsolete golden, with the diffs folded. Names, paths and messages are
    /// shown one line each (`TerminalText.visible`): a newline in a file name would break
    /// the table.
    public static func stepSummary(_ r: GoldenReport) -> String {
        var out = "### iotopo test\n\n" + GoldenText.summary(r) + "\n\n"
        let notable = r.outcomes.filter { $0.status != .passed }
        func shown(_ s: String) -> String { TerminalText.visible(s) }
        if !notable.isEmpty {
            out += "| case | status | golden |\n| --- | --- | --- |\n"
            for o in notable { out += "| `\(shown(o.case.name))` | \(o.status.rawValue) | `\(shown(o.case.golden))` |\n" }
            out += "\n"
            for o in notable {
                let diff = o.renderDiff()
                guard !diff.isEmpty else { continue }
                out += "<details><summary>\(html(shown(o.case.name))): \(html(shown(o.message)))</summary>\n\n```diff\n" + diff + "```\n\n</details>\n\n"
            }
        }
        if !r.obsolete.isEmpty {
            out += "Obsolete goldens (no case produces them) and leftovers of interrupted writes:\n\n"
            for g in r.obsolete { out += "- `\(shown(g.path))`" + (g.deleted ? " (deleted)" : "") + "\n" }
            out += "\n"
        }
        return out
    }

    static func command(_ level: String, file: String, line: Int?, title: String, message: String) -> String {
        var props = "file=\(WorkflowCommand.property(file))"
        if let l = line { props += ",line=\(l)" }
        props += ",title=\(WorkflowCommand.property(title))"
        return "::\(level) \(props)::\(WorkflowCommand.data(message))"
    }



    static func html(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
