import Foundation
import IotopoSource
import XCTest

/// Runs the built `iotopo` binary the way a user does, from the package root.
enum CLI {
    /// The package root, found from this file's path.
    static let root: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        while let last = parts.last, last != "Tests" { parts.removeLast() }
        parts.removeLast()
        return parts.joined(separator: "/")
    }()

    /// The executable, built beside the test bundle.
    static let binary: String = {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = testBinary.deletingLastPathComponent()
        // On Linux the bundle is an executable in the products folder; elsewhere a directory.
        if dir.lastPathComponent.hasSuffix(".xctest") { dir = dir.deletingLastPathComponent() }
        return dir.appendingPathComponent("iotopo").path
    }()

    /// The clean environment commands run in. Under `make sanitize` the binary is
    /// instrumented too: its sanitizer settings (suppression files) pass through.
    static var baseEnvironment: [String: String] {
        var e = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
        for k in ["ASAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS", "UBSAN_OPTIONS"] {
            if let v = ProcessInfo.processInfo.environment[k] { e[k] = v }
        }
        return e
    }

    struct Result {
        /// The exit status, or the signal's number when `killed`.
        var status: Int32
        /// Whether a signal ended the process.
        var killed = false
        var stdout: String
        var stderr: String
    }

    /// Runs `iotopo args...` in `cwd` (the package root by default) with a clean environment
    /// plus `env`; with `asNobody` (for a test running as root), as the user nobody.
    static func run(_ args: [String], env: [String: String] = [:], cwd: String? = nil, stdin: String? = nil, asNobody: Bool = false) throws -> Result {
        asNobody
            ? try spawn("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", binary] + args, env: env, cwd: cwd, stdin: stdin)
            : try spawn(binary, args, env: env, cwd: cwd, stdin: stdin)
    }

    /// Runs `executable args...` as `run` does iotopo: the clean environment plus `env`,
    /// `cwd` (the package root by default), both outputs collected.
    static func spawn(_ executable: String, _ args: [String], env: [String: String] = [:], cwd: String? = nil, stdin: String? = nil) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: cwd ?? root)
        var environment = baseEnvironment
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = inp
        try p.run()
        if let stdin { inp.fileHandleForWriting.write(Data(stdin.utf8)) }
        try inp.fileHandleForWriting.close()
        // Read both pipes before waiting so a large output cannot fill a pipe and stall.
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, killed: p.terminationReason == .uncaughtSignal, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }
}

/// Golden files for end-to-end output, Go style: compare, show the first differing line;
/// `IOTOPO_UPDATE_GOLDEN=1` rewrites. A missing golden is recorded and the test still fails,
/// so nothing is accepted unread; under `CI` nothing is ever written.
enum Golden {
    static func check(_ actual: String, against relative: String, file: StaticString = #filePath, line: UInt = #line) {
        let path = CLI.root + "/" + relative
        let env = ProcessInfo.processInfo.environment
        let expected = try? String(contentsOfFile: path, encoding: .utf8)
        if expected == actual { return }
        let mayWrite = env["CI"] == nil
        if env["IOTOPO_UPDATE_GOLDEN"] == "1" && mayWrite {
            write(actual, to: path)
            return
        }
        guard let expected else {
            if mayWrite { write(actual, to: path) }
            XCTFail("golden \(relative) was missing" + (mayWrite ? "; recorded it: read it, then re-run" : " (CI: not written)"), file: file, line: line)
            return
        }
        let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
        let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let n = zip(a, e).prefix { $0 == $1 }.count
        XCTFail("""
        \(relative) differs at line \(n + 1):
          golden: \(n < e.count ? String(e[n]) : "<end of file>")
          actual: \(n < a.count ? String(a[n]) : "<end of file>")
        (IOTOPO_UPDATE_GOLDEN=1 rewrites it once you have read the change)
        """, file: file, line: line)
    }

    static func write(_ text: String, to path: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try AtomicWriter.write(text, to: path)
        } catch {
            XCTFail("could not write golden: \(error)", file: file, line: line)
        }
    }
}
