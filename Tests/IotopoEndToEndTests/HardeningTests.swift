import Foundation
import XCTest

/// Faults the real binary must survive: a process killed at every step of a write, a write
/// that fails at every step, a folder it cannot write, Ctrl-C in the middle of a long run
/// and of a golden update. The old file survives whole, nothing half-written appears, and
/// the message names the file and the cause.
final class HardeningTests: XCTestCase {
    var dir = ""
    let fm = FileManager.default

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "iotopo-hardening-" + UUID().uuidString
        try fm.createDirectory(atPath: dir + "/out", withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? fm.removeItem(atPath: dir) }

    /// The visible files of the output folder (a hidden temporary file may stay after a kill).
    func visible() throws -> [String] {
        try fm.contentsOfDirectory(atPath: dir + "/out").filter { !$0.hasPrefix(".") }.sorted()
    }

    func all() throws -> [String] { try fm.contentsOfDirectory(atPath: dir + "/out").sorted() }

    func compile(_ topology: String, env: [String: String] = [:]) throws -> CLI.Result {
        try CLI.run(["compile", "-o", dir + "/out/model.json", "topologies/\(topology)/platform.yaml"], env: env)
    }

    func testAWriteKilledAtEveryStepLeavesTheOldFileOrTheNewOneWhole() throws {
        XCTAssertEqual(try compile("arm-soc").status, 0)
        let old = try String(contentsOfFile: dir + "/out/model.json", encoding: .utf8)
        XCTAssertEqual(try compile("x86-server").status, 0)
        let new = try String(contentsOfFile: dir + "/out/model.json", encoding: .utf8)
        for fault in ["kill-before-open", "kill-before-write", "kill-before-fsync", "kill-before-rename", "kill-after-rename"] {
            XCTAssertEqual(try compile("arm-soc").status, 0)
            let r = try compile("x86-server", env: ["IOTOPO_FAULT": fault])
            XCTAssertTrue(r.killed, "\(fault): \(r.status)")
            let now = try String(contentsOfFile: dir + "/out/model.json", encoding: .utf8)
            XCTAssertEqual(now, fault == "kill-after-rename" ? new : old, "\(fault): the file is one version or the other, whole")
            XCTAssertEqual(try visible(), ["model.json"], "\(fault): nothing half-written appears")
            // The next write cleans nothing up but is not disturbed by the leftover.
            for f in try all() where f.hasPrefix(".") { try fm.removeItem(atPath: dir + "/out/" + f) }
        }
    }

    func testAWriteThatFailsAtEveryStepSaysWhichFileAndWhy() throws {
        XCTAssertEqual(try compile("arm-soc").status, 0)
        let old = try String(contentsOfFile: dir + "/out/model.json", encoding: .utf8)
        let causes = ["fail-open": "cannot create a temporary file in", "fail-write": "write failed: No space left on device",
                      "fail-fsync": "fsync failed: Input/output error", "fail-rename": "rename failed:"]
        for (fault, cause) in causes.sorted(by: { $0.key < $1.key }) {
            let r = try compile("x86-server", env: ["IOTOPO_FAULT": fault])
            XCTAssertEqual(r.status, 1, fault)
            XCTAssertTrue(r.stderr.contains("cannot write '\(dir)/out/model.json': \(cause)"), "\(fault): \(r.stderr)")
            XCTAssertEqual(try String(contentsOfFile: dir + "/out/model.json", encoding: .utf8), old, fault)
            XCTAssertEqual(try all(), ["model.json"], "\(fault): the temporary file is removed")
        }
    }

    /// Standard output on a full disk (/dev/full: every write fails with ENOSPC): the command
    /// exits 1 and says why, instead of 0 with nothing written (issue 17, point 14). Help and
    /// version, written by the argument parser, are held to the same.
    func testAFullStandardOutputFailsTheCommand() throws {
        guard FileManager.default.fileExists(atPath: "/dev/full") else { throw XCTSkip("no /dev/full on this machine") }
        for args in [["compile", "topologies/x86-server/platform.yaml"], ["check", "topologies/x86-server/platform.yaml"],
                     ["groups", "topologies/arm-soc/platform.yaml"], ["--version"], ["check", "--help"]] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: CLI.binary)
            p.arguments = args
            p.currentDirectoryURL = URL(fileURLWithPath: CLI.root)
            p.environment = CLI.baseEnvironment
            p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: "/dev/full"))
            let err = Pipe()
            p.standardError = err
            try p.run()
            let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 1, "\(args): \(message)")
            XCTAssertTrue(message.contains("cannot write standard output: No space left on device"), "\(args): \(message)")
        }
        // On a working standard output, help still arrives whole.
        let r = try CLI.run(["check", "--help"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.hasPrefix("OVERVIEW:"), r.stdout)
    }

    func testAFolderThatCannotBeWrittenIsAClearError() throws {
        // /proc refuses new files even to root, unlike a chmod'ed folder.
        let r = try CLI.run(["compile", "-o", "/proc/iotopo-model.json", "topologies/arm-soc/platform.yaml"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("cannot write '/proc/iotopo-model.json': cannot create a temporary file in '/proc'"), r.stderr)
        let d = try CLI.run(["compile", "-o", dir + "/out", "topologies/arm-soc/platform.yaml"])
        XCTAssertEqual(d.status, 1)
        XCTAssertTrue(d.stderr.contains("is a directory"), d.stderr)
    }

    /// Runs a command, sends SIGINT once it has started, and collects what it printed.
    func interrupt(_ args: [String], cwd: String? = nil, after seconds: Double, env: [String: String] = [:]) throws -> CLI.Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: cwd ?? CLI.root)
        var e = CLI.baseEnvironment
        for (k, v) in env { e[k] = v }
        p.environment = e
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        Thread.sleep(forTimeInterval: seconds)
        kill(p.processIdentifier, SIGINT)
        let o = out.fileHandleForReading.readDataToEndOfFile(), e2 = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return CLI.Result(status: p.terminationStatus, killed: p.terminationReason == .uncaughtSignal,
                          stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e2, as: UTF8.self))
    }

    /// Runs a one-step workload on x86-server with `run --summary`, sends SIGINT after 1.5 s,
    /// and checks the run stopped cleanly with the summary of what ran.
    func assertCtrlCStopsRun(_ step: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let w = dir + "/long.yaml"
        try """
        workload: {name: long, topology: \(CLI.root)/topologies/x86-server/platform.yaml}
        steps:
          \(step)
        """.write(toFile: w, atomically: true, encoding: .utf8)
        // The workload names a topology outside its folder (in no repository): allowed here.
        let r = try interrupt(["run", "--summary", "--allow-include-outside", w], after: 1.5)
        XCTAssertFalse(r.killed, "SIGINT is handled, not fatal", file: file, line: line)
        XCTAssertEqual(r.status, 130, r.stdout + r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.contains("interrupted after "), r.stderr, file: file, line: line)
        XCTAssertTrue(r.stdout.hasPrefix("summary: "), "the summary of what ran is printed: \(r.stdout)", file: file, line: line)
    }

    func testCtrlCStopsALongRunWithAReportOfWhatRan() throws {
        try assertCtrlCStopsRun("""
        - dma: {device: nvme0, op: read, size: 64}
            random: {from: 0x4000_0000, to: 0x7fff_ffff, align: 64, count: 90_000_000, seed: 7}
        """)
    }

    /// One step repeated many times is as long a run as many steps. The `repeat` loops used
    /// to poll only between a step's instances, so `repeat: 100_000_000` ran to its end
    /// whatever the user pressed (RunnerTests checks every kind of step's loop).
    func testCtrlCStopsALongRepeatOfOneStep() throws {
        try assertCtrlCStopsRun("""
        - dma: {device: nvme0, op: read, address: 0x4000_0000, size: 64}
            repeat: 100_000_000
        """)
    }

    func testCtrlCDuringAnUpdateWritesNoPartialGolden() throws {
        // A project whose one slow case (a 60-million-step workload) runs while Ctrl-C arrives.
        let project = dir + "/project"
        try fm.createDirectory(atPath: project + "/topologies/p/workloads", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: project + "/golden/p/workloads", withIntermediateDirectories: true)
        try fm.copyItem(atPath: CLI.root + "/topologies/x86-server/platform.yaml", toPath: project + "/topologies/p/platform.yaml")
        try fm.copyItem(atPath: CLI.root + "/topologies/x86-server/memory.yaml", toPath: project + "/topologies/p/memory.yaml")
        try """
        workload: {name: slow, topology: ../platform.yaml}
        steps:
          - dma: {device: nvme0, op: read, size: 64}
            random: {from: 0x4000_0000, to: 0x7fff_ffff, align: 64, count: 60_000_000, seed: 7}
        """.write(toFile: project + "/topologies/p/workloads/slow.yaml", atomically: true, encoding: .utf8)
        let golden = project + "/golden/p/workloads/slow.txt"
        try "the old golden\n".write(toFile: golden, atomically: true, encoding: .utf8)
        let r = try interrupt(["test", "--update=all", "--jobs", "1", "topologies/p/workloads"], cwd: project, after: 1.5)
        XCTAssertEqual(r.status, 130, r.stdout + r.stderr)
        // The case stops at its next poll; on a slow build (a sanitizer) it may still be
        // compiling its platform, which does not poll, and the watchdog abandons it after
        // 2 s. Either way no golden is written.
        XCTAssertTrue(r.stderr.contains("interrupted: 0 of 1 cases ran; no golden was half-written")
            || r.stderr.contains("interrupted: cases still running 2 s after Ctrl-C were abandoned; no golden was written after it"), r.stderr)
        XCTAssertEqual(try String(contentsOfFile: golden, encoding: .utf8), "the old golden\n")
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: project + "/golden/p/workloads"), ["slow.txt"])
    }

    func testMissingUnreadableAndDirectoryInputs() throws {
        let missing = try CLI.run(["run", "no/such/workload.yaml"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue((missing.stdout + missing.stderr).contains("cannot read 'no/such/workload.yaml': no such file"), missing.stderr)
        let directory = try CLI.run(["groups", "topologies"])
        XCTAssertEqual(directory.status, 1)
        XCTAssertTrue(directory.stderr.contains("is a directory"), directory.stderr)
        let merge = try CLI.run(["merge-reports", "-o", dir + "/m.xml", "topologies"])
        XCTAssertEqual(merge.status, 1)
        XCTAssertTrue(merge.stderr.contains("cannot read 'topologies': is a directory"), merge.stderr)
    }

    /// An unreadable input, for real: root reads every file, so as root the binary runs as
    /// `nobody` (setpriv drops the user, group and supplementary groups).
    func testAnUnreadableInputIsAClearError() throws {
        let secret = dir + "/secret.yaml", root = dir + "/root.yaml"
        try "platform: {name: t}\n".write(toFile: secret, atomically: true, encoding: .utf8)
        try "platform: {name: t}\ninclude: [secret.yaml]\n".write(toFile: root, atomically: true, encoding: .utf8)
        chmod(secret, 0)
        func check(_ path: String) throws -> CLI.Result {
            guard getuid() == 0 else { return try CLI.run(["check", path]) }
            guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else { throw XCTSkip("running as root without setpriv") }
            return try CLI.run(["check", path], asNobody: true)
        }
        // `check` prints diagnostics on standard output.
        let direct = try check(secret)
        XCTAssertEqual(direct.status, 1, direct.stdout + direct.stderr)
        XCTAssertTrue(direct.stdout.contains("error: cannot read '\(secret)': permission denied [io-error]"), direct.stdout + direct.stderr)
        let included = try check(root)
        XCTAssertEqual(included.status, 1, included.stdout + included.stderr)
        XCTAssertTrue(included.stdout.contains("\(root):2:"), "located at the include: \(included.stdout)")
        XCTAssertTrue(included.stdout.contains("permission denied"), included.stdout)
    }
}
