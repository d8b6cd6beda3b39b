import ArgumentParser
import IotopoAnalysis
import IotopoCompiler
import IotopoWorkload
import IotopoModel
import IotopoReport

/// `iotopo reach TOPOLOGY`: what every DMA master can reach, and who can touch each region.
struct Reach: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what each DMA master can reach (read or write) and who can touch each memory region.",
        discussion: "Per device, a flattened view of its addresses in the manner of QEMU's 'info mtree -f': each range it can emit, the physical range and region it reaches, the permissions, and the windows, identity or bypass paths and mappings it goes through."
    )

    @Argument(help: "The topology file (YAML, or a compiled model .json).")
    var topology: String

    @Option(help: "Only this device (repeatable).")
    var device: [String] = []

    @Option(help: "Only this memory region (repeatable).")
    var region: [String] = []

    @Option(help: "text or json.")
    var format: AnalysisFormat = .text

    @OptionGroup var input: InputOptions
    @OptionGroup var styleOptions: StyleOptions

    func run() throws {
        guard let model = Loading.analysisModel(topology, input: input, style: styleOptions.style(fd: 2)) else { throw ExitCode(1) }
        let names = ModelNames(model)
        var devices: [DeviceID] = []
        for d in device {
            guard let id = names.devices[d] else {
                Output.say("error: \(names.miss(d, kind: "device", candidates: model.devices.map(\.name)))")
                throw ExitCode(64)
            }
            devices.append(id)
        }
        var regions: [RegionID] = []
        for r in region {
            guard let id = model.regions.firstIndex(where: { $0.name == r }).map(RegionID.init) else {
                Output.say("error: \(names.miss(r, kind: "region", candidates: model.regions.map(\.name)))")
                throw ExitCode(64)
            }
            regions.append(id)
        }
        let reach = Reachability(model)
        switch format {
        case .text: Output.out(ReachText.render(reach, model, devices: devices, regions: regions))
        case .json: Output.out(ReachText.json(reach, model, devices: devices, regions: regions))
        }
    }
}
