import Foundation
@testable import IotopoGolden
import IotopoSource
import XCTest

final class ShardTests: XCTestCase {
    func testFNV1aTestVectors() {
        // The published FNV-1a 64-bit vectors: the assignment is fixed forever.
        XCTAssertEqual(Shard.fnv1a64(""), 0xCBF2_9CE4_8422_2325)
        XCTAssertEqual(Shard.fnv1a64("a"), 0xAF63_DC4C_8601_EC8C)
        XCTAssertEqual(Shard.fnv1a64("foobar"), 0x8594_4171_F739_67E8)
    }

    func testShardsPartitionTheCases() throws {
        let names = (0 ..< 300).map { "p\($0 % 7)/workloads/w\($0)" }
        for n in 1 ... 9 {
            var seen: [String: Int] = [:]
            for i in 0 ..< n {
                let s = try XCTUnwrap(Shard(index: i, count: n))
                for name in names where s.contains(name) { seen[name, default: 0] += 1 }
            }
            XCTAssertEqual(seen.count, names.count, "\(n) shards cover every case")
            XCTAssertTrue(seen.values.allSatisfy { $0 == 1 }, "\(n) shards: no case twice")
        }
    }

    func testParsing() {
        XCTAssertEqual(Shard(oneBased: "1/3"), Shard(index: 0, count: 3))
        XCTAssertEqual(Shard(oneBased: "3/3")?.description, "3/3")
        for bad in ["0/3", "4/3", "1/0", "a/b", "1", "1/2/3", "-1/2", ""] { XCTAssertNil(Shard(oneBased: bad), bad) }
    }
}

final class DiscoveryTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "iotopo-discovery-" + UUID().uuidString
        for (path, text) in [
            ("topologies/zeta/platform.yaml", "platform: {name: zeta}\n"),
            ("topologies/zeta/workloads/b.yaml", ""), ("topologies/zeta/workloads/a.yaml", ""),
            ("topologies/zeta/workloads/notes.md", ""), ("topologies/zeta/workloads/.hidden.yaml", ""),
            ("topologies/zeta/variants/v1.yaml", ""),
            ("topologies/alpha/platform.yaml", ""), ("topologies/alpha/board.yaml", ""),
            ("topologies/invalid/some-check/fires.yaml", ""), ("topologies/invalid/some-check/fires-more.yaml", ""),
            ("topologies/invalid/some-check/passes.yaml", ""), ("topologies/invalid/some-check/passes.json", ""),
            ("topologies/invalid/some-check/helper.yaml", ""), ("topologies/invalid/some-check/fires.expect", ""),
            ("golden/zeta/workloads/a.txt", ""), ("golden/old/thing.txt", ""), ("golden/.gitkeep", ""),
        ] {
            let p = root + "/" + path
            try FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: p, atomically: false, encoding: .utf8)
        }
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: root) }

    func testEveryCaseIsFoundInByteOrder() throws {
        let cases = try CaseDiscovery.discover(root: root)
        XCTAssertEqual(cases.map(\.name), [
            "alpha/platform.groups", "alpha/platform.reach", "alpha/platform.summary",
            "invalid/some-check/fires", "invalid/some-check/fires-more", "invalid/some-check/passes", "invalid/some-check/passes.json",
            "zeta/platform.groups", "zeta/platform.reach", "zeta/platform.summary", "zeta/variants/v1", "zeta/workloads/a", "zeta/workloads/b",
        ])
        XCTAssertEqual(cases.first { $0.name == "zeta/variants/v1" }?.kind, .diff)
        XCTAssertEqual(cases.first { $0.name == "zeta/platform.reach" }?.input, "topologies/zeta/platform.yaml")
        let a = try XCTUnwrap(cases.first { $0.name == "zeta/workloads/a" })
        XCTAssertEqual(a.kind, .workload)
        XCTAssertEqual(a.input, "topologies/zeta/workloads/a.yaml")
        XCTAssertEqual(a.golden, "golden/zeta/workloads/a.txt")
        XCTAssertEqual(a.suite, "zeta")
        XCTAssertEqual(a.title, "workloads/a")
        let f = try XCTUnwrap(cases.first { $0.name == "invalid/some-check/passes.json" })
        XCTAssertEqual(f.kind, .fixture)
        XCTAssertEqual(f.suite, "invalid/some-check")
        XCTAssertEqual(f.title, "passes.json")
        XCTAssertEqual(f.golden, "golden/invalid/some-check/passes.json.txt")
        XCTAssertEqual(CaseDiscovery.goldenFiles(root: root, confinedTo: PathConfinement(folder: root)!), ["golden/old/thing.txt", "golden/zeta/workloads/a.txt"])
    }

    func testTwoInputsForOneGoldenAreRefused() throws {
        try "".write(toFile: root + "/topologies/invalid/some-check/passes.json.yaml", atomically: false, encoding: .utf8)
        XCTAssertThrowsError(try CaseDiscovery.discover(root: root)) { e in
            XCTAssertTrue("\(e)".contains("would share the golden 'golden/invalid/some-check/passes.json.txt'"), "\(e)")
        }
    }

    func testNoTopologiesFolderIsAnError() {
        XCTAssertThrowsError(try CaseDiscovery.discover(root: root + "/golden"))
    }

    func testSelectionByPathGoldenAndFilter() throws {
        let cases = try CaseDiscovery.discover(root: root)
        func names(_ s: CaseSelection) -> [String] { cases.filter(s.contains).map(\.name) }
        XCTAssertEqual(names(CaseSelection(paths: ["topologies/zeta/workloads"])), ["zeta/workloads/a", "zeta/workloads/b"])
        XCTAssertEqual(names(CaseSelection(paths: ["./golden/zeta/workloads/b.txt"])), ["zeta/workloads/b"])
        XCTAssertEqual(names(CaseSelection(paths: ["topologies/zeta/"])),
                       ["zeta/platform.groups", "zeta/platform.reach", "zeta/platform.summary", "zeta/variants/v1", "zeta/workloads/a", "zeta/workloads/b"])
        XCTAssertEqual(names(CaseSelection(paths: ["topologies/zet"])), [], "a path selects whole folders, not name prefixes")
        XCTAssertEqual(names(CaseSelection(filter: { $0.hasSuffix("summary") })), ["alpha/platform.summary", "zeta/platform.summary"])
        XCTAssertEqual(names(CaseSelection(paths: ["golden/zeta/platform.reach.txt"])), ["zeta/platform.reach"])
        XCTAssertEqual(CaseSelection(paths: ["topologies/zeta", "topologies/nope"]).unmatchedPaths(in: cases), ["topologies/nope"])
    }
}

final class ReportFormatTests: XCTestCase {
    static func report() -> GoldenReport {
        var r = GoldenReport()
        let bad = GoldenCase(name: "plat/workloads/w<1>", kind: .workload, input: "topologies/plat/workloads/w<1>.yaml")
        let good = GoldenCase(name: "plat/platform.summary", kind: .summary, input: "topologies/plat/platform.yaml")
        let fixture = GoldenCase(name: "invalid/some-check/fires", kind: .fixture, input: "topologies/invalid/some-check/fires.yaml")
        r.outcomes = [
            CaseOutcome(case: fixture, status: .missing, output: "x\n", diff: TextDiff(old: "", new: "x\n"), message: "no golden"),
            CaseOutcome(case: good, status: .passed, output: "", diff: nil, message: "matches"),
            CaseOutcome(case: bad, status: .failed, output: "", diff: TextDiff(old: "a & b\n", new: "a < \"b\" \u{1b}[0m\n"), message: "output differs"),
        ]
        r.obsolete = [ObsoleteGolden(path: "golden/gone.txt")]
        r.obsoleteMode = .fail
        r.selected = 3
        r.total = 3
        return r
    }

    func testJUnitIsWellFormedAndCarriesTheDiff() throws {
        let xml = JUnit.render(Self.report())
        let tree = try XMLReader.parse(Data(xml.utf8))
        XCTAssertEqual(tree.name, "testsuites")
        XCTAssertEqual(tree.attribute("tests"), "4")
        XCTAssertEqual(tree.attribute("failures"), "3")
        let suites = tree.children.map { $0.attribute("name") ?? "" }
        XCTAssertEqual(suites, ["invalid/some-check", "plat", "obsolete goldens"])
        let plat = tree.children[1]
        let failing = try XCTUnwrap(plat.children.first { $0.attribute("name") == "workloads/w<1>" })
        XCTAssertEqual(failing.attribute("classname"), "plat")
        let failure = try XCTUnwrap(failing.children.first { $0.name == "failure" })
        XCTAssertTrue(failure.attribute("message")?.contains("- a & b") == true, "\(failure)")
        XCTAssertTrue(failure.attribute("message")?.contains("+ a < \"b\" ^[[0m") == true, "escape characters XML cannot hold are shown")
        XCTAssertNotNil(failing.children.first { $0.name == "system-out" })
        XCTAssertFalse(xml.contains("time="), "no times: the same run gives the same bytes")
        XCTAssertEqual(xml, JUnit.render(Self.report()))
    }

    func testMergeKeepsEachCaseOnceAndTheFailingSideOfAConflict() throws {
        let a = JUnit.render(Self.report())
        var passing = Self.report()
        passing.outcomes[2].status = .passed
        passing.outcomes[2].diff = nil
        passing.obsolete = []
        let b = JUnit.render(passing)
        let merged = try JUnit.merge([("a.xml", Data(a.utf8)), ("b.xml", Data(b.utf8)), ("a2.xml", Data(a.utf8))])
        XCTAssertEqual(merged.conflicts, ["plat workloads/w<1>"])
        let tree = try XMLReader.parse(Data(merged.xml.utf8))
        XCTAssertEqual(tree.attribute("tests"), "4", "four distinct cases")
        XCTAssertEqual(tree.attribute("failures"), "3", "the failing run of the conflicting case is kept")
        XCTAssertThrowsError(try JUnit.merge([("bad.xml", Data("<testsuites><oops".utf8))])) { e in
            XCTAssertTrue("\(e)".hasPrefix("bad.xml: not well-formed XML"), "\(e)")
        }
        XCTAssertThrowsError(try JUnit.merge([("html.xml", Data("<html/>".utf8))]))
    }

    func testGitHubAnnotationsAreLimitedPerKind() {
        var r = Self.report()
        let template = r.outcomes[2]
        r.outcomes = (0 ..< 13).map { i in
            var o = template
            o.case = GoldenCase(name: "plat/workloads/w\(i)", kind: .workload, input: "topologies/plat/workloads/w\(i).yaml")
            return o
        }
        let text = GitHubReport.annotations(r, limit: 10)
        let lines = text.split(separator: "\n")
        XCTAssertEqual(lines.filter { $0.hasPrefix("::error file=golden/plat/workloads/w") }.count, 10)
        XCTAssertTrue(text.contains("::warning title=golden mismatch%3A 3 more::3 more not annotated here; the job summary lists all 13\n"), text)
        XCTAssertTrue(lines.contains { $0.hasPrefix("::error file=golden/gone.txt,title=obsolete golden::") }, text)
        XCTAssertTrue(lines.allSatisfy { !$0.isEmpty }, "a multi-line message is one escaped line")
        let summary = GitHubReport.stepSummary(r)
        XCTAssertEqual(summary.components(separatedBy: "<details>").count - 1, 13, "the step summary lists every case")
    }

    func testJSONSummaryCounts() throws {
        let json = GoldenText.json(Self.report())
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        XCTAssertEqual(object["exit"] as? Int, 1)
        let counts = try XCTUnwrap(object["counts"] as? [String: Int])
        XCTAssertEqual(counts["failed"], 1)
        XCTAssertEqual(counts["missing"], 1)
        XCTAssertEqual(counts["passed"], 1)
        XCTAssertEqual(counts["obsolete"], 1)
    }

    func testExitCodes() {
        var r = Self.report()
        XCTAssertEqual(r.exitCode, 1)
        r.outcomes = r.outcomes.filter { $0.status == .passed }
        XCTAssertEqual(r.exitCode, 1, "an obsolete golden fails under --obsolete=fail")
        r.obsoleteMode = .warn
        XCTAssertEqual(r.exitCode, 0)
        r.interrupted = true
        XCTAssertEqual(r.exitCode, 130)
    }
}
