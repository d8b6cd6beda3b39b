import IotopoModel
import IotopoSource

/// Runs the registry's model checks in order, honouring prerequisites and `--disable`.
enum CheckRunner {
    /// Runs the checks; returns their findings and the IDs of the checks that ran.
    static func run(_ model: SystemModel, complete: Bool, disabled: Set<String>) -> (diagnostics: [Diagnostic], ran: Set<String>) {
        var ctx = CheckContext(model: model)
        var failed = Set<String>()
        var ran = Set<String>()
        for check in CheckRegistry.modelChecks {
            if disabled.contains(check.info.id) { continue }
            if check.needsCompleteModel && !complete { continue }
            if check.prerequisites.contains(where: failed.contains) { continue }
            ran.insert(check.info.id)
            ctx.current = check.info
            let before = ctx.sink.errorCount
            check.run(&ctx)
            if ctx.sink.errorCount > before { failed.insert(check.info.id) }
        }
        return (foldInstances(ctx.sink.diagnostics), ran)
    }

    /// One finding per repeated entry and problem, as the decoder gives (docs/topology.md):
    /// the findings of a check at one template line, from its instances, are the first with
    /// a note saying how many more instances show it. 300,000 generated devices sharing a
    /// requester ID are one error, not 300,000.
    static func foldInstances(_ list: [Diagnostic]) -> [Diagnostic] {
        struct Key: Hashable {
            var id: String
            var severity: Severity
            var range: SourceRange?
        }
        var first: [Key: Int] = [:]
        var more: [Int: Int] = [:]
        var out: [Diagnostic] = []
        for d in list {
            guard d.notes.contains(where: { $0.message.hasPrefix(CheckContext.instanceNotePrefix) }) else {
                out.append(d)
                continue
            }
            let key = Key(id: d.id, severity: d.severity, range: d.range)
            if let i = first[key] {
                more[i, default: 0] += 1
            } else {
                first[key] = out.count
                out.append(d)
            }
        }
        for (i, n) in more {
            out[i].notes.append(DiagnosticNote("the same problem occurs in \(n) more instance\(n == 1 ? "" : "s")", at: nil))
        }
        return out
    }
}

/// Options that change which diagnostics are kept and how serious they are.
public struct DiagnosticPolicy: Sendable {
    /// Check IDs switched off.
    public var disabled: Set<String> = []
    /// Warnings become errors.
    public var warningsAsErrors = false

    /// Creates a policy.
    public init(disabled: Set<String> = [], warningsAsErrors: Bool = false) {
        self.disabled = disabled
        self.warningsAsErrors = warningsAsErrors
    }

    /// Applies suppressions (reporting unused ones), `--disable` and `-Werror`, then sorts
    /// into print order. Front-end errors cannot be suppressed: the file is unusable.
    func apply(_ diagnostics: [Diagnostic], suppressions all: [Suppression], ran: Set<String>) -> [Diagnostic] {
        // A repeated entry yields one suppression per instance, all with the same scope.
        var seen = Set<String>()
        let suppressions = all.filter { seen.insert("\($0.check)|\($0.scope)").inserted }
        var byCheck: [String: [Int]] = [:]
        for (i, s) in suppressions.enumerated() { byCheck[s.check, default: []].append(i) }
        var used = [Bool](repeating: false, count: suppressions.count)
        var out: [Diagnostic] = []
        for d in diagnostics {
            if disabled.contains(d.id) { continue }
            if let r = d.range, let candidates = byCheck[d.id], CheckRegistry.isSuppressible(d.id),
               let i = candidates.first(where: { suppressions[$0].scope.contains(r) }) {
                used[i] = true
                continue
            }
            out.append(d)
        }
        if !disabled.contains(CheckID.unusedSuppression) {
            // A suppression whose check did not run (disabled, or skipped because of other
            // errors) has not been shown to be useless.
            for (s, u) in zip(suppressions, used) where !u && ran.contains(s.check) {
                out.append(Diagnostic(.warning, CheckID.unusedSuppression,
                                      "suppression of '\(s.check)' silenced nothing; remove it, or it will hide a future finding",
                                      at: s.origin.range))
            }
        }
        if warningsAsErrors {
            for i in out.indices where out[i].severity == .warning { out[i].severity = .error }
        }
        return out.sorted(by: Diagnostic.printOrder)
    }
}
