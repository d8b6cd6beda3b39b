/// Collects diagnostics from every stage so that a user sees all of them in one run.
///
/// Stages report into a sink and carry on; only I/O failures are thrown.
public struct DiagnosticSink: Sendable {
    /// Everything reported so far, in report order.
    public private(set) var diagnostics: [Diagnostic] = []
    /// Number of errors reported so far.
    public private(set) var errorCount = 0

    /// Creates an empty sink.
    public init() {}

    /// Records a diagnostic.
    public mutating func report(_ diagnostic: Diagnostic) {
        if diagnostic.severity == .error { errorCount += 1 }
        diagnostics.append(diagnostic)
    }

    /// Records an error.
    public mutating func error(_ id: String, _ message: String, at range: SourceRange?,
                               notes: [DiagnosticNote] = []) {
        report(Diagnostic(.error, id, message, at: range, notes: notes))
    }

    /// Records a warning.
    public mutating func warning(_ id: String, _ message: String, at range: SourceRange?,
                                 notes: [DiagnosticNote] = []) {
        report(Diagnostic(.warning, id, message, at: range, notes: notes))
    }

    /// Appends every diagnostic of another sink.
    public mutating func absorb(_ other: DiagnosticSink) {
        for d in other.diagnostics { report(d) }
    }

    /// Whether any error was reported.
    public var hasErrors: Bool { errorCount > 0 }

    /// Replaces the collected diagnostics (used by filters such as suppressions).
    public mutating func replaceAll(with list: [Diagnostic]) {
        diagnostics = list
        errorCount = list.reduce(0) { $0 + ($1.severity == .error ? 1 : 0) }
    }
}
