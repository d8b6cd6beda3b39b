@testable import IotopoCompiler
import XCTest

final class IntegerSyntaxTests: XCTestCase {
    func value(_ s: String) -> UInt64? {
        if case let .success(v) = IntegerSyntax.evaluate(s) { return v }
        return nil
    }

    func testLiterals() {
        XCTAssertEqual(value("0"), 0)
        XCTAssertEqual(value("4096"), 4096)
        XCTAssertEqual(value("0x1_0000_0000"), 1 << 32)
        XCTAssertEqual(value("0b1010"), 10)
        XCTAssertEqual(value("4KiB"), 4096)
        XCTAssertEqual(value("2MiB"), 2 << 20)
        XCTAssertEqual(value("16TiB"), 16 << 40)
        XCTAssertEqual(value("0xffff_ffff_ffff_ffff"), .max)
        XCTAssertEqual(value("18446744073709551615"), .max)
    }

    func testExpressions() {
        XCTAssertEqual(value("4GiB + 2 * 0x1000"), (4 << 30) + 0x2000)
        XCTAssertEqual(value("(1 + 2) * 3"), 9)
        XCTAssertEqual(value("0x100 - 0x10"), 0xF0)
    }

    func testRefusals() {
        XCTAssertEqual(IntegerSyntax.evaluate("18446744073709551616"), .failure(.overflow))
        XCTAssertEqual(IntegerSyntax.evaluate("16777216TiB"), .failure(.overflow))
        XCTAssertEqual(IntegerSyntax.evaluate("16777215TiB"), .success(16_777_215 << 40))
        XCTAssertEqual(IntegerSyntax.evaluate("0xffff_ffff_ffff_ffff + 1"), .failure(.overflow))
        XCTAssertEqual(IntegerSyntax.evaluate("1 - 2"), .failure(.negative))
        for bad in ["017", "0o17", "1.5", "-1", "4KB", "4K", "abc", "0x", "1__", "_1", "", "1 +", "(1", "0xg"] {
            if case .success = IntegerSyntax.evaluate(bad) { XCTFail("'\(bad)' should be refused") }
        }
        let deep = String(repeating: "(", count: 40) + "1" + String(repeating: ")", count: 40)
        if case .success = IntegerSyntax.evaluate(deep) { XCTFail("nesting past 32 parentheses is refused") }
    }
}

final class SubstitutionTests: XCTestCase {
    func apply(_ text: String, _ i: UInt64) -> String? {
        var s = Substitution()
        s.bindings = [(Array("i".utf8), i)]
        var t = text
        return t.withUTF8 { buf in
            if case let .success(b) = s.apply(buf) { return String(decoding: b, as: UTF8.self) }
            return nil
        }
    }

    func testFormats() {
        XCTAssertEqual(apply("nvme{i}", 10), "nvme10")
        XCTAssertEqual(apply("{i+3:02x}:00.0", 10), "0d:00.0")
        XCTAssertEqual(apply("{i:X}", 255), "FF")
        XCTAssertEqual(apply("{i:03d}", 7), "007")
        XCTAssertEqual(apply("{i*4}", 3), "12")
        XCTAssertEqual(apply("0x1000 + {i} * 0x100", 2), "0x1000 + 2 * 0x100")
    }

    func testMalformed() {
        XCTAssertNil(apply("{j}", 1))
        XCTAssertNil(apply("{i", 1))
        XCTAssertNil(apply("{i:q}", 1))
        XCTAssertNil(apply("{i-2}", 1), "underflow is refused")
        XCTAssertNil(apply("{i+}", 1))
    }
}
