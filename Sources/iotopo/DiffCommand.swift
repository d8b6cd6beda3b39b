import ArgumentParser
import IotopoAnalysis
import IotopoCompiler
import IotopoReport

/// `iotopo diff A B`: two versions of a platform compared by meaning.
struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare two versions of a platform by meaning: devices, reachability, IOMMU groups, policy violations.",
        discussion: """
        For review gates: exit status 0 when no device can reach more than before and no \
        policy violation appeared; 1 when reachability grew (a device gained read or write \
        access to some memory, new devices included) or a policy violation appeared; 2 when \
        either version has errors and cannot be compared; 64 misuse.
        """
    )

    @Argument(help: "The version before (YAML topology or compiled model .json).")
    var before: String

    @Argument(help: "The version after.")
    var after: String

    @Option(help: "ACS rules for the groups: classic or egress.")
    var acsPolicy: ACSPolicy = .classic

    @Option(help: "text or json.")
    var format: AnalysisFormat = .text

    @OptionGroup var input: InputOptions
    @OptionGroup var styleOptions: StyleOptions

    func run() throws {
        // Policy findings are what the diff reports, so they do not stop it.
        let style = styleOptions.style(fd: 2)
        let ma = Loading.analysisModel(before, input: input, style: style), mb = Loading.analysisModel(after, input: input, style: style)
        guard let ma, let mb else { throw ExitCode(2) }
        let d = PlatformDiff(ma, mb, policy: acsPolicy)
        switch format {
        case .text: Output.out(DiffText.render(d, before: before, after: after))
        case .json: Output.out(DiffText.json(d, before: before, after: after))
        }
        if d.reachGrew || !d.violationsAdded.isEmpty { throw ExitCode(1) }
    }
}
