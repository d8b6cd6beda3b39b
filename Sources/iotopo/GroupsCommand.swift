import ArgumentParser
import IotopoAnalysis
import IotopoCompiler
import IotopoImport
import IotopoModel
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
        discussion: "Groups are numbered in the order Linux creates them: PCI functions in bus-scan order, then platform devices in declaration order (docs/isolation.md). TOPOLOGY may also be anything 'iotopo import' reads (lspci -vvnn text, a snapshot folder), imported on the fly."
    )

    @Argument(help: "The topology file (YAML, a compiled model .json, lspci -vvnn text or a snapshot folder).")
    var topology: String?

    @Flag(help: "This machine: snapshot /sys in memory and import it (Linux).")
    var host = false

    @Option(help: "ACS rules: classic (Linux since 2012) or egress (the 2025 series).")
    var acsPolicy: ACSPolicy = .classic

    @Flag(help: "Say why each member is in its group, with the source line that causes it.")
    var why = false

    @Flag(help: "Also list which devices can be given to a VM alone, and what shares the group of the others.")
    var passthrough = false

    @Option(help: ArgumentHelp("Compare with the kernel's groups: 'recorded' (the topology's observed-groups), lspci -vvnn text, or a snapshot. Exit 1 when the partitions differ.", valueName: "observed"))
    var compare: String?

    @Option(help: ArgumentHelp("What-if: the out-of-tree pcie_acs_override patch (not upstream): downstream, multifunction, id:vvvv:dddd, comma-separated.", valueName: "words"))
    var acsOverride: String?

    @Option(help: "text or json.")
    var format: AnalysisFormat = .text

    @OptionGroup var input: InputOptions
    @OptionGroup var styleOptions: StyleOptions

    func validate() throws {
        if (topology == nil) == !host { throw ValidationError(host ? "give a topology or --host, not both" : "give a topology, or --host for this machine") }
        if let o = acsOverride, case let .failure(e) = ACSOverride.parse(o) {
            throw ValidationError("--acs-override: '\(e.word)' is not downstream, multifunction or id:vvvv:dddd")
        }
        if compare != nil && format == .json { throw ValidationError("--compare prints text only") }
    }

    func run() throws {
        guard let model = Loading.analysisModel(topology, input: input, style: styleOptions.style(fd: 2)) else { throw ExitCode(1) }
        var override: ACSOverride?
        if let o = acsOverride, case let .success(v) = ACSOverride.parse(o) { override = v }
        let g = GroupAnalysis(model, policy: acsPolicy, override: override)
        if let compare {
            // 2, not 1: nothing could be compared, which is not a difference.
            guard let (observed, name, functions) = observedGroups(compare, model) else { throw ExitCode(2) }
            let c = GroupComparison(g, model, observed: observed, observedFunctions: functions)
            let explained = c.same || override != nil ? nil : GroupComparison.explainingOverride(model, policy: acsPolicy, observed: observed, functions: functions)
            Output.out(GroupsCompareText.render(c, g, model, observedName: name, explained: explained))
            if !c.same { throw ExitCode(1) }
            return
        }
        let p = passthrough ? Passthrough(g, model) : nil
        switch format {
        case .text: Output.out(GroupsText.render(g, model, why: why, passthrough: p))
        case .json: Output.out(GroupsText.json(g, model, passthrough: p))
        }
    }

    /// The kernel's groups: recorded in the topology, or read from a source.
    func observedGroups(_ what: String, _ m: SystemModel) -> ([FunctionKey: Int], String, Set<FunctionKey>?)? {
        if what == "recorded" {
            guard !m.observedGroups.isEmpty else {
                if m.iommus.isEmpty {
                    // An import of a host whose kernel runs no IOMMU (this VM, say): the kernel
                    // formed no groups, so there is nothing to hold iotopo's against.
                    Output.say("error: the topology records no groups (observed-groups) and describes no IOMMU: the kernel it comes from formed none, so there is nothing to compare")
                } else {
                    Output.say("error: the topology records no groups (observed-groups); compare with lspci text or a snapshot instead")
                }
                return nil
            }
            return (GroupComparison.recorded(m), "the groups recorded in the topology", nil)
        }
        let (host, files, diags) = Importer.describe(paths: [what])
        Loading.reportBriefly(diags, files: files, style: styleOptions.style(fd: 2))
        guard let host else { return nil }
        guard host.hasObservedGroups else {
            Output.say("error: '\(what)' records no IOMMU groups (lspci prints 'IOMMU group:' lines only where the IOMMU is on)")
            return nil
        }
        var out: [FunctionKey: Int] = [:]
        var all = Set<FunctionKey>()
        for f in host.functions {
            let k = FunctionKey(segment: f.address.segment, rid: f.address.rid)
            all.insert(k)
            if let g = f.observedGroup { out[k] = g }
        }
        return (out, "the kernel's groups in '\(what)'", all)
    }
}
