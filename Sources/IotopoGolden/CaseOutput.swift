import IotopoAnalysis
import IotopoCompiler
import IotopoWorkload
import IotopoReport
import IotopoSource
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a case prints: the bytes its golden file must hold.
///
/// Each kind prints what the matching command prints without colour, standard error first
/// (it comes first in time), then standard output:
/// - summary: `iotopo compile --format text PLATFORM`;
/// - groups: `iotopo groups --why --passthrough PLATFORM` with `--acs-policy classic`, then
///   with `egress`;
/// - reach: `iotopo reach PLATFORM`;
/// - diff: `iotopo diff PLATFORM VARIANT`, then the exit status it gives;
/// - workload: `iotopo run WORKLOAD`;
/// - fixture: `iotopo check FIXTURE` with the fixture's `# options:` (a workload fixture is
///   checked with its topology, as `iotopo check` does).
/// Paths are relative to the project root, so the text never depends on where it lives.
public enum CaseOutput {
    /// Renders a case. The working directory must be the project root. `shouldStop` is
    /// polled during long workloads; nil when it stopped one before its end.
    /// Files the case's inputs name are read only inside `includes` (the runner gives the
    /// project root: docs/security.md).
    public static func render(_ c: GoldenCase, includes: IncludeScope = .repository, shouldStop: () -> Bool = { false }) -> String? {
        var plain = CompileOptions()
        plain.includes = includes
        let analysis = plain.forAnalysis
        var text: String
        switch c.kind {
        case .summary:
            let (out, err) = CommandText.compileSummary(Compiler.compile(path: c.input, options: plain), style: .plain)
            text = err + out
        case .groups:
            let r = Compiler.compile(path: c.input, options: analysis)
            text = CommandText.brief(r.diagnostics, files: r.files, style: .plain)
            if let m = r.model {
                for policy in ACSPolicy.allCases {
                    let g = GroupAnalysis(m, policy: policy)
                    if policy != .classic { text += "\n" }
                    text += GroupsText.render(g, m, why: true, passthrough: Passthrough(g, m))
                }
            }
        case .reach:
            let r = Compiler.compile(path: c.input, options: analysis)
            text = CommandText.brief(r.diagnostics, files: r.files, style: .plain)
            if let m = r.model { text += ReachText.render(Reachability(m), m, devices: [], regions: []) }
        case .diff:
            let options = analysis
            let base = CaseDiscovery.join(CaseDiscovery.directory(of: CaseDiscovery.directory(of: c.input)), "platform.yaml")
            let a = Compiler.compile(path: base, options: options), b = Compiler.compile(path: c.input, options: options)
            text = CommandText.brief(a.diagnostics, files: a.files, style: .plain) + CommandText.brief(b.diagnostics, files: b.files, style: .plain)
            if let ma = a.model, let mb = b.model {
                let d = PlatformDiff(ma, mb)
                text += DiffText.render(d, before: base, after: c.input)
                text += "exit status \(d.reachGrew || !d.violationsAdded.isEmpty ? 1 : 0)\n"
            }
        case .workload:
            let r = CommandText.run(WorkloadCompiler.compile(path: c.input, options: plain), style: .plain, shouldStop: shouldStop)
            if r.summary?.interrupted == true { return nil }
            text = r.stderr + r.stdout
        case .fixture:
            let source: String
            switch FileReader.read(c.input, limit: 1 << 20) {
            case let .success(bytes): source = String(decoding: bytes, as: UTF8.self)
            case .failure: source = ""
            }
            // A fixture's options line that does not parse is said at the top of its output,
            // so the golden diff shows it instead of the fixture running with defaults.
            var (options, problems) = FixtureOptions.read(source)
            options.includes = includes
            text = problems.map { "\(c.input): fixture options: \($0)\n" }.joined()
            text += CommandText.check([(c.input, Compiler.check(path: c.input, options: options))], style: .plain)
        case .import:
            text = CommandText.importCase(c.input, includes: includes)
        case .machine:
            text = MachineCase.texts(c.input).predicted
        }
        if let target = Self.injectedNondeterminism, target == c.name {
            text += "nondeterminism injected for iotopo's own tests: \(UInt64.random(in: 0 ... .max))\n"
        }
        return text
    }

    /// `IOTOPO_INJECT_NONDETERMINISM=NAME` makes case NAME print a random line: iotopo's own
    /// tests use it to prove that `--repeat` catches a nondeterministic case
    /// (docs/golden.md). Read once.
    static let injectedNondeterminism: String? = {
        guard let v = Environment.value("IOTOPO_INJECT_NONDETERMINISM"), !v.isEmpty else { return nil }
        return v
    }()
}
