import IotopoSource
#if canImport(Glibc)
import Glibc
#endif

/// The layout of a folder `iotopo snapshot` writes (docs/import.md): plain files only,
/// mirroring the paths of the live host they come from.
///
///     iotopo-snapshot            marker: format version, uname -r, IOMMU command-line words
///     sys/bus/pci/devices/SSSS:BB:DD.F/{config,vendor,device,class,subsystem_vendor,
///         subsystem_device,revision,iommu_group,driver,sriov_*}
///     sys/kernel/iommu_groups/N/{devices,type,reserved_regions}
///     sys/class/iommu/NAME/{type,devices}
///     sys/firmware/acpi/tables/{DMAR,IVRS,IORT}
///     sys/firmware/fdt
///     proc/iomem
///
/// Links of the live tree are stored as text: `iommu_group` holds the group number, `driver`
/// the driver's name, `devices` one function address per line.
public enum SnapshotLayout {
    /// The marker file's name.
    public static let marker = "iotopo-snapshot"
    /// The first line of the marker.
    public static let header = "iotopo snapshot 1"

    /// Whether `path` is a folder holding the marker.
    public static func isSnapshot(_ path: String) -> Bool {
        guard FileReader.isDirectory(path) else { return false }
        var st = stat()
        return lstat(join(path, marker), &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    static func join(_ a: String, _ b: String) -> String { a.hasSuffix("/") ? a + b : a + "/" + b }
}
