import IotopoImport
import IotopoModel
import XCTest

/// Config space images built byte by byte, as sysfs's `config` gives them.
struct ConfigImage {
    var bytes: [UInt8]

    init(size: Int = 4096, vendor: UInt16 = 0x8086, device: UInt16 = 0xa33c, classCode: UInt32 = 0x060400, header: UInt8 = 1) {
        bytes = [UInt8](repeating: 0, count: size)
        put16(0x00, vendor)
        put16(0x02, device)
        bytes[0x08] = 0x10
        put16(0x0A, UInt16(classCode >> 8))
        bytes[0x09] = UInt8(truncatingIfNeeded: classCode)
        bytes[0x0E] = header
    }

    mutating func put16(_ at: Int, _ v: UInt16) {
        bytes[at] = UInt8(truncatingIfNeeded: v)
        bytes[at + 1] = UInt8(truncatingIfNeeded: v >> 8)
    }

    mutating func put32(_ at: Int, _ v: UInt32) {
        put16(at, UInt16(truncatingIfNeeded: v))
        put16(at + 2, UInt16(truncatingIfNeeded: v >> 16))
    }

    /// Capabilities at the given offsets, chained in order: (offset, id, the 16 bits after the header).
    mutating func capabilities(_ caps: [(Int, UInt8, UInt16)]) {
        bytes[0x06] |= 0x10
        bytes[0x34] = UInt8(caps.first?.0 ?? 0)
        for (i, c) in caps.enumerated() {
            bytes[c.0] = c.1
            bytes[c.0 + 1] = i + 1 < caps.count ? UInt8(caps[i + 1].0) : 0
            put16(c.0 + 2, c.2)
        }
    }

    /// An Express capability at 0x40 with a port type.
    mutating func express(_ type: Int) { capabilities([(0x40, 0x10, UInt16(type << 4 | 2))]) }

    /// Extended capabilities at the given offsets, chained: (offset, id), with `fill` run on each.
    mutating func extended(_ caps: [(Int, UInt16)], fill: (inout ConfigImage, Int, UInt16) -> Void = { _, _, _ in }) {
        for (i, c) in caps.enumerated() {
            let next = i + 1 < caps.count ? UInt32(caps[i + 1].0) : 0
            put32(c.0, UInt32(c.1) | 1 << 16 | next << 20)
            fill(&self, c.0, c.1)
        }
    }
}

final class ConfigSpaceTests: XCTestCase {
    let addr = PCIAddress(segment: 0, bus: 0, device: 0x1c, function: 0)!

    func parse(_ c: ConfigImage) -> Result<HostFunction, ConfigSpace.Problem> { ConfigSpace(c.bytes).parse(address: addr) }

    func testShorterThanTheHeaderIsAnError() {
        let c = ConfigImage(size: 40)
        guard case let .failure(p) = parse(c) else { return XCTFail("a 40-byte config was accepted") }
        XCTAssertEqual(p.offset, 40)
    }

    func testHeaderFields() throws {
        var c = ConfigImage(header: 0x81)
        c.bytes[0x18] = 0; c.bytes[0x19] = 2; c.bytes[0x1A] = 5
        let f = try parse(c).get()
        XCTAssertEqual(f.vendor, 0x8086)
        XCTAssertEqual(f.classCode, 0x060400)
        XCTAssertEqual(f.revision, 0x10)
        XCTAssertEqual(f.multifunctionBit, true)
        XCTAssertEqual(f.buses, BridgeBuses(primary: 0, secondary: 2, subordinate: 5))
        XCTAssertEqual(f.portType, .conventional, "no capability list")
    }

    func testTypeZeroSubsystem() throws {
        var c = ConfigImage(classCode: 0x010802, header: 0)
        c.put16(0x2C, 0x144d)
        c.put16(0x2E, 0xa801)
        let f = try parse(c).get()
        XCTAssertEqual(f.subsystem?.vendor, 0x144d)
        XCTAssertEqual(f.subsystem?.device, 0xa801)
        XCTAssertNil(f.buses)
    }

    func testExpressPortTypes() throws {
        let expected: [(Int, PCIPortType)] = [(0, .endpoint), (1, .legacyEndpoint), (4, .rootPort), (5, .upstreamPort), (6, .downstreamPort),
                                              (7, .pcieToPCI), (8, .pciToPCIe), (9, .rcIntegratedEndpoint), (10, .rcEventCollector)]
        for (v, t) in expected {
            var c = ConfigImage()
            c.express(v)
            XCTAssertEqual(try parse(c).get().portType, t)
        }
        var reserved = ConfigImage()
        reserved.express(3)
        guard case let .failure(p) = parse(reserved) else { return XCTFail("a reserved port type was accepted") }
        XCTAssertEqual(p.offset, 0x42)
    }

    func testACSARIAndSRIOVFromExtendedCapabilities() throws {
        var c = ConfigImage(classCode: 0x020000, header: 0x80)
        c.express(0)
        c.extended([(0x100, 0x000D), (0x140, 0x000E), (0x160, 0x0010)]) { img, at, id in
            switch id {
            case 0x000D: img.put16(at + 4, 0x001F); img.put16(at + 6, 0x000D)
            case 0x0010:
                img.put16(at + 0x0C, 64); img.put16(at + 0x0E, 64); img.put16(at + 0x10, 4)
                img.put16(at + 0x14, 384); img.put16(at + 0x16, 2); img.put16(at + 0x1A, 0x1565)
            default: break
            }
        }
        let f = try parse(c).get()
        XCTAssertEqual(f.acs, ACSCapability(capability: [.sv, .tb, .rr, .cr, .uf], control: [.sv, .rr, .cr]))
        XCTAssertTrue(f.ari)
        XCTAssertEqual(f.sriov, SRIOVCapability(initialVFs: 64, totalVFs: 64, enabledVFs: 4, offset: 384, stride: 2, vfDevice: 0x1565))
    }

    func testALoopingCapabilityListIsAnErrorNotAHang() {
        var c = ConfigImage()
        c.capabilities([(0x40, 0x01, 0), (0x50, 0x05, 0)])
        c.bytes[0x51] = 0x40   // 0x50 points back to 0x40
        guard case let .failure(p) = parse(c) else { return XCTFail("a loop was accepted") }
        // Reported where the looping pointer is, 0x51, not where it points.
        XCTAssertEqual(p.offset, 0x51)
        XCTAssertTrue(p.message.contains("loops back to 0x40"))
    }

    func testALoopingExtendedListIsAnError() {
        var c = ConfigImage()
        c.express(4)
        c.extended([(0x100, 0x000D), (0x140, 0x000E)])
        c.put32(0x140, 0x000E | 1 << 16 | 0x100 << 20)
        guard case let .failure(p) = parse(c) else { return XCTFail("a loop was accepted") }
        // The next pointer is bits 31:20 of the header at 0x140: byte 0x142.
        XCTAssertEqual(p.offset, 0x142)
        XCTAssertTrue(p.message.contains("loops back to 0x100"))
    }

    func testPointersIntoTheHeaderOrPastTheEnd() {
        var c = ConfigImage(size: 256)
        c.capabilities([(0x40, 0x01, 0)])
        c.bytes[0x41] = 0x20
        guard case let .failure(p) = parse(c) else { return XCTFail("a pointer into the header was accepted") }
        XCTAssertEqual(p.offset, 0x41)
        XCTAssertTrue(p.message.contains("0x20"))
        var d = ConfigImage(size: 128)
        d.capabilities([(0x40, 0x01, 0)])
        d.bytes[0x41] = 0xF0
        guard case let .failure(q) = parse(d) else { return XCTFail("a pointer past the end was accepted") }
        // Where the pointer is, inside the 128 bytes, not 0xF0 past them.
        XCTAssertEqual(q.offset, 0x41)
        XCTAssertTrue(q.message.contains("0xf0") && q.message.contains("128 bytes"), q.message)
    }

    func testAUsersSixtyFourBytesLeaveTheCapabilitiesUnread() throws {
        var c = ConfigImage(size: 64)
        c.bytes[0x06] |= 0x10
        c.bytes[0x34] = 0x40
        let f = try parse(c).get()
        XCTAssertFalse(f.capabilitiesRead)
        XCTAssertNil(f.portType)
    }

    func testAbsentFunctionIsRefused() {
        let c = ConfigImage(vendor: 0xFFFF)
        guard case .failure = parse(c) else { return XCTFail("vendor ffff was accepted") }
    }
}
