import IotopoCompiler
import IotopoReport
import IotopoSource

/// Reading a topology or a compiled model, shared by the commands.
enum Loading {
    /// For commands that use a topology rather than check it: errors in full on standard
    /// error, warnings only counted (`iotopo check` shows them).
    static func reportBriefly(_ diagnostics: [Diagnostic], files: SourceFiles, style: TextStyle) {
        Output.err(CommandText.brief(diagnostics, files: files, style: style))
    }
}
