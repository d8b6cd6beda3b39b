import IotopoImport
import IotopoModel
import IotopoSource
import XCTest

final class LspciReaderTests: XCTestCase {
    func read(_ text: String) -> (HostDescription?, [Diagnostic]) {
        var r = LspciReader(file: FileID(0))
        let h = r.read(Array(text.utf8), path: "t.txt")
        return (h, r.sink.diagnostics)
    }

    func testReadsAHeaderWithRevisionAndProgIf() throws {
        let (h, d) = read("00:14.0 USB controller [0c03]: Intel Corporation Cannon Lake PCH USB 3.1 xHCI Host Controller [8086:a36d] (rev 10) (prog-if 30 [XHCI])\n\tIOMMU group: 5\n\tKernel driver in use: xhci_hcd\n")
        XCTAssertEqual(d, [])
        let f = try XCTUnwrap(h?.functions.first)
        XCTAssertEqual(f.address.description, "0000:00:14.0")
        XCTAssertEqual(f.classCode, 0x0c0330)
        XCTAssertEqual(f.vendor, 0x8086)
        XCTAssertEqual(f.device, 0xa36d)
        XCTAssertEqual(f.revision, 0x10)
        XCTAssertEqual(f.observedGroup, 5)
        XCTAssertEqual(f.driver, "xhci_hcd")
        XCTAssertEqual(f.portType, .conventional)
    }
}
