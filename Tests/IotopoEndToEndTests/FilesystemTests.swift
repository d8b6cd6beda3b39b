import Foundation
import XCTest

/// A real full disk and a real read-only mount, not injected faults: each test runs the
/// binary inside a mount namespace of its own (`unshare --user --map-root-user --mount`, so
/// no privileges are needed) on a small tmpfs it mounts there. Whatever iotopo writes
/// (compiled models, golden updates, JUnit reports) fails with a message naming the file and
/// the cause and a non-zero exit, and the old file survives whole. Skipped, saying why, on a
/// machine that does not allow user namespaces.
final class FilesystemTests: XCTestCase {
    var dir = ""
    let fm = FileManager.default

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "iotopo-fs-" + UUID().uuidString
        for sub in ["disk", "after"] { try fm.createDirectory(atPath: dir + "/" + sub, withIntermediateDirectories: true) }
    }

    override func tearDownWithError() throws { try? fm.removeItem(atPath: dir) }

    /// Runs `script` with sh in a new user and mount namespace. The script sees IOTOPO (the
    /// binary), ROOT (the package), D (the folder to mount on) and A (a folder outside the
    /// mount, for what it leaves for the test to read: the mount is gone when it ends).
    func inNamespace(_ script: String) throws -> CLI.Result {
        let probe = try run(["true"])
        guard probe.status == 0 else { throw XCTSkip("no user and mount namespaces here (unshare: \(probe.stderr))") }
        return try run(["sh", "-c", "set -u\nmount -t tmpfs -o size=1m none \"$D\" || exit 90\n" + script])
    }

    private func run(_ command: [String]) throws -> CLI.Result {
        guard fm.isExecutableFile(atPath: "/usr/bin/unshare") else { throw XCTSkip("/usr/bin/unshare is missing") }
        return try CLI.spawn("/usr/bin/unshare", ["--user", "--map-root-user", "--mount"] + command,
                             env: ["IOTOPO": CLI.binary, "ROOT": CLI.root, "D": dir + "/disk", "A": dir + "/after"])
    }

    func after(_ name: String) throws -> String { try String(contentsOfFile: dir + "/after/" + name, encoding: .utf8) }

    /// A small project (one workload, its golden saying something else) the script copies in.
    func makeProject() throws {
        let project = dir + "/project"
        try fm.createDirectory(atPath: project + "/topologies/p/workloads", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: project + "/golden/p/workloads", withIntermediateDirectories: true)
        for f in ["platform.yaml", "memory.yaml"] {
            try fm.copyItem(atPath: CLI.root + "/topologies/x86-server/" + f, toPath: project + "/topologies/p/" + f)
        }
        try """
        workload: {name: small, topology: ../platform.yaml}
        steps:
          - dma: {device: nvme0, op: read, address: 0x4000_0000, size: 64}
        """.write(toFile: project + "/topologies/p/workloads/small.yaml", atomically: true, encoding: .utf8)
        try "the old golden\n".write(toFile: project + "/golden/p/workloads/small.txt", atomically: true, encoding: .utf8)
    }

    func testAFullDiskLeavesTheOldModelWholeAndSaysSo() throws {
        let r = try inNamespace("""
        "$IOTOPO" compile -o "$D/model.json" "$ROOT/topologies/arm-soc/platform.yaml" || exit 91
        cp "$D/model.json" "$A/old.json"
        dd if=/dev/zero of="$D/fill" bs=4096 2>/dev/null
        "$IOTOPO" compile -o "$D/model.json" "$ROOT/topologies/x86-server/platform.yaml"
        echo $? > "$A/status"
        cp "$D/model.json" "$A/new.json"
        ls -A "$D" > "$A/listing"
        """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try after("status"), "1\n")
        XCTAssertTrue(r.stderr.contains("cannot write '\(dir)/disk/model.json': write failed: No space left on device"), r.stderr)
        XCTAssertEqual(try after("new.json"), try after("old.json"), "the old model survives whole")
        XCTAssertEqual(try after("listing"), "fill\nmodel.json\n", "no temporary file is left")
    }

    func testAFullDiskDuringAGoldenUpdateAndAReport() throws {
        try makeProject()
        let r = try inNamespace("""
        cp -R "$D/../project/." "$D/" || exit 91
        dd if=/dev/zero of="$D/fill" bs=4096 2>/dev/null
        cd "$D"
        "$IOTOPO" test --update=all topologies/p/workloads
        echo $? > "$A/update-status"
        "$IOTOPO" test --junit "$D/report.xml" topologies/p/workloads
        echo $? > "$A/report-status"
        cp golden/p/workloads/small.txt "$A/golden"
        ls -A "$D" "$D/golden/p/workloads" > "$A/listing"
        """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try after("update-status"), "1\n", r.stdout + r.stderr)
        XCTAssertTrue((r.stdout + r.stderr).contains("ERROR p/workloads/small: cannot write 'golden/p/workloads/small.txt': write failed: No space left on device"), r.stdout + r.stderr)
        XCTAssertEqual(try after("golden"), "the old golden\n")
        XCTAssertNotEqual(try after("report-status"), "0\n")
        XCTAssertTrue(r.stderr.contains("cannot write '\(dir)/disk/report.xml': write failed: No space left on device"), r.stderr)
        let listing = try after("listing")
        XCTAssertFalse(listing.contains(".tmp"), listing)
        XCTAssertFalse(listing.contains("report.xml"), listing)
    }

    func testAReadOnlyMountRefusesEveryWriteClearly() throws {
        try makeProject()
        let r = try inNamespace("""
        cp -R "$D/../project/." "$D/" || exit 91
        "$IOTOPO" compile -o "$D/model.json" "$ROOT/topologies/arm-soc/platform.yaml" || exit 92
        cp "$D/model.json" "$A/old.json"
        mount -o remount,ro "$D" || exit 93
        "$IOTOPO" compile -o "$D/model.json" "$ROOT/topologies/x86-server/platform.yaml"
        echo $? > "$A/compile-status"
        cd "$D"
        "$IOTOPO" test --update=all topologies/p/workloads
        echo $? > "$A/update-status"
        cp model.json "$A/new.json"
        cp golden/p/workloads/small.txt "$A/golden"
        """)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try after("compile-status"), "1\n")
        XCTAssertTrue(r.stderr.contains("cannot write '\(dir)/disk/model.json': cannot create a temporary file in '\(dir)/disk': Read-only file system"), r.stderr)
        XCTAssertEqual(try after("new.json"), try after("old.json"))
        XCTAssertEqual(try after("update-status"), "1\n", r.stdout + r.stderr)
        XCTAssertTrue((r.stdout + r.stderr).contains("ERROR p/workloads/small: cannot write 'golden/p/workloads/small.txt': cannot create a temporary file in 'golden/p/workloads': Read-only file system"), r.stdout + r.stderr)
        XCTAssertEqual(try after("golden"), "the old golden\n")
    }
}
