import IotopoFirmware
import XCTest

final class DMARTests: XCTestCase {
    /// A client platform's table: a graphics unit with one endpoint, an INCLUDE_PCI_ALL unit
    /// with an IOAPIC and an HPET, an RMRR for USB, an ATSR, an RHSA, an ANDD and a SATC.
    static func clientTable() -> ACPIImage {
        var t = ACPIImage("DMAR")
        t.u8(38)          // host address width - 1: 39 bits
        t.u8(0x05)        // INTR_REMAP | DMA_CTRL_PLATFORM_OPT_IN
        t.zeros(10)
        t.dmarStructure(0) { s in
            s.u8(0); s.u8(0); s.u16(0); s.u64(0xFED9_0000)
            s.scope(1, bus: 0, path: [(2, 0)])
        }
        t.dmarStructure(0) { s in
            s.u8(1); s.u8(0); s.u16(0); s.u64(0xFED9_1000)
            s.scope(3, bus: 0xF0, path: [(0x1F, 0)], enumeration: 2)
            s.scope(4, bus: 0, path: [(0x1F, 0)])
        }
        t.dmarStructure(1) { s in
            s.u16(0); s.u16(0); s.u64(0x7A26_6000); s.u64(0x7A28_5FFF)
            s.scope(1, bus: 0, path: [(0x14, 0)])
            s.scope(1, bus: 0, path: [(0x1C, 0), (0, 0)])   // through a root port
        }
        t.dmarStructure(2) { s in
            s.u8(0); s.u8(0); s.u16(0)
            s.scope(2, bus: 0, path: [(0x1C, 0)])
        }
        t.dmarStructure(3) { s in s.u32(0); s.u64(0xFED9_1000); s.u32(1) }
        t.dmarStructure(4) { s in s.zeros(3); s.u8(1); s.text("\\_SB.PCI0.UA00", 15) }
        t.dmarStructure(5) { s in s.u8(1); s.u8(0); s.u16(0); s.scope(1, bus: 0, path: [(2, 0)]) }
        t.dmarStructure(6) { s in s.u16(0); s.u16(0) }   // SIDP: skipped
        return t
    }

    func testReadsEveryStructure() throws {
        var problems: [FirmwareProblem] = []
        let t = try XCTUnwrap(DMARTable.read(Self.clientTable().finish(), problems: &problems))
        XCTAssertEqual(problems.texts, [])
        XCTAssertEqual(t.hostAddressWidth, 39)
        XCTAssertTrue(t.interruptRemapping)
        XCTAssertTrue(t.dmaControlOptIn)
        XCTAssertFalse(t.x2apicOptOut)
        XCTAssertEqual(t.units.map(\.registerBase), [0xFED9_0000, 0xFED9_1000])
        XCTAssertEqual(t.units.map(\.includeAll), [false, true])
        XCTAssertEqual(t.units[0].scopes.map(\.summary), ["endpoint 00:02.0"])
        XCTAssertEqual(t.units[1].scopes.map(\.summary), ["IOAPIC 2 at f0:1f.0", "HPET 0 at 00:1f.0"])
        XCTAssertEqual(t.reserved.count, 1)
        XCTAssertEqual(t.reserved[0].base, 0x7A26_6000)
        XCTAssertEqual(t.reserved[0].limit, 0x7A28_5FFF)
        XCTAssertEqual(t.reserved[0].scopes.map(\.pathText), ["00:14.0", "00:1c.0/00.0"])
        XCTAssertEqual(t.atsr.map(\.allPorts), [false])
        XCTAssertEqual(t.atsr[0].scopes.map(\.summary), ["bridge 00:1c.0"])
        XCTAssertEqual(t.rhsa.map(\.proximityDomain), [1])
        XCTAssertEqual(t.namespaceDevices.map(\.objectName), ["\\_SB.PCI0.UA00"])
        XCTAssertEqual(t.satc.map(\.atcRequired), [true])
        XCTAssertEqual(t.skipped.map(\.type), [6])
        XCTAssertEqual(t.scopeCount, 7)
    }

    func testZeroLengthStructureStopsTheWalk() {
        var t = ACPIImage("DMAR")
        t.u8(38); t.u8(1); t.zeros(10)
        t.u16(0); t.u16(0)   // a DRHD of length 0
        t.zeros(12)
        var problems: [FirmwareProblem] = []
        let d = DMARTable.read(t.finish(), problems: &problems)
        XCTAssertEqual(d?.units.count, 0)
        XCTAssertEqual(problems.texts, ["DMAR at byte 50 (0x32): a remapping structure of type 0 has length 0"])
    }

    func testStructureRunningPastTheEnd() {
        var t = ACPIImage("DMAR")
        t.u8(38); t.u8(1); t.zeros(10)
        t.u16(0); t.u16(0x40); t.zeros(12)   // says 64 bytes, 16 remain
        var problems: [FirmwareProblem] = []
        _ = DMARTable.read(t.finish(), problems: &problems)
        XCTAssertEqual(problems.texts, ["DMAR at byte 50 (0x32): a remapping structure of type 0 is 64 bytes and runs past the table's end (64)"])
    }

    func testScopeOfLengthZeroDoesNotLoop() {
        var t = ACPIImage("DMAR")
        t.u8(38); t.u8(1); t.zeros(10)
        t.dmarStructure(0) { s in
            s.u8(1); s.u8(0); s.u16(0); s.u64(0xFED9_0000)
            s.u8(1); s.u8(0); s.zeros(6)   // a scope of length 0
        }
        var problems: [FirmwareProblem] = []
        let d = DMARTable.read(t.finish(), problems: &problems)
        XCTAssertEqual(d?.units.first?.scopes.count, 0)
        XCTAssertEqual(problems.texts, ["DMAR at byte 65 (0x41): a device scope entry has length 0: it must be 6 plus 2 per path hop"])
    }

    func testScopeHopOutOfRangeAndUnknownScopeType() {
        var t = ACPIImage("DMAR")
        t.u8(38); t.u8(1); t.zeros(10)
        t.dmarStructure(0) { s in
            s.u8(0); s.u8(0); s.u16(0); s.u64(0xFED9_0000)
            s.scope(1, bus: 0, path: [(32, 0)])
            s.scope(9, bus: 0, path: [(1, 0)])
            s.scope(1, bus: 0, path: [(1, 0)])
        }
        var problems: [FirmwareProblem] = []
        let d = DMARTable.read(t.finish(), problems: &problems)
        XCTAssertEqual(d?.units.first?.scopes.map(\.pathText), ["00:01.0"])
        XCTAssertEqual(problems.errors.texts, ["DMAR at byte 70 (0x46): a device scope path hop is 32.0: devices are 0 to 31, functions 0 to 7"])
        XCTAssertEqual(problems.warnings.map(\.id), [FirmwareCheck.unknown])
    }

    func testHeaderProblems() {
        var problems: [FirmwareProblem] = []
        XCTAssertNil(DMARTable.read(Array("DMAR".utf8) + [0, 0], problems: &problems))
        XCTAssertEqual(problems.texts, ["DMAR at byte 6 (0x06): the table is 6 bytes, shorter than the 36-byte ACPI header"])

        problems = []
        var cut = Self.clientTable().finish()
        cut.removeLast(10)
        XCTAssertNil(DMARTable.read(cut, problems: &problems))
        XCTAssertEqual(problems.map(\.offset), [4])
        XCTAssertTrue(problems[0].message.contains("it is cut off"), problems[0].message)

        problems = []
        var wrong = Self.clientTable().finish()
        wrong.replaceSubrange(0 ..< 4, with: Array("APIC".utf8))
        XCTAssertNil(DMARTable.read(wrong, problems: &problems))
        XCTAssertEqual(problems.texts, ["DMAR at byte 0 (0x00): the signature is 'APIC', not 'DMAR'"])
    }

    func testTrailingBytesBeyondLengthAreNotPartOfTheTable() throws {
        var problems: [FirmwareProblem] = []
        let t = try XCTUnwrap(DMARTable.read(Self.clientTable().finish() + [0xFF, 0xFF, 0xFF, 0xFF], problems: &problems))
        XCTAssertEqual(problems.texts, [])
        XCTAssertEqual(t.units.count, 2)
    }

    /// ACPICA warns on a bad checksum and Linux uses the table: a warning for DMAR.
    func testBadChecksumIsAWarning() throws {
        var problems: [FirmwareProblem] = []
        let t = try XCTUnwrap(DMARTable.read(Self.clientTable().finish(checksumOK: false), problems: &problems))
        XCTAssertEqual(t.units.count, 2)
        XCTAssertEqual(problems.map(\.severity), [.warning])
        XCTAssertEqual(problems.map(\.id), [FirmwareCheck.checksum])
        XCTAssertEqual(problems.first?.offset, 9)
    }
}
