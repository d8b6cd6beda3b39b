import Foundation
import XCTest

/// Firmware inputs built in the tests: little-endian fields, ACPI tables with their checksum
/// put right, and device trees compiled from source with dtc.
enum FirmwareBytes {
    static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    static func le32(_ v: UInt32) -> [UInt8] { (0 ..< 4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } }
    static func le64(_ v: UInt64) -> [UInt8] { le32(UInt32(truncatingIfNeeded: v)) + le32(UInt32(truncatingIfNeeded: v >> 32)) }

    /// An ACPI table: the 36-byte header (length and checksum put right), then `body`.
    static func table(_ sig: String, revision: UInt8, _ body: [UInt8]) -> [UInt8] {
        var b = Array(sig.utf8) + le32(UInt32(36 + body.count)) + [revision, 0] + Array("IOTOPO".utf8) + Array("IOTOPOTB".utf8)
        b += le32(1) + Array("TEST".utf8) + le32(1) + body
        var sum: UInt8 = 0
        for x in b { sum &+= x }
        b[9] = 0 &- sum
        return b
    }

    /// `source` compiled by dtc into a .dtb in a fresh temporary folder; the path. Skips the
    /// test where dtc is not installed.
    static func dtb(_ source: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let dtc = ["/usr/bin/dtc", "/usr/local/bin/dtc"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let dtc else { throw XCTSkip("dtc is not installed (make test installs device-tree-compiler)") }
        let dir = NSTemporaryDirectory() + "iotopo-dt-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try source.write(toFile: dir + "/t.dts", atomically: false, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: dtc)
        p.arguments = ["-q", "-I", "dts", "-O", "dtb", "-o", dir + "/t.dtb", dir + "/t.dts"]
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, file: file, line: line)
        return dir + "/t.dtb"
    }
}
