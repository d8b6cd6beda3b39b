import IotopoFirmware
import XCTest

final class IVRSTests: XCTestCase {
    /// The IVHD fixed part after type, flags and length: device ID, capability offset, base,
    /// segment, info, attributes, and for 11h and 40h the EFR image and a reserved quadword.
    static func ivhdHeader(_ t: inout ACPIImage, type: UInt8, deviceID: UInt16 = 0x0002, base: UInt64 = 0xFEB8_0000) {
        t.u16(deviceID); t.u16(0x40); t.u64(base); t.u16(0); t.u16(0); t.u32(0x8004_8F6E)
        if type != 0x10 { t.u64(0x0000_0000_2A00_0000); t.u64(0) }
    }

    /// A desktop's table as firmware writes it: the one IOMMU described as 10h, 11h and 40h.
    static func desktopTable() -> ACPIImage {
        var t = ACPIImage("IVRS", revision: 2)
        t.u32(0x0020_3041)   // IVinfo: PASize 48, VASize 64 (bits 21:15 = 0x40)
        t.u64(0)
        for type: UInt8 in [0x10, 0x11, 0x40] {
            t.ivrsBlock(type, flags: 0xB0) { b in
                ivhdHeader(&b, type: type)
                b.u8(0x03); b.u16(0x0008); b.u8(0)                        // range 00:01.0 ...
                b.u8(0x04); b.u16(0xFFFE); b.u8(0)                        // ... to ff:1f.6
                b.u8(0x43); b.u16(0xFF00); b.u8(0); b.u8(0); b.u16(0x00A4); b.u8(0)   // alias range ff:00.0 ...
                b.u8(0x04); b.u16(0xFFFF); b.u8(0)                        // ... to ff:1f.7, as 00:14.4
                b.u8(0x02); b.u16(0x0010); b.u8(0)                        // select 00:02.0
                b.u8(0x42); b.u16(0x0300); b.u8(0); b.u8(0); b.u16(0x0201); b.u8(0)   // 03:00.0 as 02:00.1
                b.u8(0x46); b.u16(0x0400); b.u8(0); b.u32(0x8000_0000)    // extended select
                b.u8(0x00); b.u16(0); b.u8(0)                             // padding
                b.u8(0x48); b.u16(0); b.u8(0xD7); b.u8(5); b.u16(0x00A0); b.u8(1)     // IOAPIC 5 as 00:14.0
                b.u8(0x48); b.u16(0); b.u8(0); b.u8(0); b.u16(0x00A0); b.u8(2)        // HPET 0 as 00:14.0
                if type == 0x40 {
                    b.u8(0xF0); b.u16(0x00A5); b.u8(0x40)                 // ACPI HID AMDI0020, UID "ID00"
                    b.text("AMDI0020", 8); b.zeros(8); b.u8(2); b.u8(4); b.text("ID00", 4)
                }
            }
        }
        t.ivrsBlock(0x21, flags: 0x07) { b in b.u16(0x0010); b.u16(0); b.u64(0); b.u64(0x9D00_0000); b.u64(0x20_0000) }
        t.ivrsBlock(0x22, flags: 0x08) { b in b.u16(0x0100); b.u16(0x01FF); b.u64(0); b.u64(0xA000_0000); b.u64(0x1000) }
        return t
    }

    func testReadsBlocksEntriesAndMemory() throws {
        var problems: [FirmwareProblem] = []
        let t = try XCTUnwrap(IVRSTable.read(Self.desktopTable().finish(), problems: &problems))
        XCTAssertEqual(problems.texts, [])
        XCTAssertEqual(t.physicalAddressBits, 48)
        XCTAssertEqual(t.virtualAddressBits, 64)
        XCTAssertEqual(t.hardware.map(\.type), [0x10, 0x11, 0x40])
        XCTAssertEqual(t.hardware.map(\.efr), [nil, 0x2A00_0000, 0x2A00_0000])
        // Linux reads only the highest type it supports among the blocks of the first IOMMU.
        XCTAssertEqual(t.effectiveType, 0x40)
        XCTAssertEqual(t.effectiveHardware.count, 1)
        let h = t.effectiveHardware[0]
        XCTAssertEqual(h.base, 0xFEB8_0000)
        XCTAssertEqual(h.deviceID, 2)
        let special = h.entries.filter { $0.kind == .special }
        XCTAssertEqual(special.map(\.specialKind), ["IOAPIC", "HPET"])
        XCTAssertEqual(special.map(\.handle), [5, 0])
        XCTAssertEqual(special.map(\.usedDeviceID), [0xA0, 0xA0])
        let hid = try XCTUnwrap(h.entries.first { $0.kind == .acpiHID })
        XCTAssertEqual(hid.hid, "AMDI0020")
        XCTAssertEqual(hid.uid, "ID00")
        XCTAssertEqual(hid.length, 26)
        XCTAssertEqual(h.entries.first { $0.kind == .extendedSelect }?.extended, 0x8000_0000)
        let d = h.devices
        XCTAssertEqual(d.map { "\(hexDigits(UInt64($0.first), width: 4))-\(hexDigits(UInt64($0.last), width: 4))" + ($0.alias.map { " as \(hexDigits(UInt64($0), width: 4))" } ?? "") },
                       ["0008-fffe", "ff00-ffff as 00a4", "0010-0010", "0300-0300 as 0201", "0400-0400", "00a0-00a0", "00a0-00a0", "00a5-00a5"])
        XCTAssertEqual(t.memory.map(\.type), [0x21, 0x22])
        XCTAssertEqual(t.memory[0].devices, 0x10 ... 0x10)
        XCTAssertTrue(t.memory[0].unity && t.memory[0].readable && t.memory[0].writable)
        XCTAssertEqual(t.memory[1].devices, 0x100 ... 0x1FF)
        XCTAssertTrue(t.memory[1].exclusion)
    }

    /// `check_ivrs_checksum` disables AMD-Vi on a bad checksum: an error for IVRS.
    func testBadChecksumIsAnError() {
        var problems: [FirmwareProblem] = []
        _ = IVRSTable.read(Self.desktopTable().finish(checksumOK: false), problems: &problems)
        XCTAssertEqual(problems.map(\.severity), [.error])
        XCTAssertEqual(problems.map(\.id), [FirmwareCheck.checksum])
        XCTAssertTrue(problems[0].message.contains("check_ivrs_checksum"))
    }

    func testZeroLengthBlockStops() {
        var t = ACPIImage("IVRS", revision: 2)
        t.u32(0); t.u64(0)
        t.u8(0x10); t.u8(0); t.u16(0); t.zeros(20)
        var problems: [FirmwareProblem] = []
        let r = IVRSTable.read(t.finish(), problems: &problems)
        XCTAssertEqual(r?.hardware.count, 0)
        XCTAssertEqual(problems.texts, ["IVRS at byte 50 (0x32): a block of type 10h has length 0"])
    }

    func testEntryOfUnknowableLengthStopsItsBlock() {
        var t = ACPIImage("IVRS", revision: 2)
        t.u32(0); t.u64(0)
        t.ivrsBlock(0x10) { b in
            Self.ivhdHeader(&b, type: 0x10)
            b.u8(0x02); b.u16(0x0010); b.u8(0)
            b.u8(0xC5); b.u16(0); b.u8(0)      // variable length, no length the reader knows
            b.u8(0x02); b.u16(0x0018); b.u8(0)
        }
        var problems: [FirmwareProblem] = []
        let r = IVRSTable.read(t.finish(), problems: &problems)
        XCTAssertEqual(r?.hardware.first?.entries.map(\.deviceID), [0x10])
        XCTAssertEqual(problems.errors.map(\.offset), [76])
    }

    func testEntryPastTheBlockAndUnpairedRanges() {
        var t = ACPIImage("IVRS", revision: 2)
        t.u32(0); t.u64(0)
        t.ivrsBlock(0x10) { b in
            Self.ivhdHeader(&b, type: 0x10)
            b.u8(0x04); b.u16(0x0010); b.u8(0)     // end without start
            b.u8(0x03); b.u16(0x0020); b.u8(0)     // start without end
            b.u8(0x42); b.u16(0x0300); b.u8(0)     // an 8-byte entry cut by the block's end
        }
        var problems: [FirmwareProblem] = []
        let r = IVRSTable.read(t.finish(), problems: &problems)
        XCTAssertEqual(r?.hardware.first?.devices.count, 0)
        XCTAssertEqual(problems.errors.map(\.offset), [80])
        XCTAssertEqual(problems.warnings.map(\.offset), [72, 76])
    }
}
