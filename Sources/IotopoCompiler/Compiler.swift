import IotopoImport
import IotopoModel
import IotopoSource
import IotopoYAML

/// Everything that tunes a compile: limits, and which diagnostics count.
public struct CompileOptions: Sendable {
    /// YAML front-end limits.
    public var limits = YAMLLimits.default
    /// Most entries repetitions may generate across the platform (default 1,000,000).
    public var maxGenerated = 1_000_000
    /// Diagnostic policy.
    public var policy = DiagnosticPolicy()
    /// The kernel release whose quirks apply (`--kernel`); nil: the platform's `kernel`,
    /// else the newest the quirk table knows.
    public var kernel: String?
    /// Where includes, `extends` and a workload's `topology:` may lead (docs/security.md).
    public var includes: IncludeScope = .repository

    /// The defaults.
    public init() {}
}

/// The result of compiling (or reading back) a topology.
public struct CompileResult: Sendable {
    /// Every file read, for rendering snippets.
    public var files: SourceFiles
    /// The model; nil when errors were found (a model with errors is not handed on).
    public var model: SystemModel?
    /// Diagnostics in print order, after suppressions and policy.
    public var diagnostics: [Diagnostic]

    /// Whether any error remains.
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    /// A result from its parts.
    public init(files: SourceFiles, model: SystemModel?, diagnostics: [Diagnostic]) {
        self.files = files
        self.model = model
        self.diagnostics = diagnostics
    }
}

/// The pipeline: files -> YAML -> declarations -> model -> checks.
public enum Compiler {
    /// Compiles the topology rooted at `path` (a relative path stays relative in every
    /// diagnostic and in the model).
    public static func compile(path: String, options: CompileOptions = CompileOptions()) -> CompileResult {
        compile(path: path, bytes: nil, options: options)
    }

    /// Compiles topology text made in memory, shown as `path` in diagnostics.
    public static func compile(path: String, bytes: [UInt8]?, options: CompileOptions = CompileOptions()) -> CompileResult {
        var loader = SourceLoader(options: options, knownChecks: CheckRegistry.ids)
        loader.load(root: PathText.normalize(path) == "." ? path : (path == "-" ? "-" : PathText.normalize(path)), bytes: bytes)
        var diags = loader.sink.diagnostics
        // Errors that drop or distort an entity make the model incomplete, and the checks
        // that reason about the whole structure then stand down. A bad suppression drops
        // nothing, so the checks it was meant for still run.
        let frontEndErrors = loader.sink.diagnostics.contains { $0.severity == .error && $0.id != CheckID.invalidSuppression }
        guard !loader.decls.isEmpty else {
            return CompileResult(files: loader.files, model: nil,
                                 diagnostics: options.policy.apply(diags, suppressions: [], ran: []))
        }
        let p = loader.rootPlatform
        var platform = Platform(name: p?.name?.name ?? "", description: p?.description ?? "", addressBits: p?.addressBits ?? 64,
                                origin: p?.origin ?? Origin(range: .fileStart(FileID(0))))
        platform.kernel = p?.kernel
        platform.unverified = p?.unverified
        var timer = PhaseTimer()
        var resolver = Resolver(sources: loader.files.files.map { $0.path }, platform: platform)
        resolver.resolve(loader.decls)
        let (release, kernelDiag) = QuirkStage.release(option: options.kernel, platform: resolver.model.platform)
        if let kernelDiag { resolver.sink.report(kernelDiag) }
        QuirkStage.apply(&resolver.model, release: release)
        timer.mark("resolve")
        resolver.model.suppressions = loader.suppressions
        diags += resolver.sink.diagnostics
        let complete = !frontEndErrors && !resolver.sink.hasErrors && p?.name != nil
        diags += checkRequesterIDSegments(resolver)
        let checked = CheckRunner.run(resolver.model, complete: complete, disabled: options.policy.disabled)
        diags += checked.diagnostics
        timer.mark("checks")
        var final = options.policy.apply(diags, suppressions: resolver.model.suppressions, ran: checked.ran)
        let ok = !final.contains { $0.severity == .error }
        if ok && !complete {
            // Every error that dropped an entity is front-end and cannot be disabled, so this
            // cannot happen; the guard keeps a partial model from ever being written.
            final.append(Diagnostic(.error, CheckID.invalidModel, "some entities could not be built; no model is produced", at: nil))
        }
        return CompileResult(files: loader.files, model: ok && complete ? resolver.model : nil, diagnostics: DiagnosticSink.capped(final))
    }

    /// Runs the model checks on a model (one read back from JSON, say).
    public static func check(model: SystemModel, files: SourceFiles, options: CompileOptions = CompileOptions()) -> CompileResult {
        let checked = CheckRunner.run(model, complete: true, disabled: options.policy.disabled)
        let final = options.policy.apply(checked.diagnostics, suppressions: model.suppressions, ran: checked.ran)
        let ok = !final.contains { $0.severity == .error }
        return CompileResult(files: files, model: ok ? model : nil, diagnostics: DiagnosticSink.capped(final))
    }

    /// A segment written in a requester ID (`0001:00:1f.0`) must be the segment of the bus
    /// the function sits on (a bridge sits on its upstream bus).
    static func checkRequesterIDSegments(_ r: Resolver) -> [Diagnostic] {
        let m = r.model
        let written = Array(zip(m.devices.map(\.bus), r.deviceRIDs)) + Array(zip(m.bridges.map(\.upstream), r.bridgeRIDs))
        var out: [Diagnostic] = []
        for (busID, rid) in written {
            guard let rid, let seg = rid.segment else { continue }
            let bus = m.buses[busID]
            if seg != bus.segment {
                out.append(Diagnostic(.error, CheckID.invalidRequesterID,
                                      "requester ID names segment \(seg) but bus '\(bus.name)' is in segment \(bus.segment)", at: rid.range))
            }
        }
        return out
    }
}

extension Compiler {
    /// Compiles a YAML topology, or reads a compiled model (a path ending in `.json`, as
    /// written by `iotopo compile`) and runs its checks again.
    ///
    /// Anything `iotopo import` reads (lspci text, a snapshot folder) is imported on the fly
    /// and its topology compiled from the text import writes, so the model is the one
    /// `iotopo import` then `check` would give.
    public static func load(path: String, options: CompileOptions = CompileOptions()) -> CompileResult {
        if path.hasSuffix(".json") { return ModelJSON.load(path: path, options: options) }
        if Importer.detect(path: path, limit: options.limits.maxFileSize) != nil { return importing(paths: [path], options: options) }
        return compile(path: path, options: options)
    }

    /// Imports sources and compiles the topology import writes, shown as `SOURCE (imported)`;
    /// the import's diagnostics (on the sources) come first.
    public static func importing(paths: [String], format: ImportFormat? = nil, options: CompileOptions = CompileOptions()) -> CompileResult {
        let r = Importer.run(paths: paths, format: format, options: ImportOptions(kernel: options.kernel, includes: options.includes), limit: options.limits.maxFileSize)
        return compile(imported: r, shownAs: (paths.first ?? "-") + " (imported)", options: options)
    }

    /// Imports a snapshot of the live host (`--host`) and compiles it.
    public static func importing(tree: SnapshotTree, options: CompileOptions = CompileOptions()) -> CompileResult {
        compile(imported: Importer.run(tree: tree, options: ImportOptions(kernel: options.kernel)), shownAs: "<host> (imported)", options: options)
    }

    static func compile(imported r: ImportResult, shownAs name: String, options: CompileOptions) -> CompileResult {
        guard let text = r.text else { return CompileResult(files: r.files, model: nil, diagnostics: r.diagnostics) }
        let c = compile(path: name, bytes: Array(text.utf8), options: options)
        // One file table: the import's sources after the compile's files.
        var files = c.files
        let offset = UInt32(files.files.count)
        for f in r.files.files { _ = files.add(path: f.path, bytes: f.bytes) }
        func shift(_ range: SourceRange?) -> SourceRange? {
            range.map { SourceRange(file: FileID($0.file.raw + offset), start: $0.start, end: $0.end) }
        }
        let imported = r.diagnostics.map { d -> Diagnostic in
            var d = d
            d.range = shift(d.range)
            d.notes = d.notes.map { DiagnosticNote($0.message, at: shift($0.range)) }
            return d
        }
        return CompileResult(files: files, model: c.model, diagnostics: imported + c.diagnostics)
    }
}
