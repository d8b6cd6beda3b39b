import IotopoSource

/// Renders diagnostics the way compilers do:
///
///     topologies/x86/platform.yaml:12:11: error: device name 'nvme0' is already taken [duplicate-name]
///        12 |   - name: nvme0
///           |           ^~~~~
///     topologies/x86/platform.yaml:5:11: note: first defined here
///
/// Paths are the display paths the files were loaded under (relative to where the tool ran).
public struct DiagnosticTextRenderer {
    let files: SourceFiles
    let style: TextStyle
    private var lineStarts: [FileID: [Int]] = [:]
    /// The scalars of the last line shown: a file on one long line (a flow list of 50,000
    /// entries, 2 MB) gives up to 1,000 diagnostics on that line, and decoding it for each
    /// cost 16 s where the JSON report took 1.7 s.
    private var lastLine: (file: FileID, line: Int, scalars: [Unicode.Scalar])?

    /// Creates a renderer over the files the diagnostics point into.
    public init(files: SourceFiles, style: TextStyle) {
        self.files = files
        self.style = style
    }

    /// All diagnostics, then a one-line count.
    public mutating func render(_ diagnostics: [Diagnostic]) -> String {
        var out = ""
        for d in diagnostics { out += render(d) }
        return out
    }

    /// One diagnostic with its snippet and notes.
    ///
    /// Messages quote values from the files (a malformed number, a name) and paths the
    /// repository chose: they, the paths and the source lines are shown by `TerminalText`'s
    /// rule, so no control, C1 or bidi character reaches the terminal or the log raw, and a
    /// newline in a value cannot start a line of its own (docs/security.md).
    public mutating func render(_ d: Diagnostic) -> String {
        var out = header(d.range, severity: d.severity.rawValue, message: TerminalText.visible(d.message) + " " + style.dim("[\(TerminalText.visible(d.id))]"))
        // The line counting what the cap left out points at its file, not at line 1.
        if let r = d.range, d.omitted == 0 { out += snippet(r) }
        for n in d.notes {
            out += header(n.range, severity: "note", message: TerminalText.visible(n.message))
            if let r = n.range { out += snippet(r) }
        }
        return out
    }

    /// The `path:line:column: severity: message` line; `message` is already shown safely.
    /// The path starts the line, so `TerminalText.path` also keeps it from reading as a
    /// GitHub workflow command.
    private func header(_ r: SourceRange?, severity: String, message: String) -> String {
        let label: String
        switch severity {
        case "error": label = style.red("error:")
        case "warning": label = style.magenta("warning:")
        default: label = style.cyan("note:")
        }
        guard let r, Int(r.file.raw) < files.files.count else { return "\(label) \(message)\n" }
        let place = style.bold("\(TerminalText.path(files.path(r.file))):\(r.start.line):\(r.start.column):")
        return "\(place) \(label) \(message)\n"
    }

    /// The source line and a caret under the range (to the end of the line when the range
    /// spans lines). Very long lines are cut around the column. Characters `TerminalText`
    /// escapes are shown in their visible forms (a raw RLO as `<U+202E>`), and the caret is
    /// placed by the escaped text: each form counts its own width, before and under the
    /// range. A tab stays a tab, above the caret and in the padding under it, so the two
    /// expand alike.
    mutating func snippet(_ r: SourceRange) -> String {
        guard Int(r.file.raw) < files.files.count, let bytes = files[r.file].bytes else { return "" }
        var scalars: [Unicode.Scalar]
        if let last = lastLine, last.file == r.file, last.line == Int(r.start.line) {
            scalars = last.scalars
        } else {
            guard let text = line(Int(r.start.line), of: r.file, bytes: bytes) else { return "" }
            scalars = Array(text.unicodeScalars)
            lastLine = (r.file, Int(r.start.line), scalars)
        }
        var startCol = max(0, Int(r.start.column) - 1)
        if startCol > scalars.count { return "" }
        var endCol = r.end.line == r.start.line ? max(startCol + 1, Int(r.end.column) - 1) : startCol + 1
        endCol = min(max(endCol, startCol + 1), max(scalars.count, startCol + 1))
        if scalars.count > 160 {
            let from = max(0, startCol - 60)
            let to = min(scalars.count, from + 140)
            scalars = Array(scalars[from ..< to])
            startCol -= from
            endCol = min(endCol - from, scalars.count + 1)
        }
        var shown = "", pad = ""
        var width = max(0, endCol - max(startCol, scalars.count))  // past the line's end: one column each
        for (i, u) in scalars.enumerated() {
            let form = u == "\t" ? nil : TerminalText.escaped(in: scalars, at: i)
            let w = form?.count ?? 1
            if let form { shown += form } else { shown.unicodeScalars.append(u) }
            if i < startCol {
                pad += u == "\t" ? "\t" : String(repeating: " ", count: w)
            } else if i < endCol {
                width += w
            }
        }
        width = max(1, width)
        let gutter = String(r.start.line)
        let blank = String(repeating: " ", count: gutter.count)
        let caret = style.green("^" + String(repeating: "~", count: width - 1))
        return " \(gutter) | \(shown)\n \(blank) | \(pad)\(caret)\n"
    }

    /// The text of a 1-based line, without its line break (lines split as libyaml counts
    /// them, `LineBreaks`).
    mutating func line(_ n: Int, of file: FileID, bytes: [UInt8]) -> String? {
        if lineStarts[file] == nil { lineStarts[file] = LineBreaks.starts(bytes) }
        guard let starts = lineStarts[file], let text = LineBreaks.line(n, starts: starts, bytes: bytes) else { return nil }
        return String(decoding: text, as: UTF8.self)
    }
}

/// "2 errors and 1 warning" style counts.
public func diagnosticCountText(_ diagnostics: [Diagnostic]) -> String {
    // A line standing for diagnostics the cap left out counts as all of them.
    let e = diagnostics.reduce(0) { $0 + ($1.severity == .error ? max(1, $1.omitted) : 0) }
    let w = diagnostics.reduce(0) { $0 + ($1.severity == .warning ? max(1, $1.omitted) : 0) }
    func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
    return "\(plural(e, "error")) and \(plural(w, "warning"))"
}
