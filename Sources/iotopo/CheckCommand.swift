import ArgumentParser
import IotopoCompiler
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
        discussion: "A FILE ending in .json is read as a model written by 'iotopo compile' and its checks run again."
    )

    @Argument(help: "Topology files (YAML), or compiled models (.json).")
    var files: [String]

    @Option(help: "Output format: text, json or sarif.")
    var format: DiagnosticFormat = .text

    @OptionGroup var input: InputOptions
    @OptionGroup var styleOptions: StyleOptions

    func count(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }

    func run() throws {
        var all: [Diagnostic] = []
        var files = SourceFiles()
        var summaries: [String] = []
        for path in self.files {
            let result = Loading.load(path, options: input.compileOptions)
            // Re-base every file ID onto one table so the report can render them together.
            let (merged, diags) = Loading.merge(result, into: files)
            files = merged
            all += diags
            if let m = result.model {
                summaries.append("\(path): ok (\(count(m.devices.count, "device")), \(count(m.iommus.count, "IOMMU")), \(count(m.domains.count, "domain")))" +
                                 (diags.isEmpty ? "" : ", \(diagnosticCountText(diags))"))
            }
        }
        switch format {
        case .text:
            var r = DiagnosticTextRenderer(files: files, style: styleOptions.style(fd: 1))
            Output.out(r.render(all))
            if all.contains(where: { $0.severity == .error }) || all.count > 0 && summaries.isEmpty {
                Output.out("\(diagnosticCountText(all)) in \(self.files.count) file\(self.files.count == 1 ? "" : "s")\n")
            }
            for s in summaries { Output.out(s + "\n") }
        case .json:
            Output.out(DiagnosticFormats.json(all, files: files))
        case .sarif:
            Output.out(DiagnosticFormats.sarif(all, files: files, version: Iotopo.version))
        }
        if Output.env("GITHUB_ACTIONS") == "true" {
            Output.out(DiagnosticFormats.githubAnnotations(all, files: files))
        }
        if all.contains(where: { $0.severity == .error }) { throw ExitCode(1) }
    }
}
