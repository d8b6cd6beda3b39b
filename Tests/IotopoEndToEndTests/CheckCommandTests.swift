import Foundation
import XCTest

/// `iotopo check` and `iotopo compile` as a user runs them: output, formats, exit status.
final class CheckCommandTests: XCTestCase {
    func testCleanPlatformExitsZero() throws {
        let r = try CLI.run(["check", "topologies/x86-server/platform.yaml"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertEqual(r.stdout, "topologies/x86-server/platform.yaml: ok (8 devices, 1 IOMMU, 6 domains)\n")
        XCTAssertEqual(r.stderr, "")
    }

    func testWarningsAloneExitZeroAndWerrorMakesThemFail() throws {
        let r = try CLI.run(["check", "topologies/embedded-soc/platform.yaml"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.contains("warning: device 'dma0' can master DMA"), r.stdout)
        let w = try CLI.run(["check", "-Werror", "topologies/embedded-soc/platform.yaml"])
        XCTAssertEqual(w.status, 1)
        XCTAssertTrue(w.stdout.contains("error: device 'dma0' can master DMA"), w.stdout)
        let d = try CLI.run(["check", "--disable", "dma-without-iommu", "--disable", "dma-limit-below-ram", "-Werror", "topologies/embedded-soc/platform.yaml"])
        XCTAssertEqual(d.status, 0, d.stdout)
    }

    func testErrorsExitOneWithLocationCaretAndID() throws {
        let r = try CLI.run(["check", "topologies/invalid/duplicate-name/fires.yaml"])
        XCTAssertEqual(r.status, 1)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines[0].hasPrefix("topologies/invalid/duplicate-name/fires.yaml:8:12: error: "), lines[0])
        XCTAssertTrue(lines[0].hasSuffix("[duplicate-name]"), lines[0])
        XCTAssertTrue(lines[2].contains("^~~~"), lines[2])
        XCTAssertTrue(r.stdout.contains(": note: first defined here"))
    }

    func testMisuseExits64() throws {
        XCTAssertEqual(try CLI.run(["check"]).status, 64)
        XCTAssertEqual(try CLI.run(["check", "--format", "xml", "x.yaml"]).status, 64)
        let d = try CLI.run(["check", "--disable", "no-such-check", "x.yaml"])
        XCTAssertEqual(d.status, 64)
        XCTAssertTrue(d.stderr.contains("unknown check 'no-such-check'"), d.stderr)
        XCTAssertEqual(try CLI.run(["check", "--disable", "yaml-syntax", "x.yaml"]).status, 64)
        XCTAssertEqual(try CLI.run(["frobnicate"]).status, 64)
    }

    func testMissingFileAndDirectoryAreErrorsNotCrashes() throws {
        let m = try CLI.run(["check", "no/such/file.yaml"])
        XCTAssertEqual(m.status, 1)
        XCTAssertTrue(m.stdout.contains("cannot read 'no/such/file.yaml': no such file [io-error]"), m.stdout)
        let d = try CLI.run(["check", "topologies"])
        XCTAssertEqual(d.status, 1)
        XCTAssertTrue(d.stdout.contains("is a directory"), d.stdout)
    }

    func testInputOnAPipe() throws {
        let r = try CLI.run(["check", "-"], stdin: "platform: {name: piped}\n")
        XCTAssertEqual(r.status, 0, r.stdout)
        XCTAssertTrue(r.stdout.contains("ok"), r.stdout)
    }

    func testColourOnlyWhenAskedOrOnATerminal() throws {
        let plain = try CLI.run(["check", "topologies/invalid/duplicate-name/fires.yaml"])
        XCTAssertFalse(plain.stdout.contains("\u{1B}["), "a pipe gets no colour")
        let forced = try CLI.run(["check", "--color", "always", "topologies/invalid/duplicate-name/fires.yaml"])
        XCTAssertTrue(forced.stdout.contains("\u{1B}[1;31merror:"), forced.stdout)
        let never = try CLI.run(["check", "--color", "never", "topologies/invalid/duplicate-name/fires.yaml"], env: ["NO_COLOR": "1"])
        XCTAssertFalse(never.stdout.contains("\u{1B}["))
    }

    func testJSONFormat() throws {
        let r = try CLI.run(["check", "--format", "json", "topologies/invalid/duplicate-name/fires.yaml"])
        XCTAssertEqual(r.status, 1)
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(doc["errors"] as? Int, 1)
        let d = try XCTUnwrap((doc["diagnostics"] as? [[String: Any]])?.first)
        XCTAssertEqual(d["check"] as? String, "duplicate-name")
        XCTAssertEqual(d["line"] as? Int, 8)
        XCTAssertEqual(d["column"] as? Int, 12)
        XCTAssertEqual((d["notes"] as? [[String: Any]])?.first?["line"] as? Int, 5)
    }

    func testSARIFFormat() throws {
        let r = try CLI.run(["check", "--format", "sarif", "topologies/invalid/stream-id-alias/fires.yaml"])
        XCTAssertEqual(r.status, 1)
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(doc["version"] as? String, "2.1.0")
        let run = try XCTUnwrap((doc["runs"] as? [[String: Any]])?.first)
        let driver = try XCTUnwrap((run["tool"] as? [String: Any])?["driver"] as? [String: Any])
        let rules = try XCTUnwrap(driver["rules"] as? [[String: Any]])
        XCTAssertTrue(rules.contains { $0["id"] as? String == "stream-id-alias" })
        let result = try XCTUnwrap((run["results"] as? [[String: Any]])?.first)
        XCTAssertEqual(result["ruleId"] as? String, "stream-id-alias")
        XCTAssertEqual(result["level"] as? String, "error")
        let ruleIndex = try XCTUnwrap(result["ruleIndex"] as? Int)
        XCTAssertEqual(rules[ruleIndex]["id"] as? String, "stream-id-alias")
        let loc = try XCTUnwrap((result["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])
        XCTAssertEqual((loc["artifactLocation"] as? [String: Any])?["uri"] as? String, "topologies/invalid/stream-id-alias/fires.yaml")
        XCTAssertEqual((loc["region"] as? [String: Any])?["startLine"] as? Int, 25)
        XCTAssertEqual((result["relatedLocations"] as? [Any])?.count, 2)
    }

    func testGitHubAnnotations() throws {
        let r = try CLI.run(["check", "topologies/invalid/duplicate-name/fires.yaml"], env: ["GITHUB_ACTIONS": "true"])
        XCTAssertTrue(r.stdout.contains("::error file=topologies/invalid/duplicate-name/fires.yaml,line=8,col=12,"), r.stdout)
        XCTAssertTrue(r.stdout.contains("title=iotopo duplicate-name::"), r.stdout)
        XCTAssertFalse(try CLI.run(["check", "topologies/invalid/duplicate-name/fires.yaml"]).stdout.contains("::error"))
    }

    func testCompileWritesAModelThatChecksBack() throws {
        let dir = NSTemporaryDirectory() + "iotopo-e2e-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/model.json"
        let c = try CLI.run(["compile", "topologies/arm-soc/platform.yaml", "-o", out])
        XCTAssertEqual(c.status, 0, c.stderr)
        XCTAssertEqual(c.stdout, "")
        let written = try String(contentsOfFile: out, encoding: .utf8)
        let stdout = try CLI.run(["compile", "topologies/arm-soc/platform.yaml"])
        XCTAssertEqual(stdout.stdout, written, "-o and stdout give the same bytes")
        let back = try CLI.run(["check", out])
        XCTAssertEqual(back.status, 0, back.stdout)
        XCTAssertTrue(back.stdout.contains("ok (6 devices, 2 IOMMUs, 6 domains)"), back.stdout)
    }

    func testCompileWithErrorsWritesNothing() throws {
        let dir = NSTemporaryDirectory() + "iotopo-e2e-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/model.json"
        let c = try CLI.run(["compile", "topologies/invalid/memory-overlap/fires.yaml", "-o", out])
        XCTAssertEqual(c.status, 1)
        XCTAssertTrue(c.stderr.contains("[memory-overlap]"), c.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    func testChecksListsTheRegistry() throws {
        let r = try CLI.run(["checks"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.contains("memory-overlap"))
        XCTAssertTrue(r.stdout.split(separator: "\n").count > 50)
    }
}
