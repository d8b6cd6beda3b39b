import IotopoFirmware
import IotopoModel
import IotopoSource

/// Reads a snapshot tree into a host description. Config space is parsed, never guessed
/// from names: header type (multifunction bit), capability lists including extended ones,
/// bridge bus numbers. A function whose config space is bad is an `import-config-space`
/// error naming the file and the byte offset; the others are still read.
public struct SnapshotReader {
    /// The snapshot's display path (a folder, or `<host>` for a live one).
    let root: String
    public var files: SourceFiles
    public var sink = DiagnosticSink()

    public init(root: String, files: SourceFiles) {
        self.root = root
        self.files = files
    }

    func display(_ rel: String) -> String { root == "<host>" ? "/" + rel : (root.hasSuffix("/") ? root + rel : root + "/" + rel) }

    /// Reads a snapshot folder from disk.
    public mutating func read() -> HostDescription? {
        switch SnapshotTree.read(folder: root) {
        case let .success(tree): return read(tree)
        case let .failure(p):
            sink.error(p.id, p.message, at: nil)
            return nil
        }
    }

    /// Reads a tree (from disk, or collected live).
    public mutating func read(_ t: SnapshotTree) -> HostDescription? {
        guard let marker = t.text(SnapshotLayout.marker), marker.hasPrefix(SnapshotLayout.header) else {
            sink.error(ImportCheck.unreadable, "'\(root)' is not a snapshot: no \(SnapshotLayout.marker) starting '\(SnapshotLayout.header)'", at: nil)
            return nil
        }
        var functions: [HostFunction] = []
        let devices = "sys/bus/pci/devices"
        for name in t.children(devices) {
            let rel = devices + "/" + name
            guard let address = Self.address(name) else {
                error(ImportCheck.syntax, rel, "'\(name)' is not a PCI address (ssss:bb:dd.f)")
                continue
            }
            guard var f = function(address, rel, t) else { continue }
            if let g = t.text(rel + "/iommu_group") {
                guard let n = Int(g), n >= 0 else { error(ImportCheck.syntax, rel + "/iommu_group", "'\(g)' is not a group number"); continue }
                f.observedGroup = n
            }
            if let d = t.text(rel + "/driver"), !d.isEmpty { f.driver = d }
            f.range = .fileStart(files.add(path: display(rel), bytes: nil))
            functions.append(f)
        }
        guard !functions.isEmpty else {
            sink.error(ImportCheck.unreadable, "the snapshot '\(root)' holds no PCI function (\(devices) is empty)", at: nil)
            return nil
        }
        var h = HostDescription(format: "snapshot", sourcePath: root, functions: functions)
        for line in marker.split(separator: "\n") {
            if line.hasPrefix("kernel: ") { h.kernel = String(line.dropFirst(8)) }
            if line.hasPrefix("cmdline: ") { h.commandLine = line.dropFirst(9).split(separator: " ").map(String.init) }
        }
        for g in t.children("sys/kernel/iommu_groups") {
            if let n = Int(g), let type = t.text("sys/kernel/iommu_groups/\(g)/type") { h.groupTypes[n] = type }
        }
        h.iommuActive = !t.children("sys/class/iommu").isEmpty || !t.children("sys/kernel/iommu_groups").isEmpty
        for u in t.children("sys/class/iommu") {
            if u.hasPrefix("dmar") { add("intel-vtd", &h) }
            if u.hasPrefix("ivhd") { add("amd-vi", &h) }
            // arm-smmu-v3 registers its units as smmu3.0x<base>, arm-smmu as smmu.0x<base>.
            if u.hasPrefix("smmu3.") { add("arm-smmuv3", &h) } else if u.hasPrefix("smmu") { add("arm-smmu", &h) }
        }
        if t["sys/firmware/acpi/tables/DMAR"] != nil { add("intel-vtd", &h) }
        if t["sys/firmware/acpi/tables/IVRS"] != nil { add("amd-vi", &h) }
        // The tables themselves, read as `iotopo import TABLE` reads them.
        for sig in ["DMAR", "IVRS", "IORT"] {
            let rel = "sys/firmware/acpi/tables/" + sig
            guard let bytes = t[rel] else { continue }
            let file = files.add(path: display(rel), bytes: nil)
            if let fw = FirmwareReader.read(bytes, path: display(rel), file: file, sink: &sink) { h.firmware += fw.firmware }
        }
        if let fdt = t["sys/firmware/fdt"] {
            let file = files.add(path: display("sys/firmware/fdt"), bytes: nil)
            if let dt = DeviceTreeReader.read(fdt, path: display("sys/firmware/fdt"), file: file, sink: &sink) {
                h.deviceTree = dt.deviceTree
                if h.ram == nil { h.ram = dt.ram }
            }
        }
        if let iomem = t.text("proc/iomem") {
            if let ram = Self.systemRAM(iomem) { h.ram = ram }
            h.iomem = Self.iomemEntries(iomem)
        }
        return h
    }

    func add(_ hint: String, _ h: inout HostDescription) {
        if !h.iommuHints.contains(hint) { h.iommuHints.append(hint) }
    }

    /// One function from its config space, or from the attribute files when there is none.
    mutating func function(_ address: PCIAddress, _ rel: String, _ t: SnapshotTree) -> HostFunction? {
        if let config = t[rel + "/config"] {
            switch ConfigSpace(config).parse(address: address) {
            case let .success(f):
                var f = f
                if f.sriov != nil, let n = t.text(rel + "/sriov_numvfs").flatMap({ Int($0) }) { f.sriov?.enabledVFs = n }
                return f
            case let .failure(p):
                error(ImportCheck.config, rel + "/config", "at byte \(p.offset) (0x\(String(p.offset, radix: 16))): \(p.message)")
                return nil
            }
        }
        // No config file: the attribute files give IDs and class, not capabilities.
        guard let v = hexValue(t, rel + "/vendor"), let d = hexValue(t, rel + "/device"), let c = hexValue(t, rel + "/class") else {
            error(ImportCheck.unreadable, rel, "neither config nor the vendor, device and class files are in the snapshot")
            return nil
        }
        var f = HostFunction(address: address, classCode: UInt32(truncatingIfNeeded: c), vendor: UInt16(truncatingIfNeeded: v), device: UInt16(truncatingIfNeeded: d))
        f.capabilitiesRead = false
        f.portType = nil
        if let r = hexValue(t, rel + "/revision") { f.revision = UInt8(truncatingIfNeeded: r) }
        return f
    }

    /// `0x8086` as written in a sysfs attribute.
    func hexValue(_ t: SnapshotTree, _ rel: String) -> UInt64? {
        guard var s = t.text(rel) else { return nil }
        if s.hasPrefix("0x") { s.removeFirst(2) }
        return s.count <= 16 ? UInt64(s, radix: 16) : nil
    }

    mutating func error(_ id: String, _ rel: String, _ message: String) {
        let file = files.add(path: display(rel), bytes: nil)
        sink.error(id, message, at: .fileStart(file))
    }

    /// `ssss:bb:dd.f`.
    static func address(_ name: String) -> PCIAddress? {
        let p = name.split(separator: ":", omittingEmptySubsequences: false)
        guard p.count == 3, (4 ... 8).contains(p[0].count), let seg = UInt32(p[0], radix: 16), p[1].count == 2,
              let bus = Int(p[1], radix: 16) else { return nil }
        let df = p[2].split(separator: ".", omittingEmptySubsequences: false)
        guard df.count == 2, df[0].count == 2, df[1].count == 1, let dev = Int(df[0], radix: 16), let fn = Int(df[1], radix: 16) else { return nil }
        return PCIAddress(segment: seg, bus: bus, device: dev, function: fn)
    }

    /// Every line of /proc/iomem with its depth; none when the addresses read as zeros.
    public static func iomemEntries(_ text: String) -> [IomemEntry] {
        var out: [IomemEntry] = []
        for line in text.split(separator: "\n") {
            let depth = line.prefix { $0 == " " }.count / 2
            let body = line.drop { $0 == " " }
            guard let sep = body.firstIndex(of: " ") else { continue }
            let ends = body[..<sep].split(separator: "-")
            let rest = body[sep...]
            guard ends.count == 2, ends[0].count <= 16, ends[1].count <= 16, rest.hasPrefix(" : "),
                  let a = UInt64(ends[0], radix: 16), let b = UInt64(ends[1], radix: 16), a <= b else { continue }
            out.append(IomemEntry(base: a, last: b, name: String(rest.dropFirst(3)), depth: depth))
        }
        return out.allSatisfy({ $0.base == 0 && $0.last == 0 }) ? [] : out
    }

    /// Top-level `System RAM` ranges of /proc/iomem; nil when the addresses read as zeros
    /// (a user's view: the kernel hides them).
    public static func systemRAM(_ text: String) -> [AddressRange]? {
        var out: [AddressRange] = []
        for line in text.split(separator: "\n") where !line.hasPrefix(" ") {
            guard line.hasSuffix(": System RAM") else { continue }
            let range = line.split(separator: " ").first ?? ""
            let ends = range.split(separator: "-")
            guard ends.count == 2, ends[0].count <= 16, ends[1].count <= 16,
                  let a = UInt64(ends[0], radix: 16), let b = UInt64(ends[1], radix: 16), a <= b else { continue }
            out.append(AddressRange(base: a, last: b))
        }
        if out.isEmpty || out.allSatisfy({ $0.base == 0 && $0.last == 0 }) { return nil }
        return out
    }
}
