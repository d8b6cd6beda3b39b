import IotopoFirmware
import XCTest

final class ACPIDumpTextTests: XCTestCase {
    /// `acpidump` output for a table: the header line, then rows as acpi_ut_dump_buffer
    /// prints them (16 columns of `%02X `, blank when short, then ASCII).
    static func dump(_ sig: String, _ bytes: [UInt8], address: String = "0x00000000bb7fe000") -> String {
        var s = "\(sig) @ \(address)\n"
        var at = 0
        while at < bytes.count {
            let row = bytes[at ..< min(at + 16, bytes.count)]
            var line = "    " + hexDigits(UInt64(at), width: 4).uppercased() + ": "
            for b in row { line += hexDigits(UInt64(b), width: 2).uppercased() + " " }
            line += String(repeating: "   ", count: 16 - row.count)
            line += " " + String(row.map { $0 >= 0x20 && $0 < 0x7F ? Character(Unicode.Scalar($0)) : "." })
            s += line + "\n"
            at += 16
        }
        return s + "\n"
    }

    func testRebuildsOurTablesAndPassesOverOthers() throws {
        let dmar = DMARTests.clientTable().finish()
        let text = Self.dump("APIC", [UInt8](repeating: 0x41, count: 40)) + Self.dump("DMAR", dmar)
        var problems: [(line: Int, message: String)] = []
        XCTAssertTrue(ACPIDumpText.looks(Array(text.utf8)))
        let d = ACPIDumpText.parse(Array(text.utf8), problems: &problems)
        XCTAssertEqual(problems.map(\.message), [])
        XCTAssertEqual(d.others, ["APIC"])
        XCTAssertEqual(d.tables.map(\.signature), ["DMAR"])
        XCTAssertEqual(d.tables[0].bytes, dmar)
        // APIC: header line 1, 3 rows, a blank line; DMAR's header is line 6.
        XCTAssertEqual(d.tables[0].line, 6)
        XCTAssertEqual(d.tables[0].line(of: 0x32), 10)
    }

    /// A short last row whose ASCII column looks like hex ("AB") is not read as a byte.
    func testASCIIColumnIsNeverReadAsHex() {
        let text = "DMAR @ 0x0\n    0000: 41 42                                             AB\n"
        var problems: [(line: Int, message: String)] = []
        let d = ACPIDumpText.parse(Array(text.utf8), problems: &problems)
        XCTAssertEqual(d.tables.first?.bytes, [0x41, 0x42])
    }

    func testRowOutOfOrderIsReportedOnItsLine() {
        let text = "IVRS @ 0x0\n    0000: 49 56 52 53\n    0020: 00 00\n"
        var problems: [(line: Int, message: String)] = []
        _ = ACPIDumpText.parse(Array(text.utf8), problems: &problems)
        XCTAssertEqual(problems.map(\.line), [3])
        XCTAssertEqual(problems.first?.message, "the row is at offset 0020 but the IVRS table so far has 4 bytes (0x0004)")
    }

    func testNotADump() {
        XCTAssertFalse(ACPIDumpText.looks(Array("00:00.0 Host bridge [0600]: Intel\n".utf8)))
    }
}

final class IaslCrossCheckTests: XCTestCase {
    func testParsesIaslLinesAndComparesFields() throws {
        var problems: [FirmwareProblem] = []
        let table = try XCTUnwrap(ACPITable.read(DMARTests.clientTable().finish(), problems: &problems))
        let dsl = """
        [024h 0036   1]           Host Address Width : 26\r
        [030h 0048   2]                Subtable Type : 0000 [Hardware Unit Definition]\r
        [036h 0054   2]           PCI Segment Number : 0000
        [038h 0056   8]        Register Base Address : 00000000FED90000
        [040h 0064   1]            Device Scope Type : 01 [PCI Endpoint Device]
        [045h 0069   1]               PCI Bus Number : 01
        """
        let c = IaslDecode.parse(dsl).compare(table.decodedFields, signature: "DMAR")
        XCTAssertEqual(c.agreed, 5)
        XCTAssertEqual(c.disagreements, ["DMAR at byte 0x45: PCI Bus Number is 0 here, 1 in iasl's decode"])
        XCTAssertGreaterThan(c.beyondIasl, 0)
    }
}

/// Findings of the firmware fuzz harness in the acpidump text reader.
final class ACPIDumpTextFuzzRegressionTests: XCTestCase {
    /// Finding B: a row whose offset had a sign (`-1: ...`) was parsed by Int(_:radix:) as
    /// -1, and printing it as an unsigned number trapped. Offsets are hex digits only now.
    func testFindingB_SignedRowOffset() {
        let text = "DMAR @ 0x0\n    0000: 44 4D 41 52\n   -1: 00 00\n   +4: 00\n"
        var problems: [(line: Int, message: String)] = []
        let d = ACPIDumpText.parse(Array(text.utf8), problems: &problems)
        XCTAssertEqual(d.tables.first?.bytes, Array("DMAR".utf8))
        XCTAssertEqual(problems.map(\.line), [3, 4])
    }
}
