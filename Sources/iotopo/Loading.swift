import IotopoCompiler
import IotopoReport
import IotopoModel
import IotopoSource

/// Reading a topology or a compiled model, shared by the commands.
enum Loading {
    /// Compiles a YAML topology, or reads a compiled model (`.json`) and checks it again.
    static func load(_ path: String, options: CompileOptions) -> CompileResult {
        if path.hasSuffix(".json") { return ModelJSON.load(path: path, options: options) }
        return Compiler.compile(path: path, options: options)
    }

    /// For commands that use a topology rather than check it: errors in full on standard
    /// error, warnings only counted (`iotopo check` shows them).
    static func reportBriefly(_ diagnostics: [Diagnostic], files: SourceFiles, style: TextStyle) {
        var r = DiagnosticTextRenderer(files: files, style: style)
        Output.err(r.render(diagnostics.filter { $0.severity == .error }))
        let warnings = diagnostics.filter { $0.severity == .warning }.count
        if warnings > 0 {
            Output.err("note: the topology has \(warnings) warning\(warnings == 1 ? "" : "s"); 'iotopo check' shows them\n")
        }
    }

    /// Appends a result's files to `table`, shifting every file ID in its diagnostics.
    static func merge(_ r: CompileResult, into table: SourceFiles) -> (SourceFiles, [Diagnostic]) {
        var t = table
        let offset = UInt32(t.files.count)
        for f in r.files.files { _ = t.add(path: f.path, bytes: f.bytes) }
        func shift(_ range: SourceRange?) -> SourceRange? {
            range.map { SourceRange(file: FileID($0.file.raw + offset), start: $0.start, end: $0.end) }
        }
        let diags = r.diagnostics.map { d -> Diagnostic in
            var d = d
            d.range = shift(d.range)
            d.notes = d.notes.map { DiagnosticNote($0.message, at: shift($0.range)) }
            return d
        }
        return (t, diags)
    }
}
