import Synchronization

/// Collects diagnostics from every stage so that a user sees all of them in one run.
///
/// Stages report into a sink and carry on; only I/O failures are thrown.
public struct DiagnosticSink: Sendable {
    /// The most diagnostics kept per check and file when a sink does not say
    /// (`--max-diagnostics`, docs/limits.md; 0 keeps all). Set once by the command line
    /// before any work starts.
    public static let defaultCap = Atomic<Int>(1000)

    /// The diagnostics kept, in report order.
    private var kept: [Diagnostic] = []
    /// Number of errors reported so far, those past the cap included.
    public private(set) var errorCount = 0
    /// The most kept per check and file (0: all).
    public let cap: Int
    /// How many each (file, check, severity) has reported, and how many of them the cap
    /// left out.
    private var seen: [CapKey: Int] = [:]
    private var omitted: [CapKey: Int] = [:]

    struct CapKey: Hashable, Sendable {
        var file: UInt32?
        var id: String
        var severity: Severity
    }

    /// Creates an empty sink keeping at most `cap` diagnostics per check and file.
    public init(cap: Int = DiagnosticSink.defaultCap.load(ordering: .relaxed)) {
        self.cap = max(0, cap)
    }

    /// Everything reported so far, in report order: the kept diagnostics, then one line per
    /// check and file saying how many more the cap left out. A file of six million
    /// duplicate keys costs the memory of a thousand diagnostics, not of six million.
    public var diagnostics: [Diagnostic] {
        guard !omitted.isEmpty else { return kept }
        let lines = omitted.map { key, n -> Diagnostic in
            var d = Diagnostic(key.severity, key.id, Self.omittedMessage(n, key.severity, cap: cap), at: key.file.map { .fileStart(FileID($0)) })
            d.omitted = n
            return d
        }
        // Dictionary order never reaches the output.
        return kept + lines.sorted { a, b in
            (a.range?.file.raw ?? 0, a.id, a.severity.rawValue) < (b.range?.file.raw ?? 0, b.id, b.severity.rawValue)
        }
    }

    static func omittedMessage(_ n: Int, _ severity: Severity, cap: Int) -> String {
        "\(n) more \(severity.rawValue)\(n == 1 ? "" : "s") of this check in this file \(n == 1 ? "is" : "are") not shown: at most \(cap) are kept per check and file (--max-diagnostics raises it; 0 keeps all)"
    }

    /// Records a diagnostic, or counts it when its check already has `cap` in its file.
    public mutating func report(_ diagnostic: Diagnostic) {
        let n = max(1, diagnostic.omitted)
        if diagnostic.severity == .error { errorCount += n }
        let key = CapKey(file: diagnostic.range?.file.raw, id: diagnostic.id, severity: diagnostic.severity)
        if diagnostic.omitted > 0 {
            omitted[key, default: 0] += n
            return
        }
        if cap > 0 {
            let count = seen[key, default: 0] + 1
            seen[key] = count
            if count > cap {
                omitted[key, default: 0] += 1
                return
            }
        }
        kept.append(diagnostic)
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
        kept = []
        seen = [:]
        omitted = [:]
        errorCount = 0
        for d in list { report(d) }
    }

    /// `list` with at most `cap` diagnostics per check and file (0: all), in print order,
    /// the rest counted on one line each: the final cut after every stage's findings have
    /// been put together and filtered.
    public static func capped(_ list: [Diagnostic], cap: Int = defaultCap.load(ordering: .relaxed)) -> [Diagnostic] {
        var sink = DiagnosticSink(cap: cap)
        for d in list.sorted(by: Diagnostic.printOrder) { sink.report(d) }
        return sink.diagnostics.sorted(by: Diagnostic.printOrder)
    }
}
