import IotopoAnalysis
import IotopoCompiler
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
/// - workload: `iotopo run WORKLOAD`;
/// - fixture: `iotopo check FIXTURE` with the fixture's `# options:` (a workload fixture is
///   checked with its topology, as `iotopo check` does).
/// Paths are relative to the project root, so the text never depends on where it lives.
public enum CaseOutput {
    /// Renders a case. The working directory must be the project root. `shouldStop` is
    /// polled during long workloads; nil when it stopped one before its end.
    public static func render(_ c: GoldenCase, shouldStop: () -> Bool = { false }) -> String? {
        var text: String
        switch c.kind {
        case .summary:
            let (out, err) = CommandText.compileSummary(Compiler.compile(path: c.input), style: .plain)
            text = err + out
        case .groups:
            let r = Compiler.compile(path: c.input)
            text = CommandText.brief(r.diagnostics, files: r.files, style: .plain)
            if let m = r.model {
                for policy in ACSPolicy.allCases {
                    let g = GroupAnalysis(m, policy: policy)
                    text += GroupsText.render(g, m, why: true, passthrough: Passthrough(g, m))
                }
            }
        case .reach:
            let r = Compiler.compile(path: c.input)
            text = CommandText.brief(r.diagnostics, files: r.files, style: .plain)
            if let m = r.model { text += ReachText.render(Reachability(m), m, devices: [], regions: []) }
        case .workload:
            let r = CommandText.run(WorkloadCompiler.compile(path: c.input), style: .plain, shouldStop: shouldStop)
            if r.summary?.interrupted == true { return nil }
            text = r.stderr + r.stdout
        case .fixture:
            let source: String
            switch FileReader.read(c.input, limit: 1 << 20) {
            case let .success(bytes): source = String(decoding: bytes, as: UTF8.self)
            case .failure: source = ""
            }
            text = CommandText.check([(c.input, Compiler.check(path: c.input, options: FixtureOptions.parse(source)))], style: .plain)
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
        guard let p = getenv("IOTOPO_INJECT_NONDETERMINISM") else { return nil }
        let v = String(cString: p)
        return v.isEmpty ? nil : v
    }()
}
