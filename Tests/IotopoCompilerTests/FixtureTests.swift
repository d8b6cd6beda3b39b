import IotopoCompiler
import XCTest

/// Runs every fixture under topologies/invalid/ and holds the registry to its promise:
/// each check has a fixture that fires it and one that must not.
final class FixtureTests: XCTestCase {
    func testEveryFixtureMatchesItsExpectations() {
        let fixtures = FixtureHarness.allFixtures()
        XCTAssertFalse(fixtures.isEmpty, "no fixtures found under topologies/invalid")
        for f in fixtures {
            let (expected, actual, _) = FixtureHarness.run(f.path)
            let (missing, unexpected) = FixtureHarness.compare(expected, actual)
            for m in missing { XCTFail("\(f.path): expected diagnostic did not appear: \(m)") }
            for u in unexpected { XCTFail("\(f.path): unexpected diagnostic: \(u)") }
            let fired = actual.contains { $0.id == f.check }
            if f.fires {
                XCTAssertTrue(fired, "\(f.path) must fire \(f.check)")
            } else {
                XCTAssertFalse(fired, "\(f.path) must not fire \(f.check)")
            }
        }
    }

    func testEveryCheckHasAFiringAndAPassingFixture() {
        let fixtures = FixtureHarness.allFixtures()
        for check in CheckRegistry.all {
            XCTAssertTrue(fixtures.contains { $0.check == check.id && $0.fires }, "check \(check.id) has no fires*.yaml fixture")
            XCTAssertTrue(fixtures.contains { $0.check == check.id && !$0.fires }, "check \(check.id) has no passes*.yaml fixture")
        }
        for f in fixtures {
            XCTAssertNotNil(CheckRegistry.info(f.check), "fixture folder \(f.check) is not a registered check")
        }
    }

    func testAFixtureOptionsLineIsReadStrictly() {
        let good = FixtureOptions.read("# a fixture\n# options: -Werror  --disable unused-domain\t--max-file-size 4KiB --max-generated 10\r\nplatform: {}\n")
        XCTAssertEqual(good.problems, [])
        XCTAssertTrue(good.options.policy.warningsAsErrors)
        XCTAssertEqual(good.options.policy.disabled, ["unused-domain"])
        XCTAssertEqual(good.options.limits.maxFileSize, 4096)
        XCTAssertEqual(good.options.maxGenerated, 10)
        XCTAssertEqual(FixtureOptions.read("platform: {}\n").problems, [], "no options line: the defaults")
        XCTAssertEqual(FixtureOptions.read("# options: --werror --max-generated ten --disable\n").problems, [
            "unknown option '--werror' (known: -Werror, --disable ID, --max-file-size SIZE, --max-generated N)",
            "'--max-generated ten' is not a count",
            "'--disable' needs a value",
        ])
        XCTAssertEqual(FixtureOptions.read("# options: --max-file-size huge\n").problems, ["'--max-file-size huge' is not a size"])
    }
}
