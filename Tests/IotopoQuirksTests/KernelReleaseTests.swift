import IotopoQuirks
import XCTest

final class KernelReleaseTests: XCTestCase {
    func testReadsTheFirstTwoNumbers() {
        XCTAssertEqual(KernelRelease(parsing: "6.8"), KernelRelease(6, 8))
        XCTAssertEqual(KernelRelease(parsing: "6.8.0-45-GENERIC"), KernelRelease(6, 8))
        XCTAssertEqual(KernelRelease(parsing: "6.1.12-ARCH1-1-VFIO"), KernelRelease(6, 1))
        XCTAssertEqual(KernelRelease(parsing: "6.11.5+BPO-AMD64"), KernelRelease(6, 11))
        XCTAssertEqual(KernelRelease(parsing: "5.15.0-91-generic"), KernelRelease(5, 15))
    }

    func testRefusesWhatIsNotARelease() {
        for text in ["", "6", "6.", ".8", "v6.8", "six.eight", "99999999999999999999.1", "6.99999999999999999999"] {
            XCTAssertNil(KernelRelease(parsing: text), text)
        }
    }

    func testOrdersByMajorThenMinor() {
        XCTAssertLessThan(KernelRelease(5, 15), KernelRelease(6, 1))
        XCTAssertLessThan(KernelRelease(6, 2), KernelRelease(6, 10))
    }
}
