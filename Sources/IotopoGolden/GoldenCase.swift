import IotopoSource
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a case compares with its golden file.
public enum CaseKind: String, Sendable, CaseIterable {
    /// A bundled platform's compiled summary (`iotopo compile --format text`).
    case summary
    /// A bundled platform's IOMMU groups under both ACS policies, with reasons and
    /// passthrough verdicts (`iotopo groups --why --passthrough`).
    case groups
    /// A bundled platform's reachability (`iotopo reach`).
    case reach
    /// A variant of a platform against the platform (`iotopo diff`).
    case diff
    /// A workload's run (`iotopo run`).
    case workload
    /// A fixture under `topologies/invalid/` against its diagnostics (`iotopo check`).
    case fixture
    /// A machine description under `topologies/import/` (lspci text, a snapshot folder)
    /// against what `iotopo import` writes, `iotopo check` says of it, and its groups.
    case `import`
    /// A real machine under `topologies/machines/` (lspci text, a snapshot folder) whose own
    /// recorded IOMMU groups are the expected output: iotopo's groups must partition its
    /// functions as the kernel did. No golden file (MachineCase.swift).
    case machine
}

/// One golden case: an input under `topologies/` and the golden file its output must equal.
///
/// The name is the golden's path under `golden/` without `.txt`, so the name, the golden
/// and the input mirror one another: `x86-server/workloads/basic` is
/// `topologies/x86-server/workloads/basic.yaml` against `golden/x86-server/workloads/basic.txt`.
public struct GoldenCase: Sendable, Hashable, Comparable {
    /// The case's name (stable: sharding hashes it).
    public let name: String
    public let kind: CaseKind
    /// The input, relative to the project root.
    public let input: String

    public init(name: String, kind: CaseKind, input: String) {
        self.name = name
        self.kind = kind
        self.input = input
    }

    /// The golden file, relative to the project root.
    public var golden: String { "golden/" + name + ".txt" }

    /// The group a report files the case under (JUnit's classname): the platform, or
    /// `invalid/<check-id>` for a fixture.
    public var suite: String {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        let n = kind == .fixture && parts.count > 2 ? 2 : 1
        return parts.prefix(n).joined(separator: "/")
    }

    /// The case's name within its suite.
    public var title: String {
        let s = suite
        return name.count > s.count ? String(name.dropFirst(s.count + 1)) : name
    }

    public static func < (a: GoldenCase, b: GoldenCase) -> Bool { Array(a.name.utf8).lexicographicallyPrecedes(b.name.utf8) }
}

/// Why the cases could not be listed.
public struct DiscoveryError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// Finds every case from the layout of `topologies/` (docs/golden.md):
/// - `topologies/P/platform.yaml`: the cases `P/platform.summary`, `P/platform.groups` and
///   `P/platform.reach`;
/// - `topologies/P/workloads/W.yaml`: the workload case `P/workloads/W`;
/// - `topologies/P/variants/V.yaml`: the diff case `P/variants/V` (the platform against V);
/// - `topologies/import/M.txt` (lspci text, acpidump text) or `topologies/import/M/` (a
///   snapshot folder, or a folder of sources imported together): the import case `import/M`;
/// - `topologies/machines/M.txt` or `topologies/machines/M/` (a snapshot folder): the
///   machine case `machines/M`, checked against its own recorded groups (no golden);
/// - `topologies/invalid/C/F.yaml`, F starting with `fires` or `passes`: the fixture case
///   `invalid/C/F`; a JSON fixture `F.json` is the case `invalid/C/F.json`.
/// Everything is listed in byte order of names, so the list never depends on the file system.
public enum CaseDiscovery {
    /// Every case under `root` (the folder holding `topologies/` and `golden/`).
    public static func discover(root: String) throws(DiscoveryError) -> [GoldenCase] {
        let topologies = join(root, "topologies")
        guard isDirectory(topologies) else {
            throw DiscoveryError(description: "no 'topologies' folder in '\(root)' (run from the project's root, or pass --root)")
        }
        // docs/security.md: cases are found without following a link out of the root, so
        // a repository cannot have iotopo list, read or compare files elsewhere.
        guard let scope = PathConfinement(folder: root.isEmpty ? "." : root) else {
            throw DiscoveryError(description: "cannot resolve the project root '\(root)'")
        }
        if !scope.contains(topologies) {
            throw DiscoveryError(description: "'\(topologies)' leads outside the project root (a symbolic link out of the repository); iotopo test does not follow it")
        }
        // Every folder listed is checked first; a file that leads out is listed, and its
        // case fails without reading it (GoldenRunner).
        func entries(_ dir: String) throws(DiscoveryError) -> [String] {
            if isDirectory(dir), !scope.contains(dir) {
                throw DiscoveryError(description: "'\(dir)' leads outside the project root (a symbolic link out of the repository); iotopo test does not follow it")
            }
            return CaseDiscovery.entries(dir)
        }
        var cases: [GoldenCase] = []
        for p in try entries(topologies) where isDirectory(join(topologies, p)) {
            _ = try entries(join(topologies, p))
            if p == "import" || p == "machines" {
                let kind: CaseKind = p == "import" ? .import : .machine
                for f in try entries(join(topologies, p)) {
                    let path = join(topologies, p, f)
                    if let stem = stem(f, [".txt"]), isFile(path) {
                        cases.append(GoldenCase(name: "\(p)/\(stem)", kind: kind, input: "topologies/\(p)/\(f)"))
                    } else if isDirectory(path), isFile(join(path, "iotopo-snapshot")) || p == "import" {
                        // An import case may be a folder of sources imported together
                        // (lspci text with firmware tables): every file in it.
                        cases.append(GoldenCase(name: "\(p)/\(f)", kind: kind, input: "topologies/\(p)/\(f)"))
                    }
                }
                continue
            }
            if p == "invalid" {
                for check in try entries(join(topologies, p)) where isDirectory(join(topologies, p, check)) {
                    for f in try entries(join(topologies, p, check)) {
                        let snapshot = isFile(join(topologies, p, check, f, "iotopo-snapshot"))
                        guard f.hasPrefix("fires") || f.hasPrefix("passes"),
                              f.hasSuffix(".yaml") || f.hasSuffix(".json") || f.hasSuffix(".txt") || f.hasSuffix(".dts") || f.hasSuffix(".dtb") || snapshot else { continue }
                        // A YAML fixture drops its extension; a JSON or lspci one keeps it, so
                        // that `passes.yaml` and `passes.json` beside it get goldens of their own.
                        let stem = stem(f, [".yaml", ".txt"]) ?? f
                        cases.append(GoldenCase(name: "invalid/\(check)/\(stem)", kind: .fixture, input: "topologies/invalid/\(check)/\(f)"))
                    }
                }
                continue
            }
            if isFile(join(topologies, p, "platform.yaml")) {
                for (suffix, kind) in [("summary", CaseKind.summary), ("groups", .groups), ("reach", .reach)] {
                    cases.append(GoldenCase(name: "\(p)/platform.\(suffix)", kind: kind, input: "topologies/\(p)/platform.yaml"))
                }
            }
            for f in try entries(join(topologies, p, "variants")) {
                guard let stem = stem(f, [".yaml"]), isFile(join(topologies, p, "variants", f)) else { continue }
                cases.append(GoldenCase(name: "\(p)/variants/\(stem)", kind: .diff, input: "topologies/\(p)/variants/\(f)"))
            }
            for f in try entries(join(topologies, p, "workloads")) {
                guard let stem = stem(f, [".yaml"]), isFile(join(topologies, p, "workloads", f)) else { continue }
                cases.append(GoldenCase(name: "\(p)/workloads/\(stem)", kind: .workload, input: "topologies/\(p)/workloads/\(f)"))
            }
        }
        cases.sort()
        for i in cases.indices.dropFirst() where cases[i].name == cases[i - 1].name {
            throw DiscoveryError(description: "'\(cases[i - 1].input)' and '\(cases[i].input)' would share the golden '\(cases[i].golden)'; rename one")
        }
        return cases
    }

    /// Every file under `root/golden/` (relative to `root`, in byte order), hidden files
    /// (`.gitkeep`, an editor's swap file) excepted, but for the writer's leftover
    /// temporary files.
    ///
    /// A folder link is followed only when it stays inside `confinedTo` (docs/security.md),
    /// and each folder is walked once, however many links lead to it: a link out of the
    /// repository is listed as the entry it is (deleting it removes the link), and a link
    /// back up is no loop.
    ///
    /// Only entries of folders that are in `golden/` (links followed) are listed: a folder
    /// link elsewhere in the repository (`golden/up -> ..`, `golden/p/in -> ../../topologies/p`)
    /// is walked, since it may lead back into `golden/`, but what lies outside is no golden,
    /// and `--obsolete=delete` deleted the repository's own files through it, a case's input
    /// among them (found by the FuzzPaths harness, RELIABILITY.md).
    public static func goldenFiles(root: String, confinedTo scope: PathConfinement) -> [String] {
        var out: [String] = []
        var walked: Set<String> = []
        let goldenFolder = PathConfinement(folder: join(root, "golden"))
        func walk(_ relative: String) {
            guard let canonical = PathConfinement.canonical(join(root, relative)), walked.insert(canonical).inserted else { return }
            let inGolden = goldenFolder?.contains(canonical) ?? false
            for e in allEntries(join(root, relative)) {
                let r = relative + "/" + e
                if !e.hasPrefix(".") {
                    let path = join(root, r)
                    if isDirectory(path) && scope.contains(path) {
                        walk(r)
                    } else if inGolden && (!isDirectory(path) || isLink(path)) {
                        out.append(r)
                    }
                } else if inGolden && AtomicWriter.isTemporary(name: e) && isFile(join(root, r)) {
                    // A write killed before its rename leaves a hidden temporary file; no
                    // case produces it, so it is reported (and deleted) like an obsolete golden.
                    out.append(r)
                }
            }
        }
        if isDirectory(join(root, "golden")) { walk("golden") }
        return out.sorted { Array($0.utf8).lexicographicallyPrecedes($1.utf8) }
    }

    static func stem(_ file: String, _ extensions: [String]) -> String? {
        for e in extensions where file.hasSuffix(e) && file.count > e.count { return String(file.dropLast(e.count)) }
        return nil
    }

    /// Joins path parts; a root of "." or "" leaves the path relative.
    static func join(_ parts: String...) -> String {
        parts.filter { !$0.isEmpty && $0 != "." }.joined(separator: "/")
    }

    /// The visible entries of a folder in byte order (none when it cannot be read).
    static func entries(_ dir: String) -> [String] {
        allEntries(dir).filter { !$0.hasPrefix(".") }
    }

    /// Every entry of a folder but `.` and `..`, hidden ones included, in byte order.
    static func allEntries(_ dir: String) -> [String] {
        guard let d = opendir(dir.isEmpty ? "." : dir) else { return [] }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            // The kernel NUL-terminates d_name within its 256 bytes, so the first NUL ends it. A
            // name that is not UTF-8 cannot be an iotopo input or golden (paths are shown
            // and matched as text), so it is skipped rather than misread by repair.
            let bytes = withUnsafeBytes(of: e.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            guard let name = String(validating: bytes, as: UTF8.self), name != ".", name != ".." else { continue }
            out.append(name)
        }
        return out.sorted { Array($0.utf8).lexicographicallyPrecedes($1.utf8) }
    }

    /// The folder part of a relative path ("." when none).
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return String(path[..<slash])
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path.isEmpty ? "." : path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    static func isLink(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK
    }

    static func isFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }
}

/// Which cases a run takes: those under the given paths and matching the filter.
public struct CaseSelection {
    /// Paths (inputs or goldens, files or folders) relative to the root; empty: every case.
    public var paths: [String] = []
    /// A regular expression searched in each case's name.
    public var filter: ((String) -> Bool)?

    public init(paths: [String] = [], filter: ((String) -> Bool)? = nil) {
        self.paths = paths.map(CaseSelection.normalize)
        self.filter = filter
    }

    static func normalize(_ p: String) -> String {
        p.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }.joined(separator: "/")
    }

    func matches(_ path: String, _ p: String) -> Bool { p.isEmpty || path == p || path.hasPrefix(p + "/") }

    /// Whether a case is selected.
    public func contains(_ c: GoldenCase) -> Bool {
        if !paths.isEmpty, !paths.contains(where: { matches(c.input, $0) || matches(c.golden, $0) }) { return false }
        return filter?(c.name) ?? true
    }

    /// The paths that select no case (a typo should not pass as an empty, green run).
    public func unmatchedPaths(in cases: [GoldenCase]) -> [String] {
        paths.filter { p in !cases.contains { matches($0.input, p) || matches($0.golden, p) } }
    }
}
