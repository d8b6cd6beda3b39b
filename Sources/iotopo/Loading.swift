import IotopoCompiler
import IotopoModel
import IotopoSource

/// Reading a topology or a compiled model, shared by the commands.
enum Loading {
    /// Compiles a YAML topology, or reads a compiled model (`.json`) and checks it again.
    static func load(_ path: String, options: CompileOptions) -> CompileResult {
        if path.hasSuffix(".json") { return ModelJSON.load(path: path, options: options) }
        return Compiler.compile(path: path, options: options)
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
