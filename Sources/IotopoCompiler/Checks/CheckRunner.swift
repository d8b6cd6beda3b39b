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
            let before = ctx.findings.errorCount
            check.run(&ctx)
            if ctx.findings.errorCount > before { failed.insert(check.info.id) }
        }
        return (ctx.findings.diagnostics, ran)
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
