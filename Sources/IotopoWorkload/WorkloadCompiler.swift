#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import IotopoEngine
import IotopoCompiler
import IotopoModel
import IotopoSource
import IotopoYAML

/// A compiled workload with the model it runs on.
public struct WorkloadResult: Sendable {
    /// Every file read: the topology's first, then the workload.
    public var files: SourceFiles
    /// The topology's model, when it compiled.
    public var model: SystemModel?
    /// The workload, when it compiled.
    public var workload: Workload?
    /// Diagnostics in print order.
    public var diagnostics: [Diagnostic]

    /// Whether any error remains.
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
}

/// Workload files (docs/workloads.md) to `Workload` values.
public enum WorkloadCompiler {
    /// Whether a file is a workload rather than a topology: its top level holds `workload:`
    /// (docs/workloads.md). Only a regular file is looked at: standard input or a pipe can
    /// be read once, and is a topology. A file that cannot be read is not a workload;
    /// compiling it says why.
    public static func looksLikeWorkload(path: String, limit: Int) -> Bool {
        var st = stat()
        guard path != "-", stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return false }
        guard case let .success(bytes) = FileReader.read(path, limit: limit) else { return false }
        return looksLikeWorkload(bytes)
    }

    /// Whether some line of the text starts with the key `workload:`.
    public static func looksLikeWorkload(_ bytes: [UInt8]) -> Bool {
        let key = Array("workload:".utf8)
        var lineStart = true
        var i = 0
        while i < bytes.count {
            if lineStart, bytes.count - i >= key.count, Array(bytes[i ..< i + key.count]) == key { return true }
            lineStart = bytes[i] == UInt8(ascii: "\n")
            i += 1
        }
        return false
    }

    /// Compiles the workload at `path` and the topology it names (or `topology`, which
    /// overrides it; a relative path given here is relative to where the tool runs, one
    /// written in the workload to the workload file).
    public static func compile(path: String, topology override: String? = nil, options: CompileOptions = CompileOptions()) -> WorkloadResult {
        let parsed: Parsed
        switch parse(path: path, options: options) {
        case let .success(p): parsed = p
        case let .failure(stop): return stop.result
        }
        // Where is the topology? Read just that key first.
        var topologyPath = override
        if topologyPath == nil {
            var probe = Decoder(doc: parsed.doc, knownChecks: CheckRegistry.ids, generatedBefore: 0, maxGenerated: options.maxGenerated)
            topologyPath = header(&probe)?.topology.map { PathText.resolve($0, from: parsed.shown) }
            if topologyPath == nil {
                let d = probe.sink.diagnostics.isEmpty
                    ? [Diagnostic(.error, CheckID.missingKey, "the workload is missing 'workload: {topology: PATH}' (or give --topology)", at: .fileStart(parsed.doc.file))]
                    : probe.sink.diagnostics
                return WorkloadResult(files: parsed.alone, model: nil, workload: nil, diagnostics: d.sorted(by: Diagnostic.printOrder))
            }
        }
        // A topology the workload names is a file the repository names: it must stay where
        // the workload's includes may lead (docs/security.md). One given with --topology is
        // the user's choice.
        var topologyOptions = options
        if override == nil, options.includes == .repository, let c = PathConfinement.repository(holding: path) {
            let shown = PathText.normalize(path)
            topologyOptions.includes = .folder(c, name: PathConfinement.words(c, holding: "the workload '\(shown)'"))
        }
        let topo = Compiler.compile(path: topologyPath ?? "", options: topologyOptions)
        return compile(parsed, on: topo, topologyPath: topologyPath ?? "", options: options)
    }

    /// Compiles the workload at `path` on a topology already compiled from `topologyPath`
    /// (what the workload's `topology:` key is then ignored for): many workloads on one
    /// platform pay for its compile once.
    public static func compile(path: String, on topo: CompileResult, topologyPath: String, options: CompileOptions = CompileOptions()) -> WorkloadResult {
        switch parse(path: path, options: options) {
        case let .success(p): return compile(p, on: topo, topologyPath: topologyPath, options: options)
        case let .failure(stop): return stop.result
        }
    }

    /// The shared second half: the workload's document, parsed, decoded on the topology.
    static func compile(_ parsed: Parsed, on topo: CompileResult, topologyPath: String, options: CompileOptions) -> WorkloadResult {
        var files = topo.files
        guard let model = topo.model else {
            return WorkloadResult(files: files, model: nil, workload: nil, diagnostics: topo.diagnostics)
        }
        let id = files.add(path: parsed.shown, bytes: parsed.bytes)
        var decoder = Decoder(doc: parsed.doc.withFile(id), knownChecks: CheckRegistry.ids, generatedBefore: 0, maxGenerated: options.maxGenerated)
        let workload = decode(&decoder, model: model, topology: topologyPath)
        var diags = topo.diagnostics + decoder.sink.diagnostics
        diags.sort(by: Diagnostic.printOrder)
        let ok = !diags.contains { $0.severity == .error }
        return WorkloadResult(files: files, model: model, workload: ok ? workload : nil, diagnostics: diags)
    }

    /// A workload file read and parsed, its document numbered as the one file of `alone`.
    struct Parsed {
        var alone: SourceFiles
        var bytes: [UInt8]
        var shown: String
        var doc: YAMLDocument
    }

    /// Why a workload file never got parsed, as the result to hand back.
    struct Stop: Error {
        var result: WorkloadResult
    }

    static func parse(path: String, options: CompileOptions) -> Result<Parsed, Stop> {
        var scratch = SourceFiles()
        var sink = DiagnosticSink()
        let shown = PathText.normalize(path)
        let bytes: [UInt8]
        switch FileReader.read(path, limit: options.limits.maxFileSize) {
        case let .success(b): bytes = b
        case let .failure(f):
            sink.error(f.tooLarge ? YAMLCheck.limit : CheckID.ioError, "cannot read '\(shown)': \(f.reason)", at: nil)
            return .failure(Stop(result: WorkloadResult(files: scratch, model: nil, workload: nil, diagnostics: sink.diagnostics)))
        }
        let id = scratch.add(path: shown, bytes: bytes)
        guard let doc = YAMLLoader.parse(bytes, file: id, limits: options.limits, sink: &sink) else {
            return .failure(Stop(result: WorkloadResult(files: scratch, model: nil, workload: nil, diagnostics: sink.diagnostics)))
        }
        return .success(Parsed(alone: scratch, bytes: bytes, shown: shown, doc: doc))
    }

    struct Header {
        var name: String?
        var topology: String?
        var description = ""
        var origin: Origin
    }

    static func header(_ d: inout Decoder) -> Header? {
        guard let root = d.doc.root, d.doc.kind(root) == .mapping else {
            d.sink.error(CheckID.missingKey, "a workload file is a mapping with 'workload' and 'steps'", at: .fileStart(d.doc.file))
            return nil
        }
        guard let n = d.pair(root, "workload")?.value else { return nil }
        guard var f = d.fields(n, "workload") else { return nil }
        var h = Header(origin: d.origin(n))
        if let v = d.require(&f, "name") { h.name = d.name(v, "workload name")?.name }
        if let v = d.require(&f, "topology") { h.topology = d.string(v, "topology path") }
        if let v = d.optional(&f, "description") { h.description = d.string(v, "description") ?? "" }
        d.finish(f)
        return h
    }

    static func decode(_ d: inout Decoder, model: SystemModel, topology: String) -> Workload? {
        guard let root = d.doc.root, var f = d.fields(root, "the top level of a workload file") else {
            d.sink.error(CheckID.missingKey, "a workload file is a mapping with 'workload' and 'steps'", at: .fileStart(d.doc.file))
            return nil
        }
        var header: Header?
        if d.take(&f, "workload") != nil { header = Self.header(&d) } else {
            d.error(CheckID.missingKey, "the workload is missing required key 'workload' (its name and topology)", root)
        }
        let context = WorkloadContext(model: model, names: ModelNames(model))
        var steps: [Step] = []
        if let v = d.require(&f, "steps") {
            steps = d.entries(v, "steps") { WorkloadDecoding.step(&$0, $1, context) }
        }
        d.finish(f, extensions: true)
        // The generators' total, against the documented limit, at the step that crosses it.
        var total: UInt64 = 0
        for s in steps {
            let (t, o) = total.addingReportingOverflow(s.instanceCount)
            if o || t > Runner.maxInstances {
                d.sink.error(CheckID.workloadLimit, "this step brings the workload to more than \(Runner.maxInstances) steps, the limit per workload", at: s.origin.range)
                return nil
            }
            total = t
        }
        guard let h = header, let name = h.name else { return nil }
        return Workload(name: name, topology: topology, description: h.description, steps: steps, origin: h.origin)
    }
}
