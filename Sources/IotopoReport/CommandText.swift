import IotopoCompiler
import IotopoWorkload
import IotopoEngine
import IotopoImport
import IotopoAnalysis
import IotopoModel
import IotopoSource

/// The text the commands print, composed here so that `iotopo check`, `compile` and `run`
/// and the golden cases of `iotopo test` produce the same bytes from the same input.
public enum CommandText {
    /// Several compile results on one file table (file IDs re-based), for one report.
    public static func merge(_ results: [CompileResult]) -> (files: SourceFiles, diagnostics: [Diagnostic]) {
        var table = SourceFiles()
        var all: [Diagnostic] = []
        for r in results {
            let offset = UInt32(table.files.count)
            for f in r.files.files { _ = table.add(path: f.path, bytes: f.bytes) }
            func shift(_ range: SourceRange?) -> SourceRange? {
                range.map { SourceRange(file: FileID($0.file.raw + offset), start: $0.start, end: $0.end) }
            }
            for d in r.diagnostics {
                var d = d
                d.range = shift(d.range)
                d.notes = d.notes.map { DiagnosticNote($0.message, at: shift($0.range)) }
                all.append(d)
            }
        }
        return (table, all)
    }

    /// `iotopo check` in text: every diagnostic, a count line when something failed, then a
    /// line per file that compiled.
    public static func check(_ checked: [(path: String, file: CheckedFile)], style: TextStyle) -> String {
        let results = checked.map { (path: $0.path, result: $0.file.compileResult) }
        let (files, all) = merge(results.map(\.result))
        var summaries: [String] = []
        for (path, file) in checked {
            let r = file.compileResult
            guard let m = r.model, !r.diagnostics.contains(where: { $0.severity == .error }) else { continue }
            var what = "\(count(m.devices.count, "device")), \(count(m.iommus.count, "IOMMU")), \(count(m.domains.count, "domain"))"
            if case let .workload(w) = file, let workload = w.workload {
                what = "workload '\(workload.name)', \(count(workload.steps.count, "step")), on platform '\(m.platform.name)'"
            }
            // The path starts the line: shown so it cannot read as a workflow command.
            summaries.append("\(TerminalText.path(path)): ok (\(what))" + (r.diagnostics.isEmpty ? "" : ", \(diagnosticCountText(r.diagnostics))"))
        }
        var renderer = DiagnosticTextRenderer(files: files, style: style)
        var out = renderer.render(all)
        if all.contains(where: { $0.severity == .error }) || !all.isEmpty && summaries.isEmpty {
            out += "\(diagnosticCountText(all)) in \(count(results.count, "file"))\n"
        }
        for s in summaries { out += s + "\n" }
        return out
    }

    /// What a command that uses a topology rather than checks it prints first (on standard
    /// error): errors in full, warnings only counted.
    public static func brief(_ diagnostics: [Diagnostic], files: SourceFiles, style: TextStyle) -> String {
        var r = DiagnosticTextRenderer(files: files, style: style)
        var out = r.render(diagnostics.filter { $0.severity == .error })
        let warnings = diagnostics.filter { $0.severity == .warning }.count
        if warnings > 0 {
            out += "note: the topology has \(count(warnings, "warning")); 'iotopo check' shows them\n"
        }
        return out
    }

    /// `iotopo compile --format text`: the diagnostics (standard error), then the summary.
    public static func compileSummary(_ r: CompileResult, style: TextStyle) -> (stdout: String, stderr: String) {
        var renderer = DiagnosticTextRenderer(files: r.files, style: style)
        var err = renderer.render(r.diagnostics)
        guard let m = r.model else {
            err += "\(diagnosticCountText(r.diagnostics)); no model written\n"
            return ("", err)
        }
        return (ModelSummary.render(m), err)
    }

    /// `iotopo run` in text, whole: the brief diagnostics (standard error), then one line per
    /// step and the summary. Nil summary when nothing ran.
    public static func run(_ r: WorkloadResult, style: TextStyle, shouldStop: () -> Bool = { false }) -> (stdout: String, stderr: String, summary: RunSummary?) {
        var err = brief(r.diagnostics, files: r.files, style: style)
        guard let model = r.model, let w = r.workload else {
            err += "\(diagnosticCountText(r.diagnostics)); nothing was run\n"
            return ("", err, nil)
        }
        var engine = Engine(model: model)
        let renderer = RunRenderer(model: model, workload: w, files: r.files)
        var out = ""
        let s = Runner().run(w, on: &engine, detailed: true, poll: { _ in shouldStop() }, observe: { out += renderer.line($0) })
        out += renderer.summary(s)
        if s.interrupted { err += "interrupted after \(s.instances) of \(w.instanceCount) steps\n" }
        return (out, err, s)
    }

    static func count(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
}

extension CommandText {
    /// A golden import case: what `iotopo import SOURCE` prints (its diagnostics, then the
    /// topology), what `iotopo check` says of that topology, then `iotopo groups --why` on
    /// it and, when the source recorded groups, `--compare recorded`.
    public static func importCase(_ source: String, includes: IncludeScope = .repository) -> String {
        // A folder that is not a snapshot holds sources imported together, in name order.
        var paths = [source]
        if FileReader.isDirectory(source), !SnapshotLayout.isSnapshot(source) {
            paths = FileReader.list(source).filter { !$0.hasPrefix(".") && !$0.hasSuffix(".md") }.map { source + "/" + $0 }
        }
        let r = Importer.run(paths: paths, options: ImportOptions(includes: includes))
        var renderer = DiagnosticTextRenderer(files: r.files, style: .plain)
        var out = renderer.render(r.diagnostics)
        guard let text = r.text else { return out + "\(diagnosticCountText(r.diagnostics)); nothing imported\n" }
        out += text
        let shown = source + " (imported)"
        let checked = Compiler.compile(path: shown, bytes: Array(text.utf8))
        out += "\n# iotopo check\n"
        out += check([(shown, .topology(checked))], style: .plain)
        if let m = checked.model {
            out += "\n# iotopo compile --format text\n" + ModelSummary.render(m)
        }
        let analysis = Compiler.compile(path: shown, bytes: Array(text.utf8), options: CompileOptions().forAnalysis)
        guard let m = analysis.model else { return out }
        let g = GroupAnalysis(m)
        out += "\n# iotopo groups --why\n" + GroupsText.render(g, m, why: true, passthrough: nil)
        if !m.observedGroups.isEmpty {
            out += "\n# iotopo groups --compare recorded\n"
            out += GroupsCompareText.render(GroupComparison(g, m, observed: GroupComparison.recorded(m)), g, m,
                                            observedName: "the groups recorded in the topology", explained: nil)
        }
        return out
    }
}
