import ArgumentParser
import IotopoCompiler
import IotopoImport
import IotopoQuirks
import IotopoReport
import IotopoSource

extension ImportFormat: ExpressibleByArgument {}

/// `iotopo import SOURCE... [-o OUT.yaml]`: a topology from a real machine's description.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a topology from lspci -vvnn text, a snapshot folder, ACPI tables or a device tree (docs/import.md, docs/firmware.md).",
        discussion: "Each source's format is detected from its content. Several sources describe one host and are joined: lspci or a snapshot gives the PCI functions, DMAR, IVRS, IORT or a device tree the IOMMUs, their scopes and reserved ranges. The topology is written atomically; its header comment names the sources, the kernel and every assumption."
    )

    @Argument(help: ArgumentHelp("lspci -vvnn text ('-' for standard input), a folder made by 'iotopo snapshot', an ACPI DMAR, IVRS or IORT table (binary, as acpidump -b writes, or acpidump text), or a device tree (.dtb, or .dts with dtc installed).", valueName: "source"))
    var sources: [String]

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the topology ('-' or absent: standard output).", valueName: "file"))
    var output: String?

    @Option(help: "Read every source as this format instead of detecting it.")
    var from: ImportFormat?

    @Option(help: ArgumentHelp("The kernel release the source comes from (e.g. 6.8.0-45-generic); recorded in the topology, and it picks the quirk set.", valueName: "release"))
    var kernel: String?

    @Option(help: ArgumentHelp("The platform's name (default: from the source's file name).", valueName: "name"))
    var name: String?

    @Option(name: .customLong("max-file-size"), help: ArgumentHelp("Largest source file accepted (default 32MiB).", valueName: "size"))
    var maxFileSize: String?

    @Flag(name: .customLong("allow-include-outside"), help: "Let a device tree source's /include/ and /incbin/ lead outside the repository holding it (docs/security.md).")
    var allowIncludeOutside = false

    @OptionGroup var styleOptions: StyleOptions

    func validate() throws {
        if sources.isEmpty { throw ValidationError("give at least one source") }
        if let k = kernel, KernelRelease(parsing: k) == nil { throw ValidationError("--kernel '\(k)' is not a release (e.g. 6.8 or 6.8.0-45-generic)") }
        if let s = maxFileSize, case .failure = IntegerSyntax.evaluate(s) {
            throw ValidationError("--max-file-size '\(s)' is not a size (e.g. 64MiB)")
        }
    }

    func run() throws {
        var limit = 32 << 20
        if let s = maxFileSize, case let .success(v) = IntegerSyntax.evaluate(s) { limit = Int(clamping: v) }
        let r = Importer.run(paths: sources, format: from, options: ImportOptions(kernel: kernel, name: name, includes: allowIncludeOutside ? .anywhere : .repository), limit: limit)
        var renderer = DiagnosticTextRenderer(files: r.files, style: styleOptions.style(fd: 2))
        Output.err(renderer.render(r.diagnostics))
        guard let text = r.text else {
            Output.say("\(diagnosticCountText(r.diagnostics)); nothing imported")
            throw ExitCode(1)
        }
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
