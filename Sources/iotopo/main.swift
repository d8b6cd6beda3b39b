import ArgumentParser

/// `iotopo`: compile, check and run IOMMU topologies.
struct Iotopo: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "iotopo",
        abstract: "Compile, check and run DMA/IOMMU platform topologies.",
        discussion: """
        Exit status: 0 when clean, 1 when errors were found (or warnings with -Werror), \
        64 on misuse of the command line.
        """,
        version: version,
        subcommands: [Check.self, Compile.self, Import.self, Snapshot.self, Fleet.self, Run.self, Explain.self, Groups.self, Reach.self, Graph.self, Diff.self, Test.self, MergeReports.self, Checks.self]
    )
}

// ParsableCommand.main(), with the end of the process in Output.finish: a command whose
// standard output could not be written fails, with the cause.
do {
    var command = try Iotopo.parseAsRoot()
    try command.run()
    Output.finish(nil)
} catch {
    Output.finish(error)
}
