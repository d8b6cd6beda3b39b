import IotopoCompiler
import IotopoSource

/// Machine formats for diagnostics: iotopo's JSON, SARIF 2.1.0 and GitHub workflow commands.
public enum DiagnosticFormats {
    static func location(_ r: SourceRange?, _ files: SourceFiles) -> [(String, JSON)] {
        guard let r, Int(r.file.raw) < files.files.count else { return [] }
        return [("file", .string(files.path(r.file))), ("line", .uint(r.start.line)), ("column", .uint(r.start.column)),
                ("endLine", .uint(r.end.line)), ("endColumn", .uint(r.end.column))]
    }

    /// `{"diagnostics": [...], "errors": N, "warnings": M}`, one object per diagnostic.
    public static func json(_ diagnostics: [Diagnostic], files: SourceFiles) -> String {
        let items: [JSON] = diagnostics.map { d in
            var o: [(String, JSON)] = [("check", .string(d.id)), ("severity", .string(d.severity.rawValue)), ("message", .string(d.message))]
            o += location(d.range, files)
            o.append(("notes", .array(d.notes.map { n in .object([("message", .string(n.message))] + location(n.range, files)) })))
            return .object(o)
        }
        let doc = JSON.object([
            ("version", .int(1)),
            ("errors", .uint(diagnostics.filter { $0.severity == .error }.count)),
            ("warnings", .uint(diagnostics.filter { $0.severity == .warning }.count)),
            ("diagnostics", .array(items)),
        ])
        return doc.serialized() + "\n"
    }

    /// SARIF 2.1.0: one run, the whole check registry as rules, one result per diagnostic,
    /// notes as related locations. Columns count Unicode code points, as libyaml does.
    public static func sarif(_ diagnostics: [Diagnostic], files: SourceFiles, version: String) -> String {
        let rules = CheckRegistry.all
        var ruleIndex: [String: Int] = [:]
        for (i, r) in rules.enumerated() { ruleIndex[r.id] = i }
        func physical(_ r: SourceRange) -> JSON {
            .object([
                ("artifactLocation", .object([("uri", .string(uri(files.path(r.file)))), ("uriBaseId", .string("%SRCROOT%"))])),
                ("region", .object([("startLine", .uint(r.start.line)), ("startColumn", .uint(r.start.column)),
                                    ("endLine", .uint(r.end.line)), ("endColumn", .uint(max(r.end.column, r.end.line == r.start.line ? r.start.column + 1 : 1)))])),
            ])
        }
        let results: [JSON] = diagnostics.map { d in
            var o: [(String, JSON)] = [("ruleId", .string(d.id))]
            if let i = ruleIndex[d.id] { o.append(("ruleIndex", .uint(i))) }
            o.append(("level", .string(d.severity == .note ? "note" : d.severity.rawValue)))
            o.append(("message", .object([("text", .string(d.message))])))
            if let r = d.range, Int(r.file.raw) < files.files.count {
                o.append(("locations", .array([.object([("physicalLocation", physical(r))])])))
            }
            let related = d.notes.enumerated().compactMap { (i, n) -> JSON? in
                guard let r = n.range, Int(r.file.raw) < files.files.count else { return nil }
                return .object([("id", .uint(i)), ("message", .object([("text", .string(n.message))])), ("physicalLocation", physical(r))])
            }
            if !related.isEmpty { o.append(("relatedLocations", .array(related))) }
            return .object(o)
        }
        let ruleObjects: [JSON] = rules.map { r in
            .object([
                ("id", .string(r.id)),
                ("shortDescription", .object([("text", .string(r.summary))])),
                ("helpUri", .string("https://github.com/iotopo/iotopo/blob/main/docs/checks.md#\(r.id)")),
                ("defaultConfiguration", .object([("level", .string(r.severity == .warning ? "warning" : "error"))])),
            ])
        }
        let doc = JSON.object([
            ("$schema", .string("https://json.schemastore.org/sarif-2.1.0.json")),
            ("version", .string("2.1.0")),
            ("runs", .array([.object([
                ("tool", .object([("driver", .object([
                    ("name", .string("iotopo")),
                    ("version", .string(version)),
                    ("informationUri", .string("https://github.com/iotopo/iotopo")),
                    ("rules", .array(ruleObjects)),
                ]))])),
                ("columnKind", .string("unicodeCodePoints")),
                ("results", .array(results)),
            ])])),
        ])
        return doc.serialized() + "\n"
    }

    /// Percent-encodes what a relative URI cannot hold literally.
    static func uri(_ path: String) -> String {
        var out = ""
        for b in path.utf8 {
            let c = Character(Unicode.Scalar(b))
            // Controls too: a URI holds none (RFC 3986), and a file name may.
            if b >= 0x80 || b < 0x20 || b == 0x7F || " %#?[]".contains(c) {
                let h = String(b, radix: 16, uppercase: true)
                out += "%" + (h.count < 2 ? "0" : "") + h
            } else {
                out.append(c)
            }
        }
        return out
    }

    /// GitHub Actions workflow commands (`::error file=...::message`), one per diagnostic,
    /// at most `limit` per severity (GitHub shows ten of each kind per step).
    public static func githubAnnotations(_ diagnostics: [Diagnostic], files: SourceFiles, limit: Int = 10) -> String {
        var out = ""
        var counts: [Severity: Int] = [:]
        for d in diagnostics {
            let n = counts[d.severity, default: 0]
            counts[d.severity] = n + 1
            guard n < limit else { continue }
            let kind = d.severity == .error ? "error" : d.severity == .warning ? "warning" : "notice"
            var props: [String] = []
            if let r = d.range, Int(r.file.raw) < files.files.count {
                props += ["file=\(WorkflowCommand.property(files.path(r.file)))", "line=\(r.start.line)", "col=\(r.start.column)"]
                if r.end.line >= r.start.line { props += ["endLine=\(r.end.line)", "endColumn=\(r.end.column)"] }
            }
            props.append("title=\(WorkflowCommand.property("iotopo " + d.id))")
            out += "::\(kind) \(props.joined(separator: ","))::\(WorkflowCommand.data(TerminalText.visible(d.message)))\n"
        }
        return out
    }

}

/// The escaping of GitHub Actions workflow commands (`::error file=F,title=T::MESSAGE`),
/// for `iotopo check` and `iotopo test` alike.
///
/// `TerminalText`'s rule comes first: the runner decodes no escape for ESC, C1 or bidi
/// controls, and its log viewer and the annotations show what they are given, so they are
/// made visible (`^[`, `<U+202E>`), as everywhere else. Then GitHub's own escaping, as its
/// toolkit's `escapeData` and `escapeProperty` do: `%` as `%25`, CR `%0D`, LF `%0A`, and in a
/// property `:` as `%3A` and `,` as `%2C`. A command is then always one line, and begins
/// with the `::` iotopo wrote: nothing from a repository starts a line of its own.
public enum WorkflowCommand {
    /// A message. Line feeds in it are iotopo's own (a message, then a diff hunk): a value
    /// or a name holding one is shown by `TerminalText.visible` before it is put in.
    public static func data(_ s: String) -> String {
        var s = TerminalText.visible(s, keepingNewlines: true)
        while s.hasSuffix("\n") { s.removeLast() }
        return s.replacingAll("%", "%25").replacingAll("\r", "%0D").replacingAll("\n", "%0A")
    }

    /// A property value (a file, a title): one line, any line feed shown as `^J`.
    public static func property(_ s: String) -> String {
        data(TerminalText.visible(s)).replacingAll(":", "%3A").replacingAll(",", "%2C")
    }
}

extension String {
    /// Replaces every occurrence of `a` with `b` (no Foundation).
    func replacingAll(_ a: String, _ b: String) -> String {
        guard !a.isEmpty, contains(a) else { return self }
        var out = ""
        var rest = self[...]
        while let r = rest.firstRange(of: a) {
            out += rest[..<r.lowerBound]
            out += b
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
