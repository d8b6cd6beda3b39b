import IotopoCompiler
import IotopoImport
import IotopoModel
import IotopoSource
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A fake /sys and /proc in a temporary folder, laid out as Linux lays them out (device
/// folders reached through links, `iommu_group` and `driver` links), for `snapshot --root`.
final class FakeRoot {
    let path: String

    init() {
        var template = Array("/tmp/iotopo-fakeroot-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { buf in String(cString: mkdtemp(buf.baseAddress!)!) }
    }

    deinit { remove(path) }

    func remove(_ p: String) {
        var st = stat()
        guard lstat(p, &st) == 0 else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            if let d = opendir(p) {
                var names: [String] = []
                while let e = readdir(d) {
                    let n = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                    if n != "." && n != ".." { names.append(n) }
                }
                closedir(d)
                for n in names { remove(p + "/" + n) }
            }
            rmdir(p)
        } else {
            unlink(p)
        }
    }

    func mkdirs(_ rel: String) {
        var p = path
        for part in rel.split(separator: "/") {
            p += "/" + part
            mkdir(p, 0o755)
        }
    }

    func write(_ rel: String, _ bytes: [UInt8]) {
        mkdirs(String(rel.split(separator: "/").dropLast().joined(separator: "/")))
        let fd = open(path + "/" + rel, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    func write(_ rel: String, _ text: String) { write(rel, Array(text.utf8)) }

    func link(_ rel: String, to target: String) {
        mkdirs(String(rel.split(separator: "/").dropLast().joined(separator: "/")))
        symlink(target, path + "/" + rel)
    }

    /// A function: its folder under /sys/devices, reached from /sys/bus/pci/devices by a
    /// link, with its config and attributes, its group and driver links.
    func function(_ addr: String, config: [UInt8], group: Int?, driver: String?) {
        let real = "sys/devices/pci0000:00/" + addr
        write(real + "/config", config)
        let vendor = UInt16(config[0]) | UInt16(config[1]) << 8
        write(real + "/vendor", "0x" + String(vendor, radix: 16) + "\n")
        link("sys/bus/pci/devices/" + addr, to: "../../../devices/pci0000:00/" + addr)
        if let g = group {
            mkdirs("sys/kernel/iommu_groups/\(g)/devices")
            write("sys/kernel/iommu_groups/\(g)/type", "DMA-FQ\n")
            link("sys/kernel/iommu_groups/\(g)/devices/" + addr, to: "../../../../devices/pci0000:00/" + addr)
            link(real + "/iommu_group", to: "../../../kernel/iommu_groups/\(g)")
        }
        if let d = driver {
            mkdirs("sys/bus/pci/drivers/" + d)
            link(real + "/driver", to: "../../../bus/pci/drivers/" + d)
        }
    }
}

final class SnapshotTests: XCTestCase {
    /// A host: an Intel host bridge, a root port with ACS, an NVMe drive below it.
    func host() -> FakeRoot {
        let r = FakeRoot()
        r.function("0000:00:00.0", config: ConfigImage(size: 256, vendor: 0x8086, device: 0x3e30, classCode: 0x060000, header: 0).bytes, group: 0, driver: nil)
        var rp = ConfigImage(vendor: 0x8086, device: 0xa338, classCode: 0x060400, header: 1)
        rp.bytes[0x18] = 0; rp.bytes[0x19] = 1; rp.bytes[0x1A] = 1
        rp.express(4)
        rp.extended([(0x100, 0x000D)]) { img, at, _ in img.put16(at + 4, 0x000F); img.put16(at + 6, 0x000D) }
        r.function("0000:00:1c.0", config: rp.bytes, group: 1, driver: "pcieport")
        var nvme = ConfigImage(vendor: 0x144d, device: 0xa808, classCode: 0x010802, header: 0)
        nvme.express(0)
        r.function("0000:01:00.0", config: nvme.bytes, group: 2, driver: "nvme")
        r.write("proc/sys/kernel/osrelease", "6.8.0-45-generic\n")
        r.write("proc/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/sda1 intel_iommu=on iommu=pt quiet\n")
        r.write("proc/iomem", "00000000-00000fff : Reserved\n00001000-0009ffff : System RAM\n00100000-7fffffff : System RAM\n  01000000-01ffffff : Kernel code\n")
        r.mkdirs("sys/class/iommu/dmar0/devices")
        return r
    }

    func testCollectsAFakeTreeIntoPlainFilesAndImportsIt() throws {
        let root = host()
        var c = SnapshotCollector(root: root.path)
        let tree = c.collect()
        XCTAssertEqual(tree.text("sys/bus/pci/devices/0000:01:00.0/iommu_group"), "2", "the link is stored as its group number")
        XCTAssertEqual(tree.text("sys/bus/pci/devices/0000:01:00.0/driver"), "nvme")
        XCTAssertEqual(tree.text("sys/kernel/iommu_groups/1/devices"), "0000:00:1c.0")
        let marker = try XCTUnwrap(tree.text(SnapshotLayout.marker))
        XCTAssertTrue(marker.contains("kernel: 6.8.0-45-generic"))
        XCTAssertTrue(marker.contains("cmdline: intel_iommu=on iommu=pt"), marker)

        let out = FakeRoot()
        let folder = out.path + "/snap"
        guard case .success = tree.write(folder: folder) else { return XCTFail("write failed") }
        let r = Importer.run(paths: [folder])
        XCTAssertEqual(r.diagnostics.filter { $0.severity == .error }, [])
        let draft = try XCTUnwrap(r.draft)
        XCTAssertEqual(draft.kernel, "6.8.0-45-generic")
        XCTAssertEqual(draft.memory.map(\.base), [0x1000, 0x100000])
        XCTAssertEqual(draft.bridges.map(\.kind), ["root-complex", "root-port"])
        XCTAssertEqual(draft.bridges.last?.pci?.function.acs?.control, [.sv, .rr, .cr])
        XCTAssertEqual(draft.observedGroups.map(\.members), [["host0"], ["rp-00-1c-0"], ["nvme0"]])
        XCTAssertEqual(draft.observedGroups.first?.type, "DMA-FQ")
        XCTAssertEqual(draft.devices.first { $0.name == "nvme0" }?.defaultDomain, "DMA-FQ", "the group's type is the device's default domain")
        XCTAssertTrue((r.text ?? "").contains("    default-domain: DMA-FQ\n"))
        // The topology it writes compiles, and its groups are the kernel's.
        let compiled = Compiler.compile(path: "snap (imported)", bytes: Array((r.text ?? "").utf8))
        XCTAssertEqual(compiled.diagnostics.filter { $0.severity == .error }, [])
        XCTAssertNotNil(compiled.model)
    }

    func testTheCommandLinesOverrideIsSaidNotApplied() throws {
        let root = host()
        root.write("proc/cmdline", "quiet pcie_acs_override=downstream,multifunction amd_iommu=on\n")
        var c = SnapshotCollector(root: root.path)
        let out = FakeRoot()
        let folder = out.path + "/snap"
        guard case .success = c.collect().write(folder: folder) else { return XCTFail("write failed") }
        let r = Importer.run(paths: [folder])
        let text = try XCTUnwrap(r.text)
        XCTAssertTrue(text.contains("# Kernel command line (its IOMMU words): pcie_acs_override=downstream,multifunction amd_iommu=on"), text)
        XCTAssertTrue(text.contains("`iotopo groups --acs-override downstream,multifunction`"), text)
        XCTAssertFalse(text.contains("quiet"), "only the IOMMU words are kept")
    }

    func testASnapshotHoldingALinkIsRefused() throws {
        let root = host()
        var c = SnapshotCollector(root: root.path)
        let out = FakeRoot()
        let folder = out.path + "/snap"
        guard case .success = c.collect().write(folder: folder) else { return XCTFail("write failed") }
        symlink("/etc/passwd", folder + "/proc/secret")
        let r = Importer.run(paths: [folder])
        XCTAssertNil(r.text)
        XCTAssertEqual(r.diagnostics.map(\.id), [ImportCheck.linkOutside])
    }

    func testAFIFOInASnapshotIsRefusedWithoutOpeningIt() throws {
        let root = host()
        var c = SnapshotCollector(root: root.path)
        let out = FakeRoot()
        let folder = out.path + "/snap"
        guard case .success = c.collect().write(folder: folder) else { return XCTFail("write failed") }
        mkfifo(folder + "/proc/fifo", 0o644)
        let r = Importer.run(paths: [folder])
        XCTAssertNil(r.text)
        XCTAssertEqual(r.diagnostics.map(\.id), [ImportCheck.unreadable])
    }

    func testBadConfigSpaceIsLocatedAndTheRestImported() throws {
        let root = host()
        root.function("0000:00:1f.0", config: Array(repeating: 0x11, count: 40), group: 3, driver: nil)
        var c = SnapshotCollector(root: root.path)
        var reader = SnapshotReader(root: "snap", files: SourceFiles())
        let h = reader.read(c.collect())
        XCTAssertEqual(h?.functions.count, 3)
        XCTAssertEqual(reader.sink.diagnostics.map(\.id), [ImportCheck.config])
        let d = try XCTUnwrap(reader.sink.diagnostics.first)
        XCTAssertEqual(d.range.map { reader.files.path($0.file) }, "snap/sys/bus/pci/devices/0000:00:1f.0/config")
        XCTAssertTrue(d.message.contains("at byte 40"), d.message)
    }

    func testAFolderWithoutTheMarkerIsNotASnapshot() {
        let out = FakeRoot()
        out.write("sys/bus/pci/devices/x", "y")
        XCTAssertFalse(SnapshotLayout.isSnapshot(out.path))
        let r = Importer.run(paths: [out.path])
        XCTAssertEqual(r.diagnostics.map(\.id), [ImportCheck.unreadable])
    }

    func testWritingRefusesAFolderInUse() {
        let out = FakeRoot()
        out.write("something", "here")
        var t = SnapshotTree()
        t.set(SnapshotLayout.marker, Array("iotopo snapshot 1\n".utf8))
        guard case .failure = t.write(folder: out.path) else { return XCTFail("wrote into a folder in use") }
    }

    func testAUsersViewOfIomemIsIgnored() {
        XCTAssertNil(SnapshotReader.systemRAM("00000000-00000000 : System RAM\n00000000-00000000 : System RAM\n"))
        XCTAssertEqual(SnapshotReader.systemRAM("00001000-0009ffff : System RAM\n")?.map(\.base), [0x1000])
    }
}
