import ArgumentParser
import IotopoCompiler
import IotopoReport
import IotopoSource

/// Output formats of `compile`.
enum ModelFormat: String, ExpressibleByArgument, CaseIterable {
    case json, text
}

/// `iotopo compile FILE -o model.json`: write the resolved model.
struct Compile: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compile a topology into its resolved model (canonical JSON, or a readable summary)."
    )

    @Argument(help: "The topology file.")
    var file: String

    @Option(name: .shortAndLong, help: "Where to write the model ('-' or absent: standard output). Written atomically.")
    var output: String?

    @Option(help: "json (canonical, reads back with 'iotopo check model.json') or text (a readable summary).")
    var format: ModelFormat = .json

    @OptionGroup var input: InputOptions
    @OptionGroup var styleOptions: StyleOptions

    func run() throws {
        let result = Compiler.load(path: file, options: input.compileOptions)
        var r = DiagnosticTextRenderer(files: result.files, style: styleOptions.style(fd: 2))
        Output.err(r.render(result.diagnostics))
        guard let model = result.model else {
            Output.say("\(diagnosticCountText(result.diagnostics)); no model written")
            throw ExitCode(1)
        }
        let text = format == .json ? ModelJSON.render(model) : ModelSummary.render(model)
        if let path = output, path != "-" {
            do {
                try AtomicWriter.write(text, to: path)
            } catch {
                Output.say("error: \(error)")
                throw ExitCode(1)
            }
        } else {
            Output.out(text)
        }
    }
}
