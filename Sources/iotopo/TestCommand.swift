import ArgumentParser
import Foundation
import IotopoCompiler
import IotopoGolden
import IotopoReport
import IotopoSource
import Synchronization

extension UpdateMode: ExpressibleByArgument {}
extension ObsoleteMode: ExpressibleByArgument {}

/// Report formats of `test`.
enum TestFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// `iotopo test [PATH...]`: every golden case, in parallel, against its golden file.
struct Test: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run every golden case (platform summaries, groups and reach, variant diffs, workloads, invalid fixtures) and compare with golden/.",
        discussion: """
        Cases are found from the layout of topologies/ (docs/golden.md). A mismatch prints a diff; \
        goldens are written only when --update asks, and never when the CI environment variable \
        is set. Exit status: 0 every case passed; 1 a mismatch, a missing, nondeterministic or \
        unwritable golden, or an obsolete golden under --obsolete=fail; 64 misuse; 130 interrupted.

        Environment: CI (no writes; --obsolete defaults to fail), GITHUB_ACTIONS=true \
        (annotations), GITHUB_STEP_SUMMARY (the full list), TEST_TOTAL_SHARDS and \
        TEST_SHARD_INDEX (Bazel's 0-based sharding; TEST_SHARD_STATUS_FILE is touched), \
        XML_OUTPUT_FILE (where the JUnit report goes unless --junit says), NO_COLOR.
        """
    )

    @Argument(help: "Run only the cases under these paths (inputs under topologies/ or goldens under golden/, files or folders).")
    var paths: [String] = []

    @Option(help: ArgumentHelp("Run only the cases whose name matches this regular expression.", valueName: "regex"))
    var filter: String?

    @Option(help: ArgumentHelp("Which goldens to write: none, new (missing ones), failed (those that differ) or all (both). Default none; only none when CI is set.", valueName: "mode"))
    var update: UpdateMode?

    @Option(help: ArgumentHelp("Goldens no case produces: fail, warn or delete. Default fail when CI is set, warn otherwise.", valueName: "mode"))
    var obsolete: ObsoleteMode?

    @Option(name: .customLong("repeat"), help: ArgumentHelp("Run each case N times (1 to 1000) in different orders and threads, and fail any case whose output changes.", valueName: "n"))
    var repeatCount = 1

    @Option(help: ArgumentHelp("Worker threads (default: every core).", valueName: "n"))
    var jobs: Int?

    @Option(help: ArgumentHelp("Run one shard of the cases: i/n, 1-based (cases are assigned by a stable hash of their name).", valueName: "i/n"))
    var shard: String?

    @Option(help: ArgumentHelp("Write a JUnit XML report here (default: $XML_OUTPUT_FILE when set).", valueName: "file"))
    var junit: String?

    @Option(help: "text (diffs and a summary) or json (a machine summary).")
    var format: TestFormat = .text

    @Option(help: ArgumentHelp("The project root, holding topologies/ and golden/.", valueName: "dir"))
    var root = "."

    @OptionGroup var styleOptions: StyleOptions

    /// Whether CI is set (to anything but empty, 0 or false).
    static var isCI: Bool {
        guard let v = Environment.value("CI") else { return false }
        return !["", "0", "false", "no"].contains(v.lowercased())
    }

    func validate() throws {
        // docs/limits.md: enough rounds to shake out a rare ordering, never a run that
        // cannot end.
        if repeatCount < 1 || repeatCount > GoldenRunOptions.maxRepeat {
            throw ValidationError("--repeat must be from 1 to \(GoldenRunOptions.maxRepeat)")
        }
        if let j = jobs, j < 1 { throw ValidationError("--jobs must be at least 1") }
        if let s = shard, Shard(oneBased: s) == nil { throw ValidationError("--shard '\(s)' is not i/n with 1 <= i <= n (for example 2/4)") }
        if let f = filter, (try? NSRegularExpression(pattern: f)) == nil { throw ValidationError("--filter '\(f)' is not a regular expression") }
        if Self.isCI {
            if let u = update, u != .none {
                throw ValidationError("CI is set: iotopo test never writes goldens in CI, so --update=\(u.rawValue) is refused (run it without CI, read the diff, commit the goldens)")
            }
            if obsolete == .delete { throw ValidationError("CI is set: iotopo test never deletes goldens in CI, so --obsolete=delete is refused") }
        }
    }

    /// The shard from --shard, or from Bazel's variables.
    func chosenShard() throws -> Shard? {
        if let s = shard { return Shard(oneBased: s) }
        guard let total = Environment.value("TEST_TOTAL_SHARDS"), let index = Environment.value("TEST_SHARD_INDEX") else { return nil }
        guard let n = Int(total), let i = Int(index), let s = Shard(index: i, count: n) else {
            throw ValidationError("TEST_TOTAL_SHARDS=\(total) and TEST_SHARD_INDEX=\(index) do not name a shard (0 <= index < total)")
        }
        // Bazel asks a test runner to touch this file to show it understood sharding.
        if let status = Environment.value("TEST_SHARD_STATUS_FILE"), !status.isEmpty {
            _ = FileManager.default.createFile(atPath: status, contents: nil)
        }
        return s
    }

    func run() throws {
        let shard = try chosenShard()
        let junitPath = junit ?? Environment.value("XML_OUTPUT_FILE").flatMap { $0.isEmpty ? nil : $0 }
        // Report paths given relative to where the command started stay valid after the
        // move to the root.
        let startDir = FileManager.default.currentDirectoryPath
        let reportPath = junitPath.map { $0.hasPrefix("/") ? $0 : startDir + "/" + $0 }
        guard FileManager.default.changeCurrentDirectoryPath(root) else {
            throw ValidationError("cannot enter --root '\(root)'")
        }
        let all: [GoldenCase]
        do {
            all = try CaseDiscovery.discover(root: ".")
        } catch {
            Output.say("error: \(error.description)")
            throw ExitCode(64)
        }
        let regex = filter.flatMap { try? NSRegularExpression(pattern: $0) }
        let selection = CaseSelection(paths: paths.map { relativeToRoot($0, startDir: startDir) }, filter: regex.map { r in
            { name in r.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil }
        })
        let unmatched = selection.unmatchedPaths(in: all)
        if !unmatched.isEmpty {
            Output.say("error: no case under \(unmatched.map { "'\($0)'" }.joined(separator: ", ")) (cases are the platforms, workloads and fixtures under topologies/; see docs/golden.md)")
            throw ExitCode(64)
        }
        var selected = all.filter(selection.contains)
        if let s = shard { selected = selected.filter { s.contains($0.name) } }

        var options = GoldenRunOptions()
        options.update = update ?? .none
        options.obsolete = obsolete ?? (Self.isCI ? .fail : .warn)
        options.repeatCount = repeatCount
        if let j = jobs { options.jobs = j }
        options.shard = shard

        // Ctrl-C asks the cases to stop; they poll it between cases and inside workloads.
        // A case busy elsewhere (compiling a huge file) is abandoned by the watchdog after
        // a grace period, and a second Ctrl-C ends the process at once. Goldens are written
        // only after every case has rendered, and never once Ctrl-C came, so abandoning
        // cases never leaves a golden half-written.
        signal(SIGINT) { _ in
            if interruptFlag.exchange(1, ordering: .relaxed) != 0 { _exit(130) }
        }
        let watchdog = InterruptWatchdog(grace: InterruptWatchdog.defaultGrace)
        let progress = isatty(2) == 1
        let report = GoldenRunner().run(selected, all: all, options: options, progress: { done, total, name in
            // The name is a file name: shown, so it cannot move the cursor or end the line.
            if progress { Output.err("\r\u{1B}[K[\(done)/\(total)] \(TerminalText.visible(name))") }
        }, shouldStop: { interruptRequested })
        watchdog.finish()
        if progress { Output.err("\r\u{1B}[K") }

        let github = Environment.value("GITHUB_ACTIONS") == "true"
        switch format {
        case .text:
            Output.out(GoldenText.render(report, style: styleOptions.style(fd: 1)))
            if github { Output.out(GitHubReport.annotations(report)) }
        case .json:
            Output.out(GoldenText.json(report))
            if github { Output.err(GitHubReport.annotations(report)) }
        }
        var status = report.exitCode
        if github, let summary = Environment.value("GITHUB_STEP_SUMMARY"), !summary.isEmpty {
            // The step summary is one file the whole job step appends to; appending is its
            // documented use (a rename would drop what earlier commands wrote).
            if let h = FileHandle(forWritingAtPath: summary) {
                h.seekToEndOfFile()
                h.write(Data(GitHubReport.stepSummary(report).utf8))
                h.closeFile()
            } else {
                Output.say("warning: cannot append to GITHUB_STEP_SUMMARY '\(summary)'")
            }
        }
        if let path = reportPath {
            do {
                try AtomicWriter.write(JUnit.render(report), to: path)
            } catch {
                Output.say("error: \(error.description)")
                status = max(status, 1)
            }
        }
        if report.interrupted { Output.say("interrupted: \(report.outcomes.count) of \(report.selected) cases ran; no golden was half-written") }
        if status != 0 { throw ExitCode(status) }
    }

    /// A path argument relative to the root (given relative to the starting folder or
    /// absolute).
    func relativeToRoot(_ p: String, startDir: String) -> String {
        let absRoot = URL(fileURLWithPath: root, relativeTo: URL(fileURLWithPath: startDir + "/")).standardizedFileURL.path
        let absPath = URL(fileURLWithPath: p, relativeTo: URL(fileURLWithPath: startDir + "/")).standardizedFileURL.path
        if absPath == absRoot { return "" }
        if absPath.hasPrefix(absRoot + "/") { return String(absPath.dropFirst(absRoot.count + 1)) }
        return p
    }
}

/// `iotopo merge-reports -o OUT IN...`: one JUnit report from several (the shards of a run).
struct MergeReports: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge-reports",
        abstract: "Merge JUnit reports (one per shard, say) into one, each test case once.",
        discussion: "Exit status: 0 merged; 1 an input could not be read or parsed, or the output not written; 64 misuse."
    )

    @Option(name: .shortAndLong, help: ArgumentHelp("The merged report (written atomically; '-' for standard output).", valueName: "file"))
    var output: String

    @Argument(help: "The reports to merge.")
    var inputs: [String]

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("give at least one report to merge") }
    }

    func run() throws {
        var docs: [(path: String, data: Data)] = []
        for p in inputs {
            switch FileReader.read(p, limit: 1 << 30) {
            case let .success(bytes): docs.append((p, Data(bytes)))
            case let .failure(f):
                Output.say("error: cannot read '\(p)': \(f.reason)")
                throw ExitCode(1)
            }
        }
        let merged: JUnit.Merged
        do {
            merged = try JUnit.merge(docs)
        } catch {
            Output.say("error: \(error.description)")
            throw ExitCode(1)
        }
        for c in merged.conflicts {
            Output.say("warning: \(c) appears in several reports with different results; the failing one is kept")
        }
        if output == "-" {
            Output.out(merged.xml)
        } else {
            do {
                try AtomicWriter.write(merged.xml, to: output)
            } catch {
                Output.say("error: \(error.description)")
                throw ExitCode(1)
            }
        }
    }
}

/// Ends `iotopo test` when Ctrl-C came and its cases have not stopped within `grace`
/// seconds: a case that does not poll (a compile of a very large file) must not keep a
/// user waiting. It exits with 130, as an interrupted run does, after saying so.
final class InterruptWatchdog: @unchecked Sendable {
    /// How long the cases get to stop (IOTOPO_INTERRUPT_GRACE overrides it, in seconds, for
    /// iotopo's own tests).
    static var defaultGrace: Double {
        Environment.value("IOTOPO_INTERRUPT_GRACE").flatMap(Double.init).map { max(0, min($0, 60)) } ?? 2
    }

    private let lock = NSLock()
    private var done = false

    init(grace: Double) {
        let thread = Thread { [self] in
            while !isDone {
                if interruptRequested {
                    let deadline = Date().addingTimeInterval(grace)
                    while !isDone && Date() < deadline { usleep(20_000) }
                    if isDone { return }
                    let seconds = grace == grace.rounded() ? "\(Int(grace))" : "\(grace)"
                    let text = "\ninterrupted: cases still running \(seconds) s after Ctrl-C were abandoned; no golden was written after it\n"
                    text.utf8CString.withUnsafeBufferPointer { _ = Glibc.write(2, $0.baseAddress, $0.count - 1) }
                    _exit(130)
                }
                usleep(50_000)
            }
        }
        thread.start()
    }

    private var isDone: Bool {
        lock.lock()
        defer { lock.unlock() }
        return done
    }

    /// The run ended by itself: the watchdog stands down.
    func finish() {
        lock.lock()
        done = true
        lock.unlock()
    }
}
