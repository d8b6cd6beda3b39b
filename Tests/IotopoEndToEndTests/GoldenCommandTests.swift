import Foundation
import XCTest

/// `iotopo test` and `iotopo merge-reports` as CI and people run them, on a copy of the
/// project's topologies/ and golden/ in a temporary folder (the checkout is never touched).
final class GoldenCommandTests: XCTestCase {
    var dir = ""
    let fm = FileManager.default

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "iotopo-golden-" + UUID().uuidString
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for folder in ["topologies", "golden"] {
            try fm.copyItem(atPath: CLI.root + "/" + folder, toPath: dir + "/" + folder)
        }
    }

    override func tearDownWithError() throws { try? fm.removeItem(atPath: dir) }

    /// Runs `iotopo test ARGS` in the copy; CI mode unless `ci` is false.
    func test(_ args: [String], ci: Bool = true, env: [String: String] = [:]) throws -> CLI.Result {
        var e = env
        if ci { e["CI"] = "true" }
        return try CLI.run(["test"] + args, env: e, cwd: dir)
    }

    func read(_ relative: String) throws -> String { try String(contentsOfFile: dir + "/" + relative, encoding: .utf8) }
    func write(_ text: String, _ relative: String) throws { try text.write(toFile: dir + "/" + relative, atomically: false, encoding: .utf8) }
    func exists(_ relative: String) -> Bool { fm.fileExists(atPath: dir + "/" + relative) }

    /// Every file under a folder of the copy, hidden ones included, relative and sorted.
    func listing(_ relative: String) -> [String] {
        (fm.enumerator(atPath: dir + "/" + relative)?.allObjects as? [String] ?? []).sorted()
    }

    /// The case names and statuses of a `--format json` run.
    func cases(_ r: CLI.Result) throws -> [(name: String, status: String)] {
        let top = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout + r.stderr)
        let list = try XCTUnwrap(top["cases"] as? [[String: Any]])
        return list.map { ($0["name"] as? String ?? "", $0["status"] as? String ?? "") }
    }

    func obsolete(_ r: CLI.Result) throws -> [String] {
        let top = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout + r.stderr)
        return (top["obsolete"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
    }

    // MARK: Mismatches and updates

    func testTheBundledGoldensPass() throws {
        let r = try test([])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("iotopo test: "), r.stdout)
        XCTAssertTrue(r.stdout.contains(" passed"), r.stdout)
        XCTAssertEqual(r.stderr, "", "no progress on a pipe")
    }

    func testATamperedGoldenGivesADiffAndExitOne() throws {
        let golden = "golden/x86-server/workloads/basic.txt"
        let original = try read(golden)
        var lines = original.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[2] = "#3 something else entirely"
        try write(lines.joined(separator: "\n"), golden)
        let r = try test([])
        XCTAssertEqual(r.status, 1, r.stdout)
        XCTAssertTrue(r.stdout.contains("FAIL x86-server/workloads/basic: output differs from \(golden)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("--- \(golden)\n+++ output of topologies/x86-server/workloads/basic.yaml\n@@ -1,6 +1,6 @@\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("3   | - #3 something else entirely\n"), r.stdout)
        let third = original.split(separator: "\n")[2]
        XCTAssertTrue(r.stdout.contains("  3 | + \(third)\n"), r.stdout)
        XCTAssertFalse(r.stdout.contains("\u{1b}["), "no colour on a pipe")
        XCTAssertEqual(try read(golden), lines.joined(separator: "\n"), "CI mode never writes")

        // The report's order does not depend on scheduling.
        let oneThread = try test(["--jobs", "1"])
        XCTAssertEqual(oneThread.stdout, r.stdout)

        // A person accepts the change; the golden's mode is kept.
        chmod(dir + "/" + golden, 0o640)
        let u = try test(["--update=failed"], ci: false)
        XCTAssertEqual(u.status, 0, u.stdout)
        XCTAssertTrue(u.stdout.contains("UPDATED x86-server/workloads/basic"), u.stdout)
        XCTAssertEqual(try read(golden), original)
        let mode = try XCTUnwrap(try fm.attributesOfItem(atPath: dir + "/" + golden)[.posixPermissions] as? Int)
        XCTAssertEqual(mode, 0o640)
        XCTAssertEqual(try test([]).status, 0)
    }

    func testAFixtureOptionsLineWithAnUnknownWordShowsInTheDiff() throws {
        let fixture = "topologies/invalid/bad-size/fires.yaml"
        try write("# options: --Werror\n" + (try read(fixture)), fixture)
        let r = try test([fixture])
        XCTAssertEqual(r.status, 1, r.stdout)
        XCTAssertTrue(r.stdout.contains("FAIL invalid/bad-size/fires"), r.stdout)
        XCTAssertTrue(r.stdout.contains("+ \(fixture): fixture options: unknown option '--Werror' (known: -Werror, --disable ID, --max-file-size SIZE, --max-generated N)\n"), r.stdout)
    }

    /// A golden passes only when its bytes are the output's: Swift's String `==` (Unicode
    /// canonical equivalence) and reading with U+FFFD for invalid UTF-8 would each let a
    /// golden with other bytes pass.
    func testAGoldenMustMatchByteForByte() throws {
        // A key named café (é as U+00E9) is echoed by the unknown-key diagnostic.
        let fixture = "topologies/invalid/unicode-key/fires.yaml"
        let golden = "golden/invalid/unicode-key/fires.txt"
        try fm.createDirectory(atPath: dir + "/topologies/invalid/unicode-key", withIntermediateDirectories: true)
        try write((try read("topologies/invalid/bad-size/passes.yaml")) + "caf\u{E9}: 1\n", fixture)
        XCTAssertEqual(try test(["--update=new", fixture], ci: false).status, 0)
        let blessed = try read(golden)
        XCTAssertTrue(blessed.contains("caf\u{E9}"), blessed)
        XCTAssertEqual(try test([fixture]).status, 0)

        // The same text with é as e and U+0301: equal as Strings, not as bytes.
        try write(blessed.replacingOccurrences(of: "caf\u{E9}", with: "cafe\u{301}"), golden)
        let nfd = try test([fixture])
        XCTAssertEqual(nfd.status, 1, nfd.stdout)
        XCTAssertTrue(nfd.stdout.contains("FAIL invalid/unicode-key/fires: output differs from \(golden) (only in Unicode normalisation"), nfd.stdout)
        XCTAssertTrue(nfd.stdout.contains("| - "), "the diff shows the line")

        // U+FFFD in the output, invalid UTF-8 in the golden: equal once the golden is decoded.
        let bad = "golden/invalid/yaml-encoding/fires.txt"
        let original = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + bad))
        let fffd = Data([0xEF, 0xBF, 0xBD])
        let broken = Data(original.split(separator: fffd, omittingEmptySubsequences: false).joined(separator: Data([0xFF])))
        XCTAssertNotEqual(broken, original, "the golden has a U+FFFD to replace")
        try broken.write(to: URL(fileURLWithPath: dir + "/" + bad))
        let invalid = try test(["topologies/invalid/yaml-encoding/fires.yaml"])
        XCTAssertEqual(invalid.status, 1, invalid.stdout)
        XCTAssertTrue(invalid.stdout.contains("output differs from \(bad) (the golden is not valid UTF-8"), invalid.stdout)
        let fixed = try test(["--update=failed", "topologies/invalid/yaml-encoding/fires.yaml"], ci: false)
        XCTAssertEqual(fixed.status, 0, fixed.stdout)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/" + bad)), original)
    }

    func testAMissingGoldenFailsInCIAndIsCreatedWithUpdateNew() throws {
        let golden = "golden/invalid/bad-size/fires.txt"
        let original = try read(golden)
        try fm.removeItem(atPath: dir + "/" + golden)
        let r = try test([])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stdout.contains("MISSING invalid/bad-size/fires: no golden \(golden)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("@@ -0,0 +1,"), "the output to be read is shown")
        XCTAssertFalse(exists(golden))
        let refused = try test(["--update=new"])
        XCTAssertEqual(refused.status, 64, "CI never writes")
        XCTAssertTrue(refused.stderr.contains("never writes goldens in CI"), refused.stderr)
        XCTAssertFalse(exists(golden))
        let c = try test(["--update=new"], ci: false)
        XCTAssertEqual(c.status, 0, c.stdout)
        XCTAssertTrue(c.stdout.contains("CREATED invalid/bad-size/fires"), c.stdout)
        XCTAssertEqual(try read(golden), original)
        // --update=new leaves a differing golden alone.
        try write("changed\n", "golden/invalid/bad-size/passes.txt")
        let n = try test(["--update=new", "topologies/invalid/bad-size"], ci: false)
        XCTAssertEqual(n.status, 1)
        XCTAssertEqual(try read("golden/invalid/bad-size/passes.txt"), "changed\n")
    }

    // MARK: Obsolete goldens and shards

    func testAnObsoleteGoldenIsReportedInFilteredAndShardedRuns() throws {
        try write("left over\n", "golden/x86-server/workloads/retired.txt")
        // Filtered to cases elsewhere: still found, from the list of every case.
        let filtered = try test(["--format", "json", "topologies/invalid/bad-size"])
        XCTAssertEqual(filtered.status, 1, "obsolete fails by default in CI")
        XCTAssertEqual(try obsolete(filtered), ["golden/x86-server/workloads/retired.txt"])
        let regex = try test(["--filter", "^arm-soc/"])
        XCTAssertTrue(regex.stdout.contains("OBSOLETE golden/x86-server/workloads/retired.txt"), regex.stdout)
        // Sharded: exactly one shard of each split reports it.
        for n in [2, 3] {
            var reports = 0
            for i in 1 ... n {
                let r = try test(["--format", "json", "--shard", "\(i)/\(n)"])
                let o = try obsolete(r)
                reports += o.count
                if !o.isEmpty { XCTAssertEqual(r.status, 1) }
            }
            XCTAssertEqual(reports, 1, "\(n) shards")
        }
        // Outside CI it warns; --obsolete=delete removes it.
        let warn = try test([], ci: false)
        XCTAssertEqual(warn.status, 0, warn.stdout)
        XCTAssertTrue(warn.stdout.contains("OBSOLETE golden/x86-server/workloads/retired.txt"))
        XCTAssertEqual(try test(["--obsolete=delete"]).status, 64, "CI never deletes")
        let del = try test(["--obsolete=delete"], ci: false)
        XCTAssertEqual(del.status, 0)
        XCTAssertTrue(del.stdout.contains("DELETED golden/x86-server/workloads/retired.txt"), del.stdout)
        XCTAssertFalse(exists("golden/x86-server/workloads/retired.txt"))
        XCTAssertTrue(exists("golden/x86-server/workloads/basic.txt"))
    }

    func testTheUnionOfAllShardsIsEveryCaseOnce() throws {
        let everything = try cases(try test(["--format", "json"])).map(\.name)
        XCTAssertGreaterThan(everything.count, 100)
        for n in [1, 2, 5] {
            var seen: [String] = []
            for i in 1 ... n { seen += try cases(try test(["--format", "json", "--shard", "\(i)/\(n)"])).map(\.name) }
            XCTAssertEqual(seen.count, everything.count, "\(n) shards: no case twice")
            XCTAssertEqual(seen.sorted(), everything.sorted(), "\(n) shards: every case")
        }
        // Bazel's 0-based variables pick the same shard as --shard's 1-based one.
        let status = dir + "/shard-status"
        let bazel = try test(["--format", "json"], env: ["TEST_TOTAL_SHARDS": "3", "TEST_SHARD_INDEX": "0", "TEST_SHARD_STATUS_FILE": status])
        let flag = try test(["--format", "json", "--shard", "1/3"])
        XCTAssertEqual(try cases(bazel).map(\.name), try cases(flag).map(\.name))
        XCTAssertTrue(fm.fileExists(atPath: status), "the shard status file is touched")
        XCTAssertEqual(try test([], env: ["TEST_TOTAL_SHARDS": "3", "TEST_SHARD_INDEX": "3"]).status, 64)
    }

    // MARK: Interrupted writes

    func testAnUpdateKilledBetweenWriteAndRenameLeavesTheOldGolden() throws {
        let golden = "golden/arm-soc/platform.summary.txt"
        try write("the old golden, whole\n", golden)
        let before = listing("golden").filter { !($0 as NSString).lastPathComponent.hasPrefix(".") }
        let k = try test(["--update=failed", "--jobs", "1"], ci: false, env: ["IOTOPO_FAULT": "kill-before-rename"])
        XCTAssertTrue(k.killed, "the process died at the injected point: \(k.status) \(k.stdout)")
        XCTAssertEqual(k.status, SIGKILL)
        XCTAssertEqual(try read(golden), "the old golden, whole\n")
        XCTAssertEqual(listing("golden").filter { !($0 as NSString).lastPathComponent.hasPrefix(".") }, before,
                       "only a hidden temporary file may remain")

        // A failed rename is an error naming the file and the cause, and cleans up.
        let f = try test(["--update=failed"], ci: false, env: ["IOTOPO_FAULT": "fail-rename"])
        XCTAssertEqual(f.status, 1)
        XCTAssertTrue(f.stdout.contains("ERROR arm-soc/platform.summary: cannot write '\(golden)': rename failed"), f.stdout)
        XCTAssertEqual(try read(golden), "the old golden, whole\n")
        let leftovers = listing("golden/arm-soc").filter { $0.contains(".tmp-") }
        XCTAssertLessThanOrEqual(leftovers.count, 1, "the failed write removed its own temporary file; only the killed run's remains: \(leftovers)")

        // The next run still sees the old golden as what it is, and reports the killed
        // write's temporary file as a leftover, which --obsolete=delete removes.
        let again = try test([])
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stdout.contains("FAIL arm-soc/platform.summary"), again.stdout)
        let leftover = try XCTUnwrap(leftovers.first)
        XCTAssertTrue(again.stdout.contains("OBSOLETE golden/arm-soc/\(leftover): a temporary file left by an interrupted write; --obsolete=delete removes it"), again.stdout)
        XCTAssertTrue(again.stdout.contains("1 obsolete golden"), again.stdout)
        let clean = try test(["--obsolete=delete", "topologies/arm-soc/platform.yaml"], ci: false)
        XCTAssertTrue(clean.stdout.contains("DELETED golden/arm-soc/\(leftover): a temporary file left by an interrupted write"), clean.stdout)
        XCTAssertEqual(listing("golden/arm-soc").filter { $0.contains(".tmp-") }, [])
        XCTAssertEqual(try read(golden), "the old golden, whole\n")
    }

    // MARK: Reports

    func testJUnitValidatesAgainstTheSchema() throws {
        let xmllint = ["/usr/bin/xmllint", "/bin/xmllint"].first { fm.isExecutableFile(atPath: $0) }
        guard let xmllint else {
            if ProcessInfo.processInfo.environment["CI"] != nil { XCTFail("xmllint is missing: make test installs Debian's libxml2-utils") }
            throw XCTSkip("xmllint (Debian's libxml2-utils) is not installed; make test installs it")
        }
        try write("tampered <&> \"quoted\"\n", "golden/x86-server/workloads/basic.txt")
        try fm.removeItem(atPath: dir + "/golden/invalid/bad-size/fires.txt")
        try write("old\n", "golden/gone.txt")
        let r = try test(["--junit", "report.xml"])
        XCTAssertEqual(r.status, 1)
        let viaEnv = try test([], env: ["XML_OUTPUT_FILE": dir + "/bazel.xml"])
        XCTAssertEqual(viaEnv.status, 1)
        for report in ["report.xml", "bazel.xml"] {
            let v = Process()
            v.executableURL = URL(fileURLWithPath: xmllint)
            v.arguments = ["--noout", "--schema", CLI.root + "/Tests/IotopoEndToEndTests/Resources/junit.xsd", dir + "/" + report]
            let err = Pipe()
            v.standardError = err
            try v.run()
            let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            v.waitUntilExit()
            XCTAssertEqual(v.terminationStatus, 0, message)
        }
        let xml = try read("report.xml")
        XCTAssertEqual(xml, try read("bazel.xml"), "the same run gives the same bytes")
        XCTAssertTrue(xml.contains("<testcase name=\"workloads/basic\" classname=\"x86-server\""), xml)
        XCTAssertTrue(xml.contains("<failure message=\"output differs"), xml)
        XCTAssertTrue(xml.contains("- tampered &lt;&amp;&gt; &quot;quoted&quot;"), "the first hunk is in the message")
        XCTAssertTrue(xml.contains("<testcase name=\"golden/gone.txt\" classname=\"obsolete goldens\""), xml)
    }

    func testMergeReportsKeepsEveryCaseOnce() throws {
        try write("tampered\n", "golden/x86-server/workloads/basic.txt")
        var shards: [String] = []
        for i in 1 ... 3 {
            _ = try test(["--shard", "\(i)/3", "--junit", "shard\(i).xml"])
            shards.append(dir + "/shard\(i).xml")
        }
        _ = try test(["--junit", "whole.xml"])
        // The first shard twice: a retried CI job uploads its report again.
        let m = try CLI.run(["merge-reports", "-o", dir + "/merged.xml"] + shards + [shards[0]], cwd: dir)
        XCTAssertEqual(m.status, 0, m.stderr)
        let merged = try read("merged.xml")
        let whole = try read("whole.xml")
        func testcases(_ xml: String) -> [String] {
            // `<testcase name="..." classname="..." file=...`: the name and classname.
            xml.split(separator: "\n").filter { $0.contains("<testcase ") }.map { $0.components(separatedBy: " file=")[0].trimmingCharacters(in: .whitespaces) }.sorted()
        }
        XCTAssertEqual(testcases(merged), testcases(whole))
        XCTAssertEqual(Set(testcases(merged)).count, testcases(merged).count, "no case twice")
        XCTAssertTrue(merged.contains("failures=\"1\""), merged.prefix(300).description)
        let bad = try CLI.run(["merge-reports", "-o", dir + "/x.xml", dir + "/topologies/x86-server/platform.yaml"], cwd: dir)
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("not well-formed XML") || bad.stderr.contains("not a JUnit report"), bad.stderr)
        XCTAssertFalse(exists("x.xml"))
    }

    func testRepeatCatchesANondeterministicCase() throws {
        let env = ["IOTOPO_INJECT_NONDETERMINISM": "amd-desktop/platform.summary"]
        let r = try test(["--repeat", "3", "topologies/amd-desktop"], ci: false, env: env)
        XCTAssertEqual(r.status, 1, r.stdout)
        XCTAssertTrue(r.stdout.contains("NONDETERMINISTIC amd-desktop/platform.summary: 3 different outputs in 3 runs"), r.stdout)
        XCTAssertTrue(r.stdout.contains("--- first run\n+++ a later run\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("each case run 3 times"), r.stdout)
        let u = try test(["--repeat", "2", "--update=all", "topologies/amd-desktop"], ci: false, env: env)
        XCTAssertEqual(u.status, 1)
        XCTAssertEqual(try read("golden/amd-desktop/platform.summary.txt"), try String(contentsOfFile: CLI.root + "/golden/amd-desktop/platform.summary.txt", encoding: .utf8),
                       "a nondeterministic case's golden is never written")
        XCTAssertEqual(try test(["--repeat", "3", "topologies/amd-desktop"]).status, 0, "the real cases are deterministic")
    }

    func testGitHubAnnotationsAndStepSummary() throws {
        try write("tampered\n", "golden/x86-server/workloads/basic.txt")
        let summary = dir + "/step-summary.md"
        try write("earlier step\n", "step-summary.md")
        let r = try test([], env: ["GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stdout.contains("::error file=golden/x86-server/workloads/basic.txt,line=1,title=golden mismatch%3A x86-server/workloads/basic::"), r.stdout)
        let md = try read("step-summary.md")
        XCTAssertTrue(md.hasPrefix("earlier step\n### iotopo test\n"), md)
        XCTAssertTrue(md.contains("| `x86-server/workloads/basic` | failed |"), md)
    }

    func testMisuseExitsSixtyFour() throws {
        for args in [["--shard", "0/3"], ["--shard", "4/3"], ["--shard", "x"], ["--update=sometimes"], ["--obsolete=ignore"],
                     ["--filter", "("], ["--repeat", "0"], ["--jobs", "0"], ["topologies/no-such-platform"], ["--root", "no/such/dir"]] {
            let r = try test(args)
            XCTAssertEqual(r.status, 64, "\(args): \(r.stdout)\(r.stderr)")
            XCTAssertFalse(r.stderr.isEmpty, "\(args) says why")
        }
        XCTAssertEqual(try test(["--update=all"]).status, 64)
        // The --repeat limit (docs/limits.md): at the limit it runs, past it it is misuse.
        XCTAssertEqual(try test(["--repeat", "1001", "topologies/invalid/bad-size/fires.yaml"]).status, 64)
        let atLimit = try test(["--repeat", "1000", "topologies/invalid/bad-size/fires.yaml"])
        XCTAssertEqual(atLimit.status, 0, atLimit.stdout + atLimit.stderr)
        XCTAssertTrue(atLimit.stdout.contains("each case run 1000 times"), atLimit.stdout)
        XCTAssertEqual(try test(["--update=none"]).status, 0, "--update=none is allowed in CI")
    }
}
