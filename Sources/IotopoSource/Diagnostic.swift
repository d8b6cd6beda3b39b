/// How serious a diagnostic is.
public enum Severity: String, Sendable, Comparable, CaseIterable {
    case note, warning, error

    private var rank: Int {
        switch self {
        case .note: return 0
        case .warning: return 1
        case .error: return 2
        }
    }

    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

/// A secondary location attached to a diagnostic ("first defined here").
public struct DiagnosticNote: Hashable, Sendable {
    /// What the note says.
    public var message: String
    /// Where it points; nil for a note without a place.
    public var range: SourceRange?

    /// Creates a note.
    public init(_ message: String, at range: SourceRange?) {
        self.message = message
        self.range = range
    }
}

/// One finding: a stable check ID, a message, a primary range and notes.
///
/// The check ID is what tests, suppressions, `--disable` and SARIF rules use; the message
/// wording may change freely.
public struct Diagnostic: Hashable, Sendable {
    /// Error, warning or note.
    public var severity: Severity
    /// Stable kebab-case check ID, such as `duplicate-name`.
    public var id: String
    /// Human-readable message.
    public var message: String
    /// The primary range; nil when the finding concerns no place in a file (a missing file
    /// given on the command line).
    public var range: SourceRange?
    /// Related places, in the order they should be printed.
    public var notes: [DiagnosticNote]
    /// Nonzero for the line that stands for diagnostics not kept: this many of check `id`
    /// and this severity in one file, past the cap (DiagnosticSink, docs/limits.md). It
    /// counts as that many in totals, and prints after every other diagnostic.
    public var omitted = 0

    /// Creates a diagnostic.
    public init(_ severity: Severity, _ id: String, _ message: String,
                at range: SourceRange?, notes: [DiagnosticNote] = []) {
        self.severity = severity
        self.id = id
        self.message = message
        self.range = range
        self.notes = notes
    }
}

extension Diagnostic {
    /// The order diagnostics are printed in: by file load order, then position, then ID,
    /// then message, so output never depends on the order checks happened to run.
    public static func printOrder(_ a: Diagnostic, _ b: Diagnostic) -> Bool {
        // The lines for what the cap left out come last, by file then check.
        if (a.omitted > 0) != (b.omitted > 0) { return b.omitted > 0 }
        switch (a.range, b.range) {
        case (nil, .some): return true
        case (.some, nil): return false
        case let (.some(ra), .some(rb)) where ra != rb: return ra < rb
        default: break
        }
        if a.id != b.id { return a.id < b.id }
        return a.message < b.message
    }
}
