import Foundation
import XCTest

/// A pull request can carry any file, name or symbolic link (issue 17, docs/security.md).
/// Each test builds a small project in a temporary folder, beside a folder "outside" it
/// that holds a secret and files that must survive, and runs the real binary on it:
/// nothing outside the project is read, written or deleted, and what is refused says so.
final class HostileRepositoryTests: XCTestCase {
    var base = ""
    var project: String { base + "/project" }
    var outside: String { base + "/outside" }
    let fm = FileManager.default
    let secret = "SECRET-TOKEN-5f1e"
    /// Major 1, minor 3 (the null device), as glibc's makedev encodes small numbers.
    let nullDevice = dev_t((1 << 8) | 3)

    override func setUpWithError() throws {
        base = NSTemporaryDirectory() + "iotopo-hostile-" + UUID().uuidString
        for d in ["/project/topologies/p/workloads", "/project/golden/p", "/outside/folder"] {
            try fm.createDirectory(atPath: base + d, withIntermediateDirectories: true)
        }
        // A git repository: includes may lead anywhere inside it.
        try fm.createDirectory(atPath: project + "/.git", withIntermediateDirectories: true)
        try fm.copyItem(atPath: CLI.root + "/topologies/amd-desktop/platform.yaml", toPath: project + "/topologies/p/platform.yaml")
        try "\(secret)\n".write(toFile: outside + "/secret.txt", atomically: true, encoding: .utf8)
        try "keep me\n".write(toFile: outside + "/folder/keep.txt", atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws { try? fm.removeItem(atPath: base) }

    func link(_ at: String, to target: String) throws {
        try fm.createSymbolicLink(atPath: project + "/" + at, withDestinationPath: target)
    }

    func test(_ args: [String]) throws -> CLI.Result {
        try CLI.run(["test", "--color", "never"] + args, cwd: project)
    }

    // MARK: Writing and deleting (points 1 to 3)

    func testAnUpdateNeverWritesThroughAGoldenLinkOutOfTheRoot() throws {
        try link("golden/p/platform.summary.txt", to: outside + "/secret.txt")
        try link("golden/p/platform.reach.txt", to: "../../../outside/new.txt")
        let r = try test(["--update", "all", "topologies/p"])
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("golden/p/platform.summary.txt leads outside the project root"), r.stdout)
        XCTAssertTrue(r.stdout.contains("golden/p/platform.reach.txt leads outside the project root"), r.stdout)
        XCTAssertEqual(try String(contentsOfFile: outside + "/secret.txt", encoding: .utf8), "\(secret)\n", "the file outside is untouched")
        XCTAssertFalse(fm.fileExists(atPath: outside + "/new.txt"), "nothing is created outside")
        XCTAssertFalse(r.stdout.contains(secret), "the content outside is never shown")
        // The case without a link is still written.
        XCTAssertTrue(fm.fileExists(atPath: project + "/golden/p/platform.groups.txt"))
    }

    func testALinkInsideTheRootIsStillWrittenThrough() throws {
        // Issue 6: a golden that links to another file of the project is written through.
        try fm.createDirectory(atPath: project + "/golden/shared", withIntermediateDirectories: true)
        try "old\n".write(toFile: project + "/golden/shared/summary.txt", atomically: true, encoding: .utf8)
        try link("golden/p/platform.summary.txt", to: "../shared/summary.txt")
        let r = try test(["--update", "all", "topologies/p"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let dest = try fm.destinationOfSymbolicLink(atPath: project + "/golden/p/platform.summary.txt")
        XCTAssertEqual(dest, "../shared/summary.txt", "the link stays a link")
        XCTAssertTrue(try String(contentsOfFile: project + "/golden/shared/summary.txt", encoding: .utf8).contains("amd-desktop"))
    }

    func testNoFolderIsCreatedThroughAFolderLinkOutOfTheRoot() throws {
        try fm.removeItem(atPath: project + "/golden/p")
        try link("golden/p", to: outside + "/folder")
        let r = try test(["--update", "all", "topologies/p"])
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: outside + "/folder"), ["keep.txt"])
    }

    func testObsoleteDeletionNeverFollowsAFolderLinkOutOfTheRoot() throws {
        try link("golden/evil", to: outside + "/folder")
        try link("golden/p/evil-file.txt", to: outside + "/secret.txt")
        let r = try test(["--update", "all", "--obsolete", "delete"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: outside + "/folder"), ["keep.txt"], "nothing outside is deleted")
        XCTAssertEqual(try String(contentsOfFile: outside + "/secret.txt", encoding: .utf8), "\(secret)\n")
        // The links themselves are entries of the repository: they are what is deleted.
        XCTAssertTrue(r.stdout.contains("DELETED golden/evil: no case produces it"), r.stdout)
        XCTAssertFalse(fm.fileExists(atPath: project + "/golden/evil"))
        XCTAssertFalse(r.stdout.contains("keep.txt"), "the folder outside is not even listed")
    }

    func testAFolderLinkInsideTheRootNeverDeletesAGoldenInUse() throws {
        // golden/alias is golden/p by another name: its files are produced, so not obsolete;
        // and a link back up is no loop.
        try link("golden/alias", to: "p")
        try link("golden/p/loop", to: "..")
        XCTAssertEqual(try test(["--update", "all"]).status, 0)
        let r = try test(["--obsolete", "delete"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertFalse(r.stdout.contains("DELETED golden/alias/"), r.stdout)
        XCTAssertTrue(fm.fileExists(atPath: project + "/golden/p/platform.summary.txt"))
        XCTAssertEqual(try test([]).status, 0)
    }

    /// `--obsolete=delete` walked a folder link in golden/ wherever inside the root it led,
    /// and deleted what it found there as obsolete goldens: `golden/up -> ..` made it delete
    /// the repository's own files, a case's input among them (FuzzPaths finding 2). Only what
    /// lies in golden/ is an obsolete golden.
    func testObsoleteDeletionDeletesNothingOutsideTheGoldenFolder() throws {
        try link("golden/up", to: "..")
        try link("golden/p/inputs", to: "../../topologies/p")
        try "keep me\n".write(toFile: project + "/README.md", atomically: true, encoding: .utf8)
        let r = try test(["--update", "all", "--obsolete", "delete"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(fm.fileExists(atPath: project + "/README.md"), r.stdout)
        XCTAssertTrue(fm.fileExists(atPath: project + "/topologies/p/platform.yaml"), r.stdout)
        XCTAssertFalse(r.stdout.contains("DELETED golden/up/") || r.stdout.contains("DELETED golden/p/inputs/"), r.stdout)
        XCTAssertEqual(try test([]).status, 0, "nothing a case needs was deleted")
    }

    func testAFIFOOrACharacterDeviceIsWrittenInPlaceNeverReplaced() throws {
        let fifo = base + "/out.fifo"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        // A reader for the FIFO, as `-o >(wc -c)` or a named pipe to a collector would be:
        // opened without blocking, so that if the FIFO is replaced instead of written,
        // nothing waits for a writer that never comes. The model fits the pipe's buffer.
        let rfd = open(fifo, O_RDONLY | O_NONBLOCK)
        XCTAssertGreaterThanOrEqual(rfd, 0)
        defer { close(rfd) }
        let r = try CLI.run(["compile", "-o", fifo, "topologies/amd-desktop/platform.yaml"])
        var got = Data()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while case let n = read(rfd, &chunk, chunk.count), n > 0 { got.append(contentsOf: chunk[0 ..< n]) }
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(String(decoding: got, as: UTF8.self).contains("\"format\": \"iotopo-model\""))
        let type = try fm.attributesOfItem(atPath: fifo)[.type] as? FileAttributeType
        XCTAssertEqual(type, .typeUnknown, "still a FIFO (Foundation calls it unknown), not a regular file")
        XCTAssertNotEqual(type, .typeRegular)

        // A character device of our own (root can make one; /dev/null itself is never put at risk).
        let device = base + "/null"
        guard mknod(device, S_IFCHR | 0o666, nullDevice) == 0 else {
            print("note: mknod not permitted here; the character-device half of this test is skipped")
            return
        }
        let d = try CLI.run(["compile", "-o", device, "--format", "text", "topologies/amd-desktop/platform.yaml"])
        XCTAssertEqual(d.status, 0, d.stderr)
        XCTAssertEqual(try fm.attributesOfItem(atPath: device)[.type] as? FileAttributeType, .typeCharacterSpecial)
        // A golden must be a regular file: a device there is an error.
        try fm.removeItem(atPath: project + "/golden/p")
        try fm.createDirectory(atPath: project + "/golden/p", withIntermediateDirectories: true)
        XCTAssertEqual(mknod(project + "/golden/p/platform.summary.txt", S_IFCHR | 0o666, nullDevice), 0)
        let t = try test(["--update", "all", "topologies/p"])
        XCTAssertEqual(t.status, 1)
        XCTAssertTrue(t.stdout.contains("platform.summary.txt"), t.stdout)
        XCTAssertEqual(try fm.attributesOfItem(atPath: project + "/golden/p/platform.summary.txt")[.type] as? FileAttributeType, .typeCharacterSpecial)
    }

    // MARK: Reading (points 4 and 5)

    func testAGoldenLinkedOutOfTheRootIsNeverShown() throws {
        try link("golden/p/platform.summary.txt", to: "/proc/self/environ")
        try link("golden/p/platform.groups.txt", to: outside + "/secret.txt")
        let r = try CLI.run(["test", "--color", "never", "topologies/p"], env: ["IOTOPO_TEST_SECRET": secret], cwd: project)
        XCTAssertEqual(r.status, 1)
        XCTAssertFalse(r.stdout.contains(secret) || r.stderr.contains(secret), r.stdout)
        XCTAssertTrue(r.stdout.contains("ERROR p/platform.summary: golden/p/platform.summary.txt leads outside the project root"), r.stdout)
    }

    func testACaseInputLinkedOutOfTheRootIsNeverRead() throws {
        try link("topologies/p/workloads/leak.yaml", to: outside + "/secret.txt")
        let r = try test(["topologies/p/workloads"])
        XCTAssertEqual(r.status, 1)
        XCTAssertFalse(r.stdout.contains(secret), r.stdout)
        XCTAssertTrue(r.stdout.contains("topologies/p/workloads/leak.yaml leads outside the project root"), r.stdout)
        // A platform folder that is a link out is not even listed.
        try link("topologies/q", to: outside + "/folder")
        let q = try test([])
        XCTAssertEqual(q.status, 64, q.stdout + q.stderr)
        XCTAssertTrue(q.stderr.contains("'topologies/q' leads outside the project root"), q.stderr)
    }

    func testIncludesStayInsideTheRepository() throws {
        try link("topologies/p/token.yaml", to: outside + "/secret.txt")
        let leak = """
        platform: {name: leak}
        include:
          - /etc/passwd
          - ../../../outside/secret.txt
          - token.yaml
          - /proc/self/environ
        """
        try leak.write(toFile: project + "/topologies/p/leak.yaml", atomically: true, encoding: .utf8)
        let r = try CLI.run(["check", "--color", "never", "topologies/p/leak.yaml"], env: ["IOTOPO_TEST_SECRET": secret], cwd: project)
        XCTAssertEqual(r.status, 1)
        let out = r.stdout + r.stderr
        XCTAssertFalse(out.contains(secret) || out.contains("root:x:0:0"), out)
        for p in ["/etc/passwd", "../outside/secret.txt", "topologies/p/token.yaml", "/proc/self/environ"] {
            XCTAssertTrue(out.contains("'\(p)' leads outside the git repository holding 'topologies/p/leak.yaml', so it is not read; pass --allow-include-outside to allow it [invalid-include]"), p + ": " + out)
        }
        // The flag lifts it: the secret file is then read (and is no topology).
        let allowed = try CLI.run(["check", "--color", "never", "--allow-include-outside", "topologies/p/leak.yaml"], cwd: project)
        XCTAssertTrue(allowed.stdout.contains("../outside/secret.txt:1:1: error"), allowed.stdout)
        // Inside the repository, a folder above the root file's is fine.
        try "memory: []\n".write(toFile: project + "/shared.yaml", atomically: true, encoding: .utf8)
        try "platform: {name: ok}\ninclude: [../../shared.yaml]\n".write(toFile: project + "/topologies/p/ok.yaml", atomically: true, encoding: .utf8)
        let ok = try CLI.run(["check", "--color", "never", "topologies/p/ok.yaml"], cwd: project)
        XCTAssertFalse(ok.stdout.contains("invalid-include"), ok.stdout)
    }

    func testOutsideARepositoryTheRootFilesFolderIsTheLimit() throws {
        try fm.removeItem(atPath: project + "/.git")
        try "memory: []\n".write(toFile: project + "/topologies/shared.yaml", atomically: true, encoding: .utf8)
        try "platform: {name: x}\ninclude: [../shared.yaml]\n".write(toFile: project + "/topologies/p/x.yaml", atomically: true, encoding: .utf8)
        let r = try CLI.run(["check", "--color", "never", "topologies/p/x.yaml"], cwd: project)
        XCTAssertTrue(r.stdout.contains("'topologies/shared.yaml' leads outside the folder of 'topologies/p/x.yaml' (it is in no git repository)"), r.stdout)
    }

    func testAWorkloadsTopologyAndAModelsSourcesStayInside() throws {
        try """
        workload: {name: w, topology: \(outside)/secret.txt}
        steps: []
        """.write(toFile: project + "/topologies/p/workloads/w.yaml", atomically: true, encoding: .utf8)
        let r = try CLI.run(["run", "--color", "never", "topologies/p/workloads/w.yaml"], cwd: project)
        XCTAssertEqual(r.status, 1)
        XCTAssertFalse((r.stdout + r.stderr).contains(secret), r.stdout + r.stderr)
        XCTAssertTrue((r.stdout + r.stderr).contains("leads outside the git repository holding the workload 'topologies/p/workloads/w.yaml', so it is not read"), r.stdout + r.stderr)
        // --topology is the user's own choice, not the repository's.
        let given = try CLI.run(["run", "--color", "never", "--topology", "topologies/p/platform.yaml", "topologies/p/workloads/w.yaml"], cwd: project)
        XCTAssertEqual(given.status, 0, given.stdout + given.stderr)

        // A compiled model names its sources for snippets: one outside is not read.
        let m = try CLI.run(["compile", "-o", "model.json", "topologies/p/platform.yaml"], cwd: project)
        XCTAssertEqual(m.status, 0, m.stderr)
        var json = try String(contentsOfFile: project + "/model.json", encoding: .utf8)
        json = json.replacingOccurrences(of: "\"topologies/p/platform.yaml\"", with: "\"\(outside)/secret.txt\"")
        try json.write(toFile: project + "/model.json", atomically: true, encoding: .utf8)
        let c = try CLI.run(["check", "--color", "never", "-Werror", "model.json"], cwd: project)
        XCTAssertFalse((c.stdout + c.stderr).contains(secret), c.stdout)
    }

    // MARK: Device tree sources (found by FuzzPaths)

    /// The body of a small device tree, after the root node's opening line.
    let treeBody = "\t#address-cells = <2>;\n\t#size-cells = <2>;\n\tmemory@80000000 {\n\t\tdevice_type = \"memory\";\n\t\treg = <0x0 0x80000000 0x0 0x10000000>;\n\t};\n};\n"

    /// dtc reads whatever a source's `/include/` and `/incbin/` name, and those bytes reach
    /// the import: `model = /incbin/("../outside/secret")` became the imported topology's
    /// header comment ("device tree of SECRET..."), printed by `iotopo import` and by an
    /// import case's golden and diff. They are confined as includes are, before dtc runs.
    func testADeviceTreeSourceNamesNothingOutsideTheRepository() throws {
        try "/dts-v1/;\n/ {\n\tmodel = /incbin/(\"../../../outside/secret.txt\");\n\(treeBody)"
            .write(toFile: project + "/topologies/p/leak.dts", atomically: true, encoding: .utf8)
        try "/ {\n\tmodel = \"\(secret)\";\n};\n".write(toFile: outside + "/board.dtsi", atomically: true, encoding: .utf8)
        try "/dts-v1/;\n/include/ \"\(outside)/board.dtsi\"\n/ {\n\(treeBody)".write(toFile: project + "/topologies/p/abs.dts", atomically: true, encoding: .utf8)
        for (file, named, keyword) in [("leak.dts", "../../../outside/secret.txt", "/incbin/"), ("abs.dts", outside + "/board.dtsi", "/include/")] {
            let shown = "topologies/p/" + file
            let refusal = "'\(named)' (named by \(keyword) in '\(shown)') leads outside the git repository holding '\(shown)', so dtc is not run on it; pass --allow-include-outside to allow it [invalid-include]"
            for args in [["check", "--color", "never", shown], ["import", "--color", "never", shown]] {
                let r = try CLI.run(args, cwd: project)
                let out = r.stdout + r.stderr
                XCTAssertEqual(r.status, 1, out)
                XCTAssertFalse(out.contains(secret), out)
                XCTAssertTrue(out.contains(refusal), args.joined(separator: " ") + ": " + out)
            }
        }
        // The user's own choice lifts it, on both commands.
        let allowed = try CLI.run(["import", "--allow-include-outside", "topologies/p/abs.dts"], cwd: project)
        XCTAssertEqual(allowed.status, 0, allowed.stderr)
        XCTAssertTrue(allowed.stdout.contains("device tree of \(secret)"), allowed.stdout)
        XCTAssertEqual(try CLI.run(["check", "--allow-include-outside", "topologies/p/abs.dts"], cwd: project).status, 0)

        // An import case of `iotopo test`: its output is the import's, in the golden and the diff.
        try fm.createDirectory(atPath: project + "/topologies/import", withIntermediateDirectories: true)
        try "/dts-v1/;\n/ {\n\tmodel = /incbin/(\"/proc/self/cwd/../outside/secret.txt\");\n\(treeBody)"
            .write(toFile: project + "/topologies/import/m.txt", atomically: true, encoding: .utf8)
        let t = try test(["--update", "all", "topologies/import"])
        XCTAssertFalse(t.stdout.contains(secret), t.stdout)
        XCTAssertTrue(t.stdout.contains("'/proc/self/cwd/../outside/secret.txt' (named by /incbin/ in 'topologies/import/m.txt') leads outside the project root, so dtc is not run on it"), t.stdout)
        XCTAssertFalse(try String(contentsOfFile: project + "/golden/import/m.txt", encoding: .utf8).contains(secret))
    }

    /// dtc opens what `/include/` names as it is: a FIFO made it wait for a writer forever
    /// (CI hung). Only regular files may be named.
    func testADeviceTreeSourceNeverHasDtcWaitOnAFIFO() throws {
        let fifo = project + "/topologies/p/part.dtsi"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        try "/dts-v1/;\n/include/ \"part.dtsi\"\n/ {\n\(treeBody)".write(toFile: project + "/topologies/p/wait.dts", atomically: true, encoding: .utf8)
        // Should dtc wait on the FIFO, a writer comes and goes after 15 s, so the test fails
        // rather than hangs and leaves no dtc behind.
        DispatchQueue.global().asyncAfter(deadline: .now() + 15) {
            let fd = open(fifo, O_WRONLY | O_NONBLOCK)
            if fd >= 0 { close(fd) }
        }
        let start = Date()
        let r = try CLI.run(["check", "--color", "never", "topologies/p/wait.dts"], cwd: project)
        XCTAssertLessThan(Date().timeIntervalSince(start), 10, "dtc waited on the FIFO")
        XCTAssertEqual(r.status, 1, r.stdout + r.stderr)
        XCTAssertTrue((r.stdout + r.stderr).contains("'part.dtsi' (named by /include/ in 'topologies/p/wait.dts') is a FIFO (named pipe), not a regular file, so dtc is not run on it [invalid-include]"), r.stdout + r.stderr)
    }

    // MARK: Ctrl-C (point 9)

    func testCtrlCEndsATestWhoseCaseDoesNotStop() throws {
        // One case that compiles for many seconds and never polls: 300,000 generated devices
        // (about 30 s in a debug build). Only the watchdog prints the line checked below.
        try """
        platform: {name: big}
        memory:
          - {name: dram, kind: ram, base: 0, size: 4GiB}
        buses:
          - {name: pci0, kind: pcie, segment: 0, number: 0}
        devices:
          - count: 300000
            name: "d{i}"
            bus: pci0
            kind: nic
            rid: "00:00.0"
        """.write(toFile: project + "/topologies/p/platform.yaml", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = ["test", "--jobs", "1", "topologies/p"]
        p.currentDirectoryURL = URL(fileURLWithPath: project)
        var env = CLI.baseEnvironment
        env["IOTOPO_INTERRUPT_GRACE"] = "0.5"
        p.environment = env
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        Thread.sleep(forTimeInterval: 1)
        kill(p.processIdentifier, SIGINT)
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 130)
        XCTAssertTrue(String(decoding: e, as: UTF8.self).contains("were abandoned; no golden was written after it"), String(decoding: e, as: UTF8.self))
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: project + "/golden/p"), [], "nothing written")
    }
}
