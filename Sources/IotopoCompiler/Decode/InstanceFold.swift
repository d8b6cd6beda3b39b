import IotopoSource

/// The findings of a repetition's instances, one per problem (docs/topology.md): a check
/// that fails the same way at the same template line in every instance is the first
/// instance's finding, with a note naming its instance and one saying how many more show
/// it. The decoder folds what it finds while decoding a `count:` entry; the model checks
/// fold what they find on the entities a template generated. 300,000 generated devices
/// sharing a requester ID are one error, not 300,000.
struct InstanceFold {
    private struct Key: Hashable {
        var id: String
        var severity: Severity
        var range: SourceRange?
    }

    /// The findings kept, in report order.
    private var kept: [Diagnostic] = []
    /// Where each problem's first finding is in `kept`, and how many more instances had it.
    private var first: [Key: Int] = [:]
    private var more: [Int: Int] = [:]
    /// Errors added, folded ones included.
    private(set) var errorCount = 0

    /// Adds a finding outside any repetition: kept as it is.
    mutating func add(_ d: Diagnostic) {
        if d.severity == .error { errorCount += 1 }
        kept.append(d)
    }

    /// Adds a finding of one instance: the first of its problem is kept with `note` (which
    /// names the instance), the others are counted.
    mutating func add(instance d: Diagnostic, note: DiagnosticNote) {
        if d.severity == .error { errorCount += 1 }
        let key = Key(id: d.id, severity: d.severity, range: d.range)
        if let i = first[key] {
            more[i, default: 0] += 1
            return
        }
        var d = d
        d.notes.append(note)
        first[key] = kept.count
        kept.append(d)
    }

    /// The findings, each folded one with its count of further instances.
    var diagnostics: [Diagnostic] {
        var out = kept
        for (i, n) in more {
            out[i].notes.append(DiagnosticNote("the same problem occurs in \(n) more instance\(n == 1 ? "" : "s")", at: nil))
        }
        return out
    }
}
