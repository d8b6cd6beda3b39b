import Dispatch
import Foundation
import IotopoCompiler
import IotopoReport
import IotopoSource

/// Which goldens a run may write.
public enum UpdateMode: String, Sendable, CaseIterable {
    /// Write nothing (the default, and the only mode when `CI` is set).
    case none
    /// Create missing goldens only.
    case new
    /// Rewrite goldens that differ only.
    case failed
    /// Both: create missing goldens and rewrite those that differ.
    case all

    var createsMissing: Bool { self == .new || self == .all }
    var rewritesFailed: Bool { self == .failed || self == .all }
}

/// What to do with goldens no case produces.
public enum ObsoleteMode: String, Sendable, CaseIterable {
    case fail, warn, delete
}

/// How a run goes.
public struct GoldenRunOptions: Sendable {
    /// The most rounds `--repeat` may ask for (docs/limits.md).
    public static let maxRepeat = 1000
    public var update: UpdateMode = .none
    public var obsolete: ObsoleteMode = .warn
    /// Runs of each case (in different orders and threads); more than one guards against
    /// nondeterministic output.
    public var repeatCount = 1
    /// Worker threads.
    public var jobs = max(1, ProcessInfo.processInfo.activeProcessorCount)
    public var shard: Shard?

    public init() {}
}

/// A case's result.
public enum CaseStatus: String, Sendable, CaseIterable {
    /// The output equals the golden.
    case passed
    /// The output differs from the golden (not rewritten).
    case failed
    /// No golden (not created).
    case missing
    /// No golden; this run created it.
    case created
    /// The output differed; this run rewrote the golden.
    case updated
    /// Runs of the case gave different outputs; nothing is compared or written.
    case nondeterministic
    /// The golden could not be read or written.
    case error

    /// Whether the status makes the run fail.
    public var isFailure: Bool { self == .failed || self == .missing || self == .nondeterministic || self == .error }
}

/// One case's outcome.
public struct CaseOutcome: Sendable {
    public var `case`: GoldenCase
    public var status: CaseStatus
    /// What the case printed (its first run).
    public var output: String
    /// The diff to show: golden against output (an absent golden counts as empty); for a
    /// nondeterministic case, the first run against the first run that differed.
    public var diff: TextDiff?
    /// One line saying what happened.
    public var message: String
    /// Distinct outputs seen over the repeated runs.
    public var variants = 1

    /// The diff as text, its sides named (empty when there is none).
    public func renderDiff(style: TextStyle = .plain, maxHunks: Int = .max) -> String {
        guard let d = diff else { return "" }
        let names = status == .nondeterministic ? ("first run", "a later run")
            : self.case.kind == .machine ? ("the kernel's groups recorded in " + self.case.input, "iotopo's groups")
            : (self.case.golden, "output of " + self.case.input)
        return d.render(oldName: names.0, newName: names.1, style: style, maxHunks: maxHunks)
    }
}

/// A golden no case produces.
public struct ObsoleteGolden: Sendable {
    public var path: String
    /// Whether this run deleted it (`--obsolete=delete`).
    public var deleted = false
    /// Why deleting it failed.
    public var error: String?

    /// Whether it is a temporary file left by an interrupted write rather than a golden.
    public var isLeftover: Bool { AtomicWriter.isTemporary(name: path.split(separator: "/").last.map(String.init) ?? path) }

    /// Why it is reported: "no case produces it", or that it is a leftover.
    public var why: String { isLeftover ? "a temporary file left by an interrupted write" : "no case produces it" }
}

/// The outcome of a run.
public struct GoldenReport: Sendable {
    /// One per case that ran to the end, in name order.
    public var outcomes: [CaseOutcome] = []
    public var obsolete: [ObsoleteGolden] = []
    public var obsoleteMode: ObsoleteMode = .warn
    /// Cases the run was asked to run (after paths, filter and shard), and cases in all.
    public var selected = 0
    public var total = 0
    public var shard: Shard?
    public var repeatCount = 1
    /// Stopped early (Ctrl-C): `outcomes` holds what ran; nothing more was written.
    public var interrupted = false

    public func count(_ s: CaseStatus) -> Int { outcomes.reduce(0) { $0 + ($1.status == s ? 1 : 0) } }

    /// 0 all pass; 1 a mismatch, a missing, nondeterministic or unwritable golden, or an
    /// obsolete golden under `--obsolete=fail`; 130 interrupted. (64, misuse, is the CLI's.)
    public var exitCode: Int32 {
        if interrupted { return 130 }
        if outcomes.contains(where: { $0.status.isFailure }) { return 1 }
        if obsoleteMode == .fail && !obsolete.isEmpty { return 1 }
        if obsolete.contains(where: { $0.error != nil }) { return 1 }
        return 0
    }
}

/// Runs golden cases in parallel, compares, and writes goldens when asked.
///
/// The working directory is the project root: inputs are read and goldens written at the
/// cases' relative paths, which is also how they appear in every report.
public struct GoldenRunner: Sendable {
    public init() {}

    /// Runs `selected` (a subset of `all`, the full list that obsolete goldens are judged
    /// against). `progress` receives (cases done, cases to do, name) as each finishes;
    /// `shouldStop` is polled between cases and inside long workloads.
    public func run(_ selected: [GoldenCase], all: [GoldenCase], options: GoldenRunOptions,
                    progress: @escaping @Sendable (Int, Int, String) -> Void = { _, _, _ in },
                    shouldStop: @escaping @Sendable () -> Bool = { false }) -> GoldenReport {
        var report = GoldenReport()
        report.selected = selected.count
        report.total = all.count
        report.shard = options.shard
        report.obsoleteMode = options.obsolete
        report.repeatCount = max(1, options.repeatCount)
        let cases = selected.sorted()
        // docs/security.md: a case reads and writes only inside the project root (the
        // working directory). An input that leads out of it is an error, never read.
        let root = PathConfinement(folder: ".")
        let includes: IncludeScope = root.map { .folder($0, name: "the project root") } ?? .anywhere
        let escapes: [String?] = cases.map { c in
            guard let root else { return "the project root cannot be resolved, so no input is read" }
            // A snapshot folder's reader refuses every link in it on its own
            // (snapshot-link-outside, which its fixtures test); only the folder is checked.
            let snapshot = CaseDiscovery.isFile(CaseDiscovery.join(c.input, "iotopo-snapshot"))
            let escape = snapshot ? (root.contains(c.input) ? nil : c.input) : root.firstEscape(at: c.input)
            return escape.map { "\($0) leads outside the project root (a symbolic link out of the repository), so it is not read" }
        }
        let rounds = max(1, options.repeatCount)
        let work = cases.count * rounds
        let counter = Counter()
        var first: [String?] = []
        var differing: [Int: String] = [:]
        var variants = [Set<ExactText>](repeating: [], count: cases.count)
        for round in 0 ..< rounds {
            // Round 0 in name order; later rounds shuffled (seeded, so a failure replays),
            // so each case runs at another point and on another thread.
            var shuffled = Array(cases.indices)
            if round > 0 { Self.shuffle(&shuffled, seed: UInt64(round)) }
            let order = shuffled
            let outputs = Self.parallel(order.count, jobs: options.jobs) { slot -> String? in
                if shouldStop() { return nil }
                let c = cases[order[slot]]
                if let e = escapes[order[slot]] {
                    progress(counter.increment(), work, c.name)
                    return e
                }
                let out = CaseOutput.render(c, includes: includes, shouldStop: shouldStop)
                progress(counter.increment(), work, c.name)
                return out
            }
            var byCase = [String?](repeating: nil, count: cases.count)
            for (slot, i) in order.enumerated() { byCase[i] = outputs[slot] }
            if round == 0 {
                first = byCase
                for i in cases.indices { if let o = byCase[i] { variants[i].insert(ExactText(o)) } }
            } else {
                for i in cases.indices {
                    guard let o = byCase[i], let f = first[i] else { continue }
                    variants[i].insert(ExactText(o))
                    if !o.utf8.elementsEqual(f.utf8), differing[i] == nil { differing[i] = o }
                }
            }
            if shouldStop() { report.interrupted = true; break }
        }
        for i in cases.indices {
            guard let output = first[i] else { continue }
            let c = cases[i]
            if let e = escapes[i] {
                report.outcomes.append(CaseOutcome(case: c, status: .error, output: "", diff: nil, message: e))
                continue
            }
            if let other = differing[i] {
                report.outcomes.append(CaseOutcome(case: c, status: .nondeterministic, output: output, diff: TextDiff(old: output, new: other),
                                                   message: "\(variants[i].count) different outputs in \(rounds) runs; its golden is neither compared nor written",
                                                   variants: variants[i].count))
                continue
            }
            report.outcomes.append(compare(c, output, options: options, root: root, mayWrite: !report.interrupted && !shouldStop()))
            if shouldStop() { report.interrupted = true }
        }
        report.obsolete = obsolete(all: all, shard: options.shard, root: root)
        if options.obsolete == .delete && !report.interrupted {
            for i in report.obsolete.indices { delete(&report.obsolete[i], root: root) }
        }
        return report
    }

    /// Compares one case with its golden, writing the golden if the mode says so.
    func compare(_ c: GoldenCase, _ output: String, options: GoldenRunOptions, root: PathConfinement?, mayWrite: Bool) -> CaseOutcome {
        if c.kind == .machine { return compareMachine(c, output) }
        var o = CaseOutcome(case: c, status: .passed, output: output, diff: nil, message: "matches \(c.golden)")
        // docs/security.md: a golden is a file inside the project root. One that leads out
        // (a link to `/proc/self/environ`, to `/etc/passwd`, or through a folder link) is
        // neither read, so its content never reaches a diff, nor written.
        guard let root, root.contains(c.golden) else {
            o.status = .error
            o.message = "\(c.golden) leads outside the project root (a symbolic link out of the repository, or a folder link on its way), so it is neither read nor written"
            return o
        }
        let golden: String
        // Compared as bytes, never as Strings (ExactText says why).
        let goldenBytes: [UInt8]
        switch FileReader.read(c.golden, limit: Int(Int32.max)) {
        case let .success(bytes):
            goldenBytes = bytes
            golden = String(decoding: bytes, as: UTF8.self)
        case let .failure(f) where f.reason == "no such file":
            o.diff = TextDiff(old: "", new: output)
            if options.update.createsMissing && mayWrite {
                store(output, in: &o, as: .created, root: root, "created \(c.golden); read it before you commit it")
            } else {
                o.status = .missing
                o.message = "no golden \(c.golden)" + (options.update == .none ? "; read the output below, then create it with --update=new" : "")
            }
            return o
        case let .failure(f):
            o.status = .error
            o.message = "cannot read \(c.golden): \(f.reason)"
            return o
        }
        guard !goldenBytes.elementsEqual(output.utf8) else { return o }
        o.diff = TextDiff(old: golden, new: output)
        // Where the diff's lines look alike, say why. Reading replaced the golden's invalid
        // UTF-8 with U+FFFD, so if that is the only difference the diff is empty; and lines
        // that differ only in Unicode normalisation print the same.
        var why = ""
        if o.diff?.isEmpty == true {
            why = " (the golden is not valid UTF-8; its invalid bytes read as U+FFFD, which the output has)"
        } else if golden == output {
            why = " (only in Unicode normalisation: the same characters in other code points, such as é as U+00E9 or as e and U+0301)"
        }
        if options.update.rewritesFailed && mayWrite {
            store(output, in: &o, as: .updated, root: root, "rewrote \(c.golden)\(why); the diff shows what changed")
        } else {
            o.status = .failed
            o.message = "output differs from \(c.golden)\(why)" + (options.update == .none ? "; if the change is right, --update=failed rewrites it" : "")
        }
        return o
    }

    /// A machine case against the kernel's groups its source records; never writes.
    func compareMachine(_ c: GoldenCase, _ output: String) -> CaseOutcome {
        let t = MachineCase.texts(c.input)
        var o = CaseOutcome(case: c, status: .passed, output: output, diff: nil, message: "iotopo's groups are the kernel's recorded in \(c.input)")
        guard let observed = t.observed else {
            o.status = .error
            o.message = t.problem ?? "\(c.input) cannot be compared"
            return o
        }
        guard !observed.utf8.elementsEqual(output.utf8) else { return o }
        o.diff = TextDiff(old: observed, new: output)
        o.status = .failed
        o.message = "iotopo's groups differ from the kernel's recorded in \(c.input); `iotopo groups --why --compare recorded \(c.input)` gives iotopo's reasons"
            + (t.explained.map { "; --acs-override \($0.text) reproduces the kernel's (give it in index.tsv's acs-override column if the kernel runs the out-of-tree patch)" } ?? "")
            + " (machine cases have no golden: --update never writes one)"
        return o
    }

    /// Writes a case's golden and records the outcome: `status` and `message`, or the error.
    func store(_ output: String, in o: inout CaseOutcome, as status: CaseStatus, root: PathConfinement, _ message: String) {
        if let e = write(output, to: o.case.golden, root: root) {
            o.status = .error
            o.message = e
        } else {
            o.status = status
            o.message = message
        }
    }

    /// Writes a golden atomically (its folder created if needed); the error text, or nil.
    func write(_ text: String, to path: String, root: PathConfinement) -> String? {
        // Checked before any folder is made: a folder link on the way out would have
        // `mkdir -p` create folders outside.
        guard root.contains(path) else {
            return "cannot write '\(path)': it leads outside the project root (a symbolic link out of the repository)"
        }
        if let e = Self.makeDirectories(AtomicWriter.directory(of: path)) { return e }
        do {
            try AtomicWriter.write(text, to: path, confinedTo: root)
            return nil
        } catch {
            return error.description
        }
    }

    /// Goldens no case of `all` produces; with a shard, those that fall to it.
    ///
    /// A golden reached by two spellings (through a folder link inside the root) is one
    /// file: it is obsolete only if no case produces it under either, so deleting an alias
    /// never deletes a golden in use.
    func obsolete(all: [GoldenCase], shard: Shard?, root: PathConfinement?) -> [ObsoleteGolden] {
        guard let root else { return [] }
        let produced = Set(all.map(\.golden))
        let producedFiles = Set(all.compactMap { PathConfinement.canonical($0.golden) })
        return CaseDiscovery.goldenFiles(root: ".", confinedTo: root)
            .filter { !produced.contains($0) && (shard?.contains($0) ?? true) }
            .filter { p in PathConfinement.canonical(p).map { !producedFiles.contains($0) } ?? true }
            .map { ObsoleteGolden(path: $0) }
    }

    /// Deletes an obsolete golden (the link, when it is a symbolic link: never its
    /// target), then its folders left empty (up to `golden/`). Nothing outside the root is
    /// touched: the folder the name is unlinked from must resolve inside it.
    func delete(_ g: inout ObsoleteGolden, root: PathConfinement?) {
        guard let root, root.contains(AtomicWriter.directory(of: g.path)) else {
            g.error = "cannot delete \(g.path): its folder leads outside the project root"
            return
        }
        if unlink(g.path) != 0 {
            g.error = "cannot delete \(g.path): \(AtomicWriter.errorText(errno))"
            return
        }
        g.deleted = true
        var dir = AtomicWriter.directory(of: g.path)
        while dir.hasPrefix("golden/"), rmdir(dir) == 0 { dir = AtomicWriter.directory(of: dir) }
    }

    /// `mkdir -p`; the error text, or nil.
    static func makeDirectories(_ path: String) -> String? {
        guard !path.isEmpty, path != "." else { return nil }
        var st = stat()
        if stat(path, &st) == 0 {
            return (st.st_mode & S_IFMT) == S_IFDIR ? nil : "cannot create folder '\(path)': a file is in the way"
        }
        if let e = makeDirectories(AtomicWriter.directory(of: path)) { return e }
        if mkdir(path, 0o777) != 0 && errno != EEXIST {
            return "cannot create folder '\(path)': \(AtomicWriter.errorText(errno))"
        }
        return nil
    }

    // MARK: Scheduling

    /// Runs `body` for 0..<n on up to `jobs` threads; results by index.
    static func parallel(_ n: Int, jobs: Int, _ body: @escaping @Sendable (Int) -> String?) -> [String?] {
        let box = Slots(n)
        let workers = max(1, min(jobs, n))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let i = box.take() { box.store(i, body(i)) }
        }
        return box.results
    }

    /// Fisher-Yates with SplitMix64: the same seed, the same order, on every machine.
    static func shuffle(_ a: inout [Int], seed: UInt64) {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            let j = Int(next() % UInt64(i + 1))
            a.swapAt(i, j)
        }
    }
}

/// Work queue and result slots shared by the worker threads, behind one lock.
final class Slots: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private let n: Int
    private(set) var results: [String?]

    init(_ n: Int) {
        self.n = n
        results = [String?](repeating: nil, count: n)
    }

    func take() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard next < n else { return nil }
        next += 1
        return next - 1
    }

    func store(_ i: Int, _ value: String?) {
        lock.lock()
        results[i] = value
        lock.unlock()
    }
}

/// A counter shared by the worker threads.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}
