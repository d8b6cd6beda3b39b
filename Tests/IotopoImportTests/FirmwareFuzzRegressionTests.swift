import Foundation
import IotopoCompiler
import IotopoFirmware
import IotopoImport
import XCTest

/// Findings E to J of the firmware fuzz harness (RELIABILITY.md, "Fuzzing the firmware
/// readers"): CI's run trapped in the IORT builder, and a review of every builder for the
/// same classes found the rest. Each input is the smallest of its class, built here; each
/// failed (a trap, or an import without errors whose topology did not compile) before its fix.
final class FirmwareFuzzRegressionTests: XCTestCase {
    // MARK: Table builders

    static func table(_ sig: String, revision: UInt8, _ body: [UInt8]) -> [UInt8] { FirmwareBytes.table(sig, revision: revision, body) }
    static func le16(_ v: UInt16) -> [UInt8] { FirmwareBytes.le16(v) }
    static func le32(_ v: UInt32) -> [UInt8] { FirmwareBytes.le32(v) }
    static func le64(_ v: UInt64) -> [UInt8] { FirmwareBytes.le64(v) }

    /// An IORT node: type, its body after the 16-byte node header, and its ID mappings
    /// (input base, count, output base, index of the node referred to, flags).
    struct Node {
        var type: UInt8
        var body: [UInt8]
        var mappings: [(UInt32, UInt32, UInt32, Int, UInt32)] = []
    }

    static func iort(_ nodes: [Node]) -> [UInt8] {
        var offsets: [Int] = []
        var at = 48
        for n in nodes {
            offsets.append(at)
            at += 16 + n.body.count + 20 * n.mappings.count
        }
        var out: [UInt8] = []
        for n in nodes {
            let length = 16 + n.body.count + 20 * n.mappings.count
            out += [n.type] + le16(UInt16(length)) + [0] + le32(0) + le32(UInt32(n.mappings.count)) + le32(n.mappings.isEmpty ? 0 : UInt32(16 + n.body.count))
            out += n.body
            for m in n.mappings { out += le32(m.0) + le32(m.1) + le32(m.2) + le32(UInt32(offsets[m.3])) + le32(m.4) }
        }
        return table("IORT", revision: 5, le32(UInt32(nodes.count)) + le32(48) + le32(0) + out)
    }

    static let smmuv3 = Node(type: 4, body: [UInt8](repeating: 0, count: 48))
    static let its = Node(type: 0, body: le32(1) + le32(0))
    static func rootComplex(_ maps: [(UInt32, UInt32, UInt32, Int, UInt32)]) -> Node {
        Node(type: 2, body: le64(0) + le32(0) + le32(0) + [0, 0, 0, 0], mappings: maps)
    }
    static func namedComponent(_ name: String, _ maps: [(UInt32, UInt32, UInt32, Int, UInt32)] = []) -> Node {
        var body = le32(0) + le64(0) + [0] + Array(name.utf8) + [0]
        while (16 + body.count) % 4 != 0 { body.append(0) }
        return Node(type: 1, body: body, mappings: maps)
    }
    static func rmr(_ ranges: [(UInt64, UInt64)]) -> Node {
        Node(type: 6, body: le32(0) + le32(UInt32(ranges.count)) + le32(28) + ranges.flatMap { le64($0.0) + le64($0.1) + le32(0) })
    }

    // MARK: Helpers

    /// Imports `bytes` as a file, asserts the import has no error, and that what it wrote
    /// compiles without one: the harness's invariant.
    @discardableResult
    func importCompiles(_ bytes: [UInt8], name: String = "t.bin", file: StaticString = #filePath, line: UInt = #line) -> ImportResult {
        let dir = NSTemporaryDirectory() + "iotopo-fwfz-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = FileManager.default.createFile(atPath: dir + "/" + name, contents: Data(bytes))
        let r = Importer.run(paths: [dir + "/" + name])
        XCTAssertFalse(r.hasErrors, r.diagnostics.map(\.message).joined(separator: "\n"), file: file, line: line)
        return compiled(r, dir: dir, file: file, line: line)
    }

    @discardableResult
    func compiled(_ r: ImportResult, dir: String, file: StaticString = #filePath, line: UInt = #line) -> ImportResult {
        guard let text = r.text else { XCTFail("nothing imported", file: file, line: line); return r }
        try? text.write(toFile: dir + "/t.yaml", atomically: false, encoding: .utf8)
        let c = Compiler.compile(path: dir + "/t.yaml")
        XCTAssertEqual(c.diagnostics.filter { $0.severity == .error }.map { "\($0.id): \($0.message)" }, [], text, file: file, line: line)
        return r
    }

    /// A .dts compiled with dtc into a .dtb, imported, and its topology compiled.
    @discardableResult
    func importCompiles(dts: String, file: StaticString = #filePath, line: UInt = #line) throws -> ImportResult {
        let path = try FirmwareBytes.dtb(dts, file: file, line: line)
        let dir = (path as NSString).deletingLastPathComponent
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = Importer.run(paths: [path])
        XCTAssertFalse(r.hasErrors, r.diagnostics.map(\.message).joined(separator: "\n"), file: file, line: line)
        return compiled(r, dir: dir, file: file, line: line)
    }

    // MARK: E: a 32-bit length that does not fit

    /// The CI finding: an IORT mapping of all 2^32 IDs (count 0xFFFFFFFF) from output base 0
    /// trapped converting its length to 32 bits; one byte of a real X13s IORT gives it. It
    /// is cut by one ID, and says so.
    func testFindingE_MappingOfEveryIDFromZero() {
        for target in [Self.smmuv3, Self.its] {
            let r = importCompiles(Self.iort([target, Self.rootComplex([(0, 0xFFFF_FFFF, 0, 0, 0)])]))
            if target.type == 4 { XCTAssertTrue(r.text?.contains("cut to fit 32-bit stream IDs") ?? false, r.text ?? "") }
        }
    }

    // MARK: F: ranges ending at 2^64

    /// A reserved range whose last byte is 2^64 - 1 passed the guard, then `base + length - 1`
    /// overflowed: an IORT RMR and an IVRS unity IVMD.
    func testFindingF_ReservedRangesEndingAtTheTop() {
        importCompiles(Self.iort([Self.rmr([(0x1000, 0 &- 0x1000)])]))
        let ivmd: [UInt8] = [0x20, 1] + Self.le16(32) + Self.le16(0) + Self.le16(0) + Self.le64(0) + Self.le64(0x1000) + Self.le64(0 &- 0x1000)
        importCompiles(Self.table("IVRS", revision: 2, Self.le32(0x0020_3041) + Self.le64(0) + ivmd))
    }

    // MARK: G: device tree maps the compiler refuses

    /// An iommu-map or msi-map entry of length 0 (it maps nothing: of_map_id never matches
    /// it) and one whose output runs past 2^32 were copied as they were.
    func testFindingG_MapEntriesOfLengthZeroOrPastTwoToThe32() throws {
        for map in ["iommu-map = <0 &smmu 0 0>;", "msi-map = <0 &its 0 0>;", "iommu-map = <0 &smmu 0xffffff00 0x1000>;"] {
            let r = try importCompiles(dts: """
            /dts-v1/;
            / { #address-cells = <2>; #size-cells = <2>;
                smmu: iommu@1 { compatible = "arm,mmu-500"; #iommu-cells = <1>; };
                its: msi-controller@2 { compatible = "arm,gic-v3-its"; msi-controller; #msi-cells = <1>; };
                pci@1 { device_type = "pci"; \(map) }; };
            """)
            XCTAssertTrue(r.diagnostics.contains { $0.id == FirmwareCheck.malformed && $0.severity == .warning }, "\(map): \(r.diagnostics.map(\.message))")
        }
    }

    // MARK: H: names that meet the builders' own

    /// Firmware names that are those the builders give their own entities: named components
    /// `\_SB.SOC`, `\_SB.SYSTEM` and `\_SB.SMMU0`, device-tree nodes `system-ram` and
    /// `bus-00`. Each is suffixed now.
    func testFindingH_NamesOfTheBuildersOwn() throws {
        for name in ["\\_SB.SOC", "\\_SB.SYSTEM"] { importCompiles(Self.iort([Self.namedComponent(name)])) }
        importCompiles(Self.iort([Self.smmuv3, Self.namedComponent("\\_SB.SMMU0", [(0, 0, 5, 0, 0)])]))
        try importCompiles(dts: """
        /dts-v1/;
        / { #address-cells = <2>; #size-cells = <2>;
            memory@0 { device_type = "memory"; reg = <0 0 0 0x80000000>; };
            smmu: iommu@1 { compatible = "arm,smmu-v3"; #iommu-cells = <1>; };
            system-ram { compatible = "acme,dma"; iommus = <&smmu 1>; }; };
        """)
        try importCompiles(dts: """
        /dts-v1/;
        / { #address-cells = <2>; #size-cells = <2>;
            smmu: iommu@1 { compatible = "arm,smmu-v3"; #iommu-cells = <1>; };
            bus-00 { compatible = "acme,dma"; iommus = <&smmu 1>; };
            pci@1 { device_type = "pci"; iommu-map = <0 &smmu 0 0x10000>; }; };
        """)
    }

    // MARK: I: platform masters sharing a stream ID

    /// Two platform masters with one stream ID at an SMMUv3: Linux refuses the later one
    /// (arm_smmu_insert_master), and the topology failed stream-id-alias. The later master
    /// loses the ID, and with none left it is written with dma: false.
    func testFindingI_PlatformMastersSharingAStreamID() throws {
        let r = importCompiles(Self.iort([Self.smmuv3, Self.namedComponent("\\_SB.A", [(0, 0, 5, 0, 0)]), Self.namedComponent("\\_SB.B", [(0, 0, 5, 0, 0)])]))
        XCTAssertTrue(r.text?.contains("held by 'a'") ?? false, r.text ?? "")
        let d = try importCompiles(dts: """
        /dts-v1/;
        / { #address-cells = <2>; #size-cells = <2>;
            smmu: iommu@1 { compatible = "arm,smmu-v3"; #iommu-cells = <1>; };
            a { compatible = "acme,dma"; iommus = <&smmu 5>; };
            b { compatible = "acme,dma"; iommus = <&smmu 5>, <&smmu 6>; }; };
        """)
        let text = d.text ?? ""
        XCTAssertTrue(text.contains("stream ID 0x5 (held by 'a')"), text)
        XCTAssertFalse(text.contains("dma: false"), "b keeps 0x6: \(text)")
    }

    // MARK: J: overlapping and wrapping address ranges

    /// Overlapping memory banks, overlapping /reserved-memory children, overlapping dma-ranges
    /// windows, and ranges past 2^64 were copied as they were (memory-overlap,
    /// window-overlap, address-overflow), or silently clamped to a byte.
    func testFindingJ_OverlappingAndWrappingRanges() throws {
        try importCompiles(dts: """
        /dts-v1/;
        / { #address-cells = <2>; #size-cells = <2>;
            memory@0 { device_type = "memory"; reg = <0 0x80000000 0 0x80000000  0 0x90000000 0 0x1000>; };
            reserved-memory { #address-cells = <2>; #size-cells = <2>; ranges;
                a@90000000 { reg = <0 0x90000000 0 0x2000>; }; b@90001000 { reg = <0 0x90001000 0 0x2000>; }; }; };
        """)
        let wrap = try importCompiles(dts: """
        /dts-v1/;
        / { #address-cells = <2>; #size-cells = <2>;
            memory@0 { device_type = "memory"; reg = <0xffffffff 0xfffff000 0x0 0x2000  0 0x80000000 0 0x1000>; }; };
        """)
        XCTAssertTrue(wrap.diagnostics.contains { $0.message.contains("runs past 2^64") }, "\(wrap.diagnostics.map(\.message))")
        XCTAssertFalse(wrap.text?.contains("0xfffffffffffff000") ?? true, "no one-byte region at the top")
        for ranges in ["<0 0 0 0 0 0x10000  0 0x8000 0 0x8000 0 0x10000>", "<0 0 0xffffffff 0xffff0000 0x1 0x0>"] {
            let r = try importCompiles(dts: """
            /dts-v1/;
            / { #address-cells = <2>; #size-cells = <2>;
                memory@0 { device_type = "memory"; reg = <0 0 0 0x80000000>; };
                smmu: iommu@1 { compatible = "arm,smmu-v3"; #iommu-cells = <1>; };
                soc { compatible = "simple-bus"; #address-cells = <2>; #size-cells = <2>; ranges; dma-ranges = \(ranges);
                    dev { compatible = "acme,dma"; iommus = <&smmu 1>; }; }; };
            """)
            XCTAssertTrue(r.diagnostics.contains { $0.message.contains("dma-ranges window") }, "\(ranges): \(r.diagnostics.map(\.message))")
        }
    }
}
