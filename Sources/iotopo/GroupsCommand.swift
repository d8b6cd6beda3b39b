import ArgumentParser
import IotopoAnalysis
import IotopoCompiler
import IotopoReport

extension ACSPolicy: ExpressibleByArgument {}

/// Output formats of the analysis commands.
enum AnalysisFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// `iotopo groups TOPOLOGY`: the IOMMU groups Linux would form.
struct Groups: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the IOMMU groups Linux would form, as /sys/kernel/iommu_groups does.",
        discussion: "Groups are numbered in the order Linux creates them: PCI functions in bus-scan order, then platform devices in declaration order (docs/isolation.md)."
    )

    @Argument(help: "The topology file (YAML, or a compiled model .json).")
    var topology: String

    @Option(help: "ACS rules: classic (Linux since 2012) or egress (the 2025 series).")
    var acsPolicy: ACSPolicy = .classic

    @Flag(help: "Say why each member is in its group, with the source line that causes it.")
    var why = false

    @Flag(help: "Also list which devices can be given to a VM alone, and what shares the group of the others.")
    var passthrough = false

    @Option(help: "text or json.")
    var format: AnalysisFormat = .text

    @OptionGroup var input: InputOptions
    @OptionGroup var styleOptions: StyleOptions

    func run() throws {
        guard let model = Loading.analysisModel(topology, input: input, style: styleOptions.style(fd: 2)) else { throw ExitCode(1) }
        let g = GroupAnalysis(model, policy: acsPolicy)
        let p = passthrough ? Passthrough(g, model) : nil
        switch format {
        case .text: Output.out(GroupsText.render(g, model, why: why, passthrough: p))
        case .json: Output.out(GroupsText.json(g, model, passthrough: p))
        }
    }
}
