import ArgumentParser
import IotopoCompiler
import IotopoWorkload
import IotopoReport
import IotopoSource

/// Diagnostic output formats.
enum DiagnosticFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, sarif
}

/// `iotopo check FILE...`: compile each topology (or read back a compiled model) and report.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check topologies and report every problem.",
        discussion: "A FILE ending in .json is read as a model written by 'iotopo compile' and its checks run again. A YAML file whose top level holds 'workload:' is a workload: it is checked with its topology."
    )

    @Argument(help: "Topology files (YAML), workloads (YAML with 'workload:'), or compiled models (.json).")
    var files: [String]

    @Option(help: "Output format: text, json or sarif.")
    var format: DiagnosticFormat = .text

    @OptionGroup var input: InputOptions
    @OptionGroup var styleOptions: StyleOptions

    func run() throws {
        let checked = self.files.map { (path: $0, file: Compiler.check(path: $0, options: input.compileOptions)) }
        let (files, all) = CommandText.merge(checked.map(\.file.compileResult))
        switch format {
        case .text: Output.out(CommandText.check(checked, style: styleOptions.style(fd: 1)))
        case .json: Output.out(DiagnosticFormats.json(all, files: files))
        case .sarif: Output.out(DiagnosticFormats.sarif(all, files: files, version: Iotopo.version))
        }
        if Environment.value("GITHUB_ACTIONS") == "true" {
            Output.out(DiagnosticFormats.githubAnnotations(all, files: files))
        }
        if all.contains(where: { $0.severity == .error }) { throw ExitCode(1) }
    }
}
