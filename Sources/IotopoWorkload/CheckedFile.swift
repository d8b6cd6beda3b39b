import IotopoCompiler
import IotopoSource

extension Compiler {
    /// Loads anything `iotopo check` accepts: a workload (a YAML file whose top level holds
    /// `workload:`, compiled with its topology), a compiled model (`.json`), or a topology.
    public static func check(path: String, options: CompileOptions = CompileOptions()) -> CheckedFile {
        if !path.hasSuffix(".json"), WorkloadCompiler.looksLikeWorkload(path: path, limit: options.limits.maxFileSize) {
            return .workload(WorkloadCompiler.compile(path: path, options: options))
        }
        return .topology(load(path: path, options: options))
    }
}

/// One file `iotopo check` read, by what it turned out to be.
public enum CheckedFile: Sendable {
    case topology(CompileResult)
    case workload(WorkloadResult)

    /// The result as a topology's: a workload's diagnostics with its topology's model, or no
    /// model when the workload did not compile.
    public var compileResult: CompileResult {
        switch self {
        case let .topology(r): return r
        case let .workload(w): return CompileResult(files: w.files, model: w.workload == nil ? nil : w.model, diagnostics: w.diagnostics)
        }
    }
}
