import IotopoCompiler
import IotopoImport
import IotopoModel
import IotopoReport
import IotopoSource

/// Reading a topology or a compiled model, shared by the commands.
enum Loading {
    /// For commands that use a topology rather than check it: errors in full on standard
    /// error, warnings only counted (`iotopo check` shows them).
    static func reportBriefly(_ diagnostics: [Diagnostic], files: SourceFiles, style: TextStyle) {
        Output.err(CommandText.brief(diagnostics, files: files, style: style))
    }

    /// The model an analysis command (groups, reach, graph, diff) works on: the isolation
    /// checks off (their findings are what these commands show), errors reported briefly;
    /// nil when the topology has errors.
    static func analysisModel(_ path: String?, input: InputOptions, style: TextStyle) -> SystemModel? {
        let result = path.map { Compiler.load(path: $0, options: input.compileOptions.forAnalysis) } ?? hostModel(input.compileOptions.forAnalysis)
        reportBriefly(result.diagnostics, files: result.files, style: style)
        return result.model
    }

    /// `--host`: this machine, snapshotted in memory and imported.
    static func hostModel(_ options: CompileOptions) -> CompileResult {
        var c = SnapshotCollector(root: "/")
        return Compiler.importing(tree: c.collect(), options: options)
    }
}
