import IotopoSource
#if canImport(Glibc)
import Glibc
#endif

/// Collects what import needs from a live Linux host (or a fake tree at `root`, for tests)
/// into a snapshot tree (docs/import.md). It needs no root: unreadable files are skipped,
/// and config space is then the 64-byte header a user may read. Links of the live tree
/// (`iommu_group`, `driver`) are stored as the names they point to; the tree holds files only.
public struct SnapshotCollector {
    /// The root of the tree read (`/` on a live host).
    public let root: String
    /// Files that could not be read, for the marker's record.
    public private(set) var skipped: [String] = []

    public init(root: String) { self.root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root }

    func live(_ rel: String) -> String { root == "/" ? "/" + rel : root + "/" + rel }

    /// The PCI device attribute files copied as they are.
    static let attributes = ["vendor", "device", "class", "subsystem_vendor", "subsystem_device", "revision",
                             "sriov_totalvfs", "sriov_numvfs", "sriov_offset", "sriov_stride", "sriov_vf_device"]

    /// The IOMMU words of the kernel command line.
    static let commandLineWords = ["intel_iommu=", "amd_iommu=", "iommu=", "iommu.passthrough=", "iommu.strict=", "pcie_acs_override="]

    /// Collects the tree.
    public mutating func collect() -> SnapshotTree {
        var t = SnapshotTree()
        let devices = "sys/bus/pci/devices"
        for name in listFolder(live(devices)) where Self.isAddress(name) {
            let rel = devices + "/" + name
            copy(rel + "/config", into: &t, limit: 4096)
            for a in Self.attributes { copy(rel + "/" + a, into: &t, limit: 4096, quiet: a.hasPrefix("sriov") || a.hasPrefix("subsystem")) }
            if let g = readLink(live(rel + "/iommu_group")) { t.set(rel + "/iommu_group", Array((lastComponent(g) + "\n").utf8)) }
            if let d = readLink(live(rel + "/driver")) { t.set(rel + "/driver", Array((lastComponent(d) + "\n").utf8)) }
            if let p = readLink(live(rel + "/physfn")) { t.set(rel + "/physfn", Array((lastComponent(p) + "\n").utf8)) }
        }
        let groups = "sys/kernel/iommu_groups"
        for g in listFolder(live(groups)) where g.allSatisfy(\.isNumber) {
            let rel = groups + "/" + g
            copy(rel + "/type", into: &t, limit: 4096)
            copy(rel + "/reserved_regions", into: &t, limit: 1 << 20)
            let members = listFolder(live(rel + "/devices")).filter(Self.isAddress)
            t.set(rel + "/devices", Array(members.map { $0 + "\n" }.joined().utf8))
        }
        let iommus = "sys/class/iommu"
        for u in listFolder(live(iommus)) where !u.contains("/") {
            let rel = iommus + "/" + u
            let members = listFolder(live(rel + "/devices")).filter(Self.isAddress)
            t.set(rel + "/devices", Array(members.map { $0 + "\n" }.joined().utf8))
            for sub in ["intel-iommu", "amd-iommu"] {
                for attr in listFolder(live(rel + "/" + sub)) { copy(rel + "/" + sub + "/" + attr, into: &t, limit: 4096, quiet: true) }
            }
        }
        for table in ["DMAR", "IVRS", "IORT"] { copy("sys/firmware/acpi/tables/" + table, into: &t, limit: 16 << 20, quiet: true) }
        // The device tree the kernel booted with (Arm boards; root only).
        copy("sys/firmware/fdt", into: &t, limit: 32 << 20, quiet: true)
        copy("proc/iomem", into: &t, limit: 4 << 20)
        var marker = SnapshotLayout.header + "\n"
        let release = readText("proc/sys/kernel/osrelease") ?? unameRelease()
        if let release { marker += "kernel: \(release)\n" }
        if let cmdline = readText("proc/cmdline") {
            let words = cmdline.split(separator: " ").filter { w in Self.commandLineWords.contains { w.hasPrefix($0) } }
            marker += "cmdline: \(words.joined(separator: " "))\n"
        }
        for s in skipped { marker += "unreadable: \(s)\n" }
        t.set(SnapshotLayout.marker, Array(marker.utf8))
        return t
    }

    /// Copies one file of the live tree, when it can be read.
    mutating func copy(_ rel: String, into t: inout SnapshotTree, limit: Int, quiet: Bool = false) {
        let path = live(rel)
        var st = stat()
        guard stat(path, &st) == 0 else { return }
        // Only regular files (sysfs and procfs attributes are): never a FIFO or a device.
        guard (st.st_mode & S_IFMT) == S_IFREG else { return }
        switch FileReader.read(path, limit: limit) {
        case let .success(b): t.set(rel, b)
        case .failure: if !quiet { skipped.append(rel) }
        }
    }

    func readText(_ rel: String) -> String? {
        var st = stat()
        guard stat(live(rel), &st) == 0, (st.st_mode & S_IFMT) == S_IFREG,
              case let .success(b) = FileReader.read(live(rel), limit: 1 << 16) else { return nil }
        var s = String(decoding: b, as: UTF8.self)
        while s.hasSuffix("\n") { s.removeLast() }
        return s
    }

    /// `uname -r`, for a live root without /proc.
    func unameRelease() -> String? {
        guard root == "/" else { return nil }
        var u = utsname()
        guard uname(&u) == 0 else { return nil }
        return withUnsafeBytes(of: u.release) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// `ssss:bb:dd.f`.
    static func isAddress(_ name: String) -> Bool {
        let p = name.split(separator: ":")
        guard p.count == 3, (4 ... 8).contains(p[0].count), p[1].count == 2 else { return false }
        let df = p[2].split(separator: ".")
        return df.count == 2 && df[0].count == 2 && df[1].count == 1 && name.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
    }
}

func lastComponent(_ path: String) -> String {
    path.split(separator: "/").last.map(String.init) ?? path
}
