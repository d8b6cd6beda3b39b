import ArgumentParser
import IotopoImport
import IotopoSource

/// `iotopo snapshot DIR`: copy what import needs from this host into a plain folder.
struct Snapshot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy what 'iotopo import' needs from this Linux host into a folder of plain files (docs/import.md).",
        discussion: "Reads /sys/bus/pci/devices, /sys/kernel/iommu_groups, /sys/class/iommu, the ACPI DMAR, IVRS and IORT tables, /proc/iomem, the kernel release and the IOMMU words of the command line. Needs no root; as root, config space includes the capabilities (ACS, SR-IOV) and /proc/iomem its addresses. The folder holds files only, never links."
    )

    @Argument(help: ArgumentHelp("The folder to write; it must not exist or be empty.", valueName: "dir"))
    var dir: String

    @Option(help: ArgumentHelp("Read this tree instead of / (a fake sysfs for tests).", valueName: "path"))
    var root: String = "/"

    func run() throws {
        var c = SnapshotCollector(root: root)
        let tree = c.collect()
        let functions = tree.children("sys/bus/pci/devices").count
        if functions == 0 {
            Output.say("error: no PCI function under \(root == "/" ? "" : root)/sys/bus/pci/devices: not a Linux host with PCI, or --root is wrong")
            throw ExitCode(1)
        }
        if case let .failure(p) = tree.write(folder: dir) {
            Output.say("error: \(p.message)")
            throw ExitCode(1)
        }
        let groups = tree.children("sys/kernel/iommu_groups").count
        var note = "\(dir): \(functions) PCI function\(functions == 1 ? "" : "s"), \(groups) IOMMU group\(groups == 1 ? "" : "s")"
        if groups == 0 { note += " (the IOMMU is off or absent)" }
        if !c.skipped.isEmpty { note += "; \(c.skipped.count) file\(c.skipped.count == 1 ? "" : "s") unreadable (run as root for all)" }
        Output.say(note)
    }
}
