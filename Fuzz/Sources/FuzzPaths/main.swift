import FuzzSupport
#if canImport(Glibc)
import Glibc
#endif

/// A hostile repository, then what a pull request's CI runs on it (issue 17, docs/security.md).
///
/// Each input decodes, byte by byte and whatever the bytes, into a small project tree built
/// fresh under the scratch folder: a git repository (`project/`, holding `.git/`,
/// `topologies/` and `golden/`) whose entries are regular files (topologies with `include:`,
/// `extends:` and a workload's `topology:`, device tree sources with `/include/` and
/// `/incbin/`, compiled models naming their sources, lspci text, goldens), folders, symbolic
/// links (to `..`, to themselves, to siblings, in chains and loops, to the folder beside the
/// project, to `/proc/self/environ`, to devices) and FIFOs. Beside the project, `outside/`
/// holds a secret, a file that must never change, a FIFO and, when the harness may make
/// them, character devices of its own standing for `/dev/null` and `/dev/zero` (the real ones
/// are never linked to: as root, a bug that renamed over one would break the machine).
///
/// Then, from the project's root, in process (so coverage counts): every root topology the
/// input made is loaded as `iotopo check` loads it (default options: includes confined to the
/// repository), and the golden runner runs as `iotopo test` does in CI (discovery, every case,
/// no writes, obsolete goldens fail the run), then as `--update all --obsolete delete` does.
///
/// Invariants, each a crash libFuzzer records:
/// - `outside/` is as it was: the same entries, types, modes, link targets, device numbers and
///   bytes, and nothing new appeared beside the project;
/// - no diagnostic, note, file read for snippets, case output, diff, message or report (text,
///   JSON, GitHub annotations and step summary, JUnit) holds the secret, the marker this
///   process carries in its environment (so `/proc/self/environ` read anywhere shows) or a
///   line of `/etc/passwd`, nor the scratch folder's absolute path unless the input wrote it
///   (a path is shown as the repository wrote it, never as it resolves);
/// - every FIFO the input made is still a FIFO (or was deleted as an obsolete golden), every
///   link is still a link (a write goes through it, never over it), `.git` is still a folder,
///   and nothing outside `golden/` was deleted;
/// - diagnostics point inside their files;
/// - nothing hangs: run.sh gives libFuzzer `-timeout`, and a FIFO opened for reading or
///   writing, or a read of `/dev/zero`, would stop the run there.
enum Paths {
    /// In every file outside the project that a topology or a device tree could read.
    static let secret = "SECRET-4f1d8e27b9"
    /// The environment variable the process carries (LLVMFuzzerInitialize puts it there
    /// before anything runs, re-executing itself, since `/proc/self/environ` shows only the
    /// environment a process started with).
    static let envName = "IOTOPO_FUZZ_MARKER"
    static let envMarker = "ENV-b71c3a90d5"
    /// The first line of every /etc/passwd.
    static let passwd = "root:x:0:0"
    /// At most this many entries per input, folders at most this deep below the root.
    static let maxEntries = 24
    static let maxDepth = 4
    /// Bytes per entry: kind, parent folder, name, argument, two more.
    static let entrySize = 6
    /// Root files loaded as `iotopo check` would, per input.
    static let maxChecked = 6

    // MARK: Vocabularies

    /// Entry names: what case discovery looks for, what includes name, and the rest.
    static let names = [
        "platform.yaml", "workloads", "variants", "w.yaml", "v.yaml", "p", "q", "invalid", "c", "fires.yaml",
        "passes.yaml", "passes.json", "fires.dts", "fires.txt", "import", "machines", "m.txt", "m", "index.tsv", "iotopo-snapshot",
        "platform.summary.txt", "platform.groups.txt", "platform.reach.txt", "w.txt", "v.txt", "fires.dts.txt", "inc.yaml", "base.yaml", "board.dts", "board.dtsi",
        "link", "sub", "loop", "a", "b", "fifo", ".git", ".w.txt.tmp-Ab12Cd", "golden", "topologies",
    ]

    /// Paths a file names (includes, extends, a workload's topology, a model's sources, a
    /// device tree's /include/ and /incbin/). `{up}` climbs from the file's folder to the
    /// folder holding the project and `outside/`; `{S}` is that folder, absolute.
    static let paths = [
        "inc.yaml", "base.yaml", "platform.yaml", "../platform.yaml", "../inc.yaml", "../../inc.yaml",
        "sub/inc.yaml", "link/inc.yaml", "link", "loop", "a", "fifo", "dangling-nowhere",
        "link/../inc.yaml", "sub/../../inc.yaml", "board.dtsi", "link/secret", "../../p/platform.yaml",
        "{up}outside/secret", "{up}outside/platform.yaml", "{up}outside/dir/inner.yaml", "{up}outside/fifo", "{up}outside/board.dtsi",
        "{up}../outside/secret", "../outside/secret", "link/{up}outside/secret",
        "{S}/outside/secret", "{S}/outside/platform.yaml", "{S}/outside/dir/inner.yaml", "{null}", "{zero}", "{S}/outside/board.dtsi",
        "/proc/self/environ", "/proc/self/cwd/../outside/secret", "/proc/self/cwd/topologies/p/platform.yaml", "{S}/project/topologies/p/platform.yaml",
        "/etc/passwd", "/proc/self/root{S}/outside/secret", "", ".",
    ]

    /// What a symbolic link points at. `{self}` is its own name, `{sibling}` the name the
    /// entry's fourth byte picks.
    static let targets = [
        ".", "..", "../..", "../../..", "{self}", "{sibling}", "{S}/outside", "{S}/outside/secret", "{S}/outside/keep.txt", "{S}/outside/fifo",
        "{null}", "{zero}", "{S}/outside/dir", "{up}outside", "{up}outside/secret", "{up}outside/dir", "/proc/self/environ", "/proc/self/cwd", "/proc/self/cwd/..", "/proc/self/root{S}/outside/secret",
        "/", "/etc", "dangling-nowhere", "link", "a", "b", "loop", "{S}/project", "{S}/project/topologies", "../../golden",
        "sub/../..", "link/..", "{up}outside/board.dtsi", "{sibling}/..", "/etc/passwd", "{up}outside/platform.yaml",
    ]

    /// What a regular file holds, given the two paths its entry names (nil: none).
    enum Template: Int, CaseIterable {
        case platform, variant, part, workload, invalid, golden, index, lspci, dts, dtsi, model, fixture, empty
    }

    // MARK: The world beside the project

    /// The folder holding `project/` and `outside/`.
    static let base = Fuzz.scratch + "/paths"
    static let project = base + "/project"
    static let outside = base + "/outside"
    /// Stand-ins for /dev/null and /dev/zero: character devices of our own when mknod is
    /// allowed (root), else FIFOs.
    static let null = outside + "/null"
    static let zero = outside + "/zero"

    /// Made once, on the first input: the folder outside, and what it must stay.
    static let outsideListing: [String] = {
        mkdir(base, 0o700)
        mkdir(outside, 0o700)
        mkdir(outside + "/dir", 0o700)
        put(outside + "/secret", "\(secret) a token CI must never print\n")
        put(outside + "/keep.txt", "keep me\n")
        put(outside + "/platform.yaml", "platform: {name: leaked, description: \(secret)}\nbuses:\n  - {name: system, kind: system}\n")
        put(outside + "/dir/inner.yaml", "memory:\n  - {name: \(secret)-inner, base: 0x9000_0000, size: 4KiB, kind: ram}\n")
        put(outside + "/board.dtsi", "/ {\n\tmodel = \"\(secret)\";\n};\n")
        mkfifo(outside + "/fifo", 0o600)
        // Major 1, minor 3 and 5, as glibc's makedev encodes small numbers.
        if mknod(null, S_IFCHR | 0o666, dev_t((1 << 8) | 3)) != 0 { mkfifo(null, 0o600) }
        if mknod(zero, S_IFCHR | 0o666, dev_t((1 << 8) | 5)) != 0 { mkfifo(zero, 0o600) }
        return listing(outside)
    }()

    /// A compiled model of the platform template, for `.json` files naming their sources.
    static let model: SystemModel? = {
        let text = content(.platform, nil, nil, depth: 2)
        return Compiler.compile(path: "topologies/p/platform.yaml", bytes: Array(text.utf8)).model
    }()

    // MARK: Decoding

    /// One entry: six bytes, every value valid.
    struct Entry {
        var kind, parent, name, arg, p1, p2: UInt8

        /// 0 to 2 a file, 3 a folder, 4 to 6 a symbolic link, 7 a FIFO.
        enum Kind { case file, folder, link, fifo }
        var what: Kind {
            switch kind & 7 {
            case 0, 1, 2: return .file
            case 3: return .folder
            case 7: return .fifo
            default: return .link
            }
        }
    }

    static func entries(_ data: UnsafeRawBufferPointer) -> [Entry] {
        var out: [Entry] = []
        var i = 0
        while i + entrySize <= data.count, out.count < maxEntries {
            out.append(Entry(kind: data[i], parent: data[i + 1], name: data[i + 2], arg: data[i + 3], p1: data[i + 4], p2: data[i + 5]))
            i += entrySize
        }
        return out
    }

    /// A folder of the project the harness made (a real folder, never a link), relative to
    /// the root, and its depth (the root is 0).
    struct Folder {
        var path: String
        var depth: Int
    }

    /// The folders every project starts with; the input adds to them.
    static let fixedFolders = [Folder(path: "", depth: 0), Folder(path: "topologies", depth: 1), Folder(path: "golden", depth: 1),
                               Folder(path: "topologies/p", depth: 2), Folder(path: "golden/p", depth: 2)]

    /// What one input built.
    struct Tree {
        var folders = fixedFolders
        /// Regular files, FIFOs and links made, relative to the root, in the order made.
        var files: [String] = []
        var fifos: [String] = []
        var links: [String] = []
        /// Whether a file or a link names the scratch folder by its absolute path (else no
        /// output may show it: iotopo prints paths as the repository wrote them).
        var namesBase = false
    }

    /// `{up}`, `{S}`, `{null}`, `{zero}`, `{self}` and `{sibling}` filled in, for an entry in
    /// a folder at `depth`.
    static func expand(_ t: String, depth: Int, own: String = "", sibling: String = "") -> String {
        var s = t
        s = s.replacingOccurrences(of: "{up}", with: String(repeating: "../", count: depth + 1))
        s = s.replacingOccurrences(of: "{S}", with: base)
        s = s.replacingOccurrences(of: "{null}", with: null)
        s = s.replacingOccurrences(of: "{zero}", with: zero)
        s = s.replacingOccurrences(of: "{self}", with: own)
        s = s.replacingOccurrences(of: "{sibling}", with: sibling)
        return s
    }

    /// The path a byte names: 0 none, else one of `paths`.
    static func path(_ b: UInt8, depth: Int) -> String? {
        let i = Int(b) % (paths.count + 1)
        return i == 0 ? nil : expand(paths[i - 1], depth: depth)
    }

    static func quoted(_ p: String) -> String { "\"" + p + "\"" }

    /// A file's text from its template and paths (`depth`: its folder's).
    static func content(_ t: Template, _ x: String?, _ y: String?, depth: Int) -> String {
        let named = [x, y].compactMap { $0 }
        let includes = named.isEmpty ? "" : "include: [" + named.map(quoted).joined(separator: ", ") + "]\n"
        let body = """
        memory:
          - {name: dram, base: 0x0, size: 1GiB, kind: ram}
        buses:
          - {name: system, kind: system}
        devices:
          - {name: d0, kind: nic, bus: system, dma-bits: 32}

        """
        switch t {
        case .platform:
            return "platform: {name: p, description: fuzzed}\n" + body + includes
        case .variant:
            return "platform: {name: v}\nextends: \(quoted(x ?? "../platform.yaml"))\n" + (y.map { "include: [\(quoted($0))]\n" } ?? "")
                + "devices:\n  - {name: d1, kind: nic, bus: system}\n"
        case .part:
            return "memory:\n  - {name: extra, base: 0x8000_0000, size: 4KiB, kind: ram}\n" + includes
        case .workload:
            return "workload: {name: w, topology: \(quoted(x ?? "../platform.yaml"))}\nsteps:\n  - dma: {device: d0, op: read, address: 0x1000, size: 64}\n"
                + (y.map { "  - dma: {device: \(quoted($0)), op: write, address: 0x0, size: 8}\n" } ?? "")
        case .invalid:
            // A decode error after the includes: the snippet quotes this file's lines, and
            // the includes are still followed.
            return "platform: {name: b}\n" + includes + "buses: 12\ndevices: [{name: x, bus: nowhere}]\n"
        case .golden:
            return "a stale golden\n"
        case .index:
            return "file\tkernel\tacs-override\nm.txt\t6.8.0\t\nm\t6.1.0\tdownstream\n"
        case .lspci:
            return """
            00:00.0 Host bridge [0600]: Intel Corporation Device [8086:3e30]
            \tIOMMU group: 0

            00:14.0 USB controller [0c03]: Intel Corporation Device [8086:a36d] (prog-if 30 [XHCI])
            \tIOMMU group: 1
            \tKernel driver in use: xhci_hcd

            """
        case .dts:
            return "/dts-v1/;\n" + (x.map { "/include/ \(quoted($0))\n" } ?? "")
                + "/ {\n\tmodel = " + (y.map { "/incbin/(\(quoted($0)))" } ?? "\"board\"") + ";\n"
                + "\t#address-cells = <2>;\n\t#size-cells = <2>;\n"
                + "\tmemory@80000000 {\n\t\tdevice_type = \"memory\";\n\t\treg = <0x0 0x80000000 0x0 0x10000000>;\n\t};\n};\n"
        case .dtsi:
            return "/ {\n\tcompatible = \"fuzz,board\";\n};\n" + (x.map { "/include/ \(quoted($0))\n" } ?? "")
                + (y.map { "/ { serial-number = /incbin/(\(quoted($0))); };\n" } ?? "")
        case .model:
            guard var m = model else { return "{}" }
            m.sources = named.isEmpty ? ["topologies/p/platform.yaml"] : named
            return ModelJSON.render(m)
        case .fixture:
            return "# options: -Werror\nplatform: {name: f}\n" + body + includes
        case .empty:
            return ""
        }
    }

    /// Builds the input's tree under the (empty) project folder. Nothing is ever made
    /// through a link: every entry goes into a folder the harness made, under a name not
    /// yet taken.
    static func build(_ entries: [Entry]) -> Tree {
        for d in ["", "/.git", "/topologies", "/golden", "/topologies/p", "/golden/p"] {
            Fuzz.check(mkdir(project + d, 0o755) == 0, "cannot make \(project + d): errno \(errno)")
        }
        var tree = Tree()
        for e in entries {
            let folder = tree.folders[Int(e.parent) % tree.folders.count]
            guard folder.depth < maxDepth else { continue }
            let name = names[Int(e.name) % names.count]
            let rel = folder.path.isEmpty ? name : folder.path + "/" + name
            let full = project + "/" + rel
            var st = stat()
            guard lstat(full, &st) != 0 else { continue }
            switch e.what {
            case .file:
                let t = Template.allCases[Int(e.arg) % Template.allCases.count]
                let text = content(t, path(e.p1, depth: folder.depth), path(e.p2, depth: folder.depth), depth: folder.depth)
                // O_EXCL and O_NOFOLLOW: a new file, never anything a link leads to.
                let fd = open(full, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
                Fuzz.check(fd >= 0, "cannot create \(rel): errno \(errno)")
                if text.contains(base) { tree.namesBase = true }
                var bytes = Array(text.utf8)
                let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                close(fd)
                Fuzz.check(n == bytes.count, "short write to \(rel)")
                bytes.removeAll()
                tree.files.append(rel)
            case .folder:
                Fuzz.check(mkdir(full, 0o755) == 0, "cannot make \(rel): errno \(errno)")
                tree.folders.append(Folder(path: rel, depth: folder.depth + 1))
            case .link:
                let target = expand(targets[Int(e.arg) % targets.count], depth: folder.depth, own: name,
                                    sibling: names[Int(e.p1) % names.count])
                if target.contains(base) { tree.namesBase = true }
                Fuzz.check(symlink(target, full) == 0, "cannot link \(rel): errno \(errno)")
                tree.links.append(rel)
            case .fifo:
                Fuzz.check(mkfifo(full, 0o644) == 0, "cannot make the FIFO \(rel): errno \(errno)")
                tree.fifos.append(rel)
            }
        }
        return tree
    }

    // MARK: Checks

    /// Whether text holds anything from outside: the secret (as written or lowercased, as a
    /// name might be), the environment's marker, a line of /etc/passwd.
    static func leaks(_ text: String) -> String? {
        // strstr over the string's own NUL-terminated bytes, one NUL-free stretch at a time:
        // String.contains goes through Foundation (a tenth of the harness's time), and a
        // loop here would be instrumented like the code under test.
        let count = text.utf8.count
        return text.withCString { base -> String? in
            var start = 0
            while start <= count {
                let stretch = base + start
                for (c, m) in active where strstr(stretch, c) != nil { return m }
                guard let nul = memchr(stretch, 0, count - start) else { break }
                start = base.distance(to: nul.assumingMemoryBound(to: CChar.self)) + 1
            }
            return nil
        }
    }

    /// The markers looked for in this input's output: `markers`, and the scratch folder's
    /// absolute path unless the input wrote it.
    nonisolated(unsafe) static var active = markers
    nonisolated(unsafe) static let baseMarker = strdup(base).map { ($0, base) }

    /// The markers as C strings, made once and kept (only read after).
    nonisolated(unsafe) static let markers: [(UnsafeMutablePointer<CChar>, String)] = [secret, secret.lowercased(), envMarker, passwd].compactMap { m in
        strdup(m).map { ($0, m) }
    }

    static func checkClean(_ text: String, _ what: @autoclosure () -> String) {
        if let m = leaks(text) {
            Fuzz.check(false, "\(what()) shows '\(m)', which only files outside the repository hold:\n\(text.prefix(4000))")
        }
    }

    /// A load's diagnostics and every file it read. `ranges`: whether the diagnostics must
    /// lie inside the files as read; not for a compiled model's, whose positions are those of
    /// the sources it was compiled from, which may have changed since, or not be readable.
    static func checkClean(_ diagnostics: [Diagnostic], _ files: SourceFiles, _ what: String, ranges: Bool) {
        for d in diagnostics {
            checkClean(d.message, "a diagnostic of \(what)")
            for n in d.notes { checkClean(n.message, "a note of \(what)") }
        }
        for f in files.files {
            checkClean(f.path, "a file name \(what) read")
            if let b = f.bytes { checkClean(String(decoding: b, as: UTF8.self), "the file '\(f.path)' that \(what) read (and would quote)") }
        }
        if ranges { Fuzz.checkRanges(diagnostics, files) }
    }

    /// Everything `iotopo test` prints of a run, in each format it has.
    static func checkClean(_ r: GoldenReport, _ what: String) {
        for o in r.outcomes {
            checkClean(o.output, "the output of \(o.case.name) in \(what)")
            checkClean(o.message, "the message of \(o.case.name) in \(what)")
            checkClean(o.renderDiff(), "the diff of \(o.case.name) in \(what)")
        }
        for g in r.obsolete { checkClean(g.path + (g.error ?? ""), "an obsolete golden in \(what)") }
        checkClean(GoldenText.render(r, style: .plain), "the report of \(what)")
        checkClean(GoldenText.json(r), "the JSON report of \(what)")
        checkClean(GitHubReport.annotations(r), "the GitHub annotations of \(what)")
        checkClean(GitHubReport.stepSummary(r), "the step summary of \(what)")
        checkClean(JUnit.render(r), "the JUnit report of \(what)")
    }

    /// Every entry under `dir` (links not followed): path, type, mode, device, link target
    /// and the bytes of regular files, one line each, in byte order.
    static func listing(_ dir: String) -> [String] {
        var out: [String] = []
        func walk(_ rel: String) {
            let full = rel.isEmpty ? dir : dir + "/" + rel
            for name in FileReader.list(full) {
                let r = rel.isEmpty ? name : rel + "/" + name
                let p = dir + "/" + r
                var st = stat()
                guard lstat(p, &st) == 0 else { out.append("\(r) vanished"); continue }
                var line = "\(r) type \(st.st_mode & S_IFMT) mode \(st.st_mode & 0o7777) rdev \(st.st_rdev) size \(st.st_size)"
                switch st.st_mode & S_IFMT {
                case S_IFDIR:
                    out.append(line)
                    walk(r)
                    continue
                case S_IFLNK:
                    var buf = [CChar](repeating: 0, count: 4097)
                    let n = readlink(p, &buf, 4096)
                    line += " -> " + String(decoding: buf.prefix(max(0, n)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
                case S_IFREG:
                    // Only regular files are opened: FIFOs and devices never are.
                    if case let .success(b) = FileReader.read(p, limit: 1 << 20) { line += " bytes " + String(decoding: b, as: UTF8.self) }
                default:
                    break
                }
                out.append(line)
            }
        }
        walk("")
        return out
    }

    /// Removes a tree without following a link: links, FIFOs and files are unlinked, folders
    /// emptied and removed.
    static func remove(_ path: String) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for name in FileReader.list(path) { remove(path + "/" + name) }
            Fuzz.check(rmdir(path) == 0, "cannot remove \(path): errno \(errno)")
        } else {
            Fuzz.check(unlink(path) == 0, "cannot remove \(path): errno \(errno)")
        }
    }

    static func type(_ rel: String) -> mode_t? {
        var st = stat()
        return lstat(project + "/" + rel, &st) == 0 ? st.st_mode & S_IFMT : nil
    }

    static func put(_ path: String, _ text: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        var t = text
        _ = t.withUTF8 { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    // MARK: One input

    /// `IOTOPO_FUZZ_PATHS_VERBOSE=1`: each input's tree, diagnostics and reports on standard
    /// error, to read a finding by.
    static let verbose = getenv("IOTOPO_FUZZ_PATHS_VERBOSE") != nil

    /// Where the process started (libFuzzer's relative paths are relative to it).
    static let startDirectory: String = {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buf, buf.count) != nil else { return "/" }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    static func run(_ data: UnsafeRawBufferPointer) {
        let before = outsideListing
        let home = startDirectory  // read before the first chdir
        remove(project)
        let tree = build(entries(data))
        active = markers + (tree.namesBase ? [] : baseMarker.map { [$0] } ?? [])
        if verbose { Fuzz.say("== tree\n" + listing(project).joined(separator: "\n")) }
        // The cases run from the project's root, as CI runs `iotopo test`; libFuzzer's own
        // paths (the corpus, the artifacts) are relative to where it started, so the
        // harness goes back there after each input.
        Fuzz.check(chdir(project) == 0, "cannot enter the project")
        defer { _ = chdir(home) }

        // 1. `iotopo check` of each root file the input made, default options: includes,
        // extends, a workload's topology, a model's sources and a device tree's includes
        // stay inside the repository (the project holds `.git`).
        var options = CompileOptions()
        options.maxGenerated = 10_000
        let roots = tree.files.filter { f in [".yaml", ".json", ".dts", ".txt"].contains { f.hasSuffix($0) } }
        for f in roots.prefix(maxChecked) {
            let r = Compiler.check(path: f, options: options).compileResult
            if verbose { Fuzz.say("== iotopo check \(f)\n" + r.diagnostics.map { "\($0.severity) \($0.id): \($0.message)" }.joined(separator: "\n")) }
            checkClean(r.diagnostics, r.files, "iotopo check \(f)", ranges: !f.hasSuffix(".json"))
        }

        // 2. `iotopo test` as CI runs it (no writes; obsolete goldens fail), then with
        // `--update all --obsolete delete`.
        do {
            let all = try CaseDiscovery.discover(root: ".")
            var o = GoldenRunOptions()
            o.jobs = 1
            o.update = .none
            o.obsolete = .fail
            let ci = GoldenRunner().run(all, all: all, options: o)
            if verbose { Fuzz.say("== iotopo test\n" + GoldenText.render(ci, style: .plain)) }
            checkClean(ci, "iotopo test")
            o.update = .all
            o.obsolete = .delete
            let update = GoldenRunner().run(all, all: all, options: o)
            if verbose { Fuzz.say("== iotopo test --update all --obsolete delete\n" + GoldenText.render(update, style: .plain)) }
            checkClean(update, "iotopo test --update all --obsolete delete")
        } catch {
            if verbose { Fuzz.say("== iotopo test\n" + error.description) }
            checkClean(error.description, "the discovery error")
        }

        // 3. Nothing outside changed, nothing was made beside the project, and no special
        // file or link inside was replaced by a regular file.
        let after = listing(outside)
        if after != before {
            let gone = before.filter { !after.contains($0) }, added = after.filter { !before.contains($0) }
            Fuzz.check(false, "the folder outside the repository changed: before \(gone), after \(added)")
        }
        let beside = FileReader.list(base)
        Fuzz.check(beside == ["outside", "project"], "entries appeared beside the project: \(beside)")
        Fuzz.check(type(".git") == S_IFDIR, ".git is no longer a folder")
        for f in tree.fifos {
            let t = type(f)
            Fuzz.check(t == nil || t == S_IFIFO, "the FIFO \(f) was replaced (mode \(String(describing: t)))")
        }
        for l in tree.links {
            let t = type(l)
            Fuzz.check(t == nil || t == S_IFLNK, "the link \(l) was replaced (mode \(String(describing: t)))")
        }
        // Only an obsolete golden is ever deleted, and goldens are in golden/: whatever the
        // input made elsewhere is still there (perhaps rewritten through a golden's link).
        for e in tree.folders.map(\.path) + tree.files + tree.fifos + tree.links where !e.isEmpty && e != "golden" && !e.hasPrefix("golden/") {
            Fuzz.check(type(e) != nil, "\(e), outside golden/, was deleted")
        }
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzPathsInitialize(_ argc: UnsafeMutablePointer<CInt>,
                                _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    // /proc/self/environ shows the environment the process was started with, not setenv's:
    // to carry the marker there, the process runs itself again with it.
    let current = getenv(Paths.envName).map { String(cString: $0) }
    if current != Paths.envMarker {
        setenv(Paths.envName, Paths.envMarker, 1)
        if let args = argv.pointee { execv("/proc/self/exe", args) }
        Fuzz.say("FuzzPaths: cannot run itself again with \(Paths.envName) set; a read of /proc/self/environ goes unseen")
    }
    // The detector itself: it must see each marker, after a NUL too, and the environment
    // must show the marker where a read of /proc/self/environ would find it.
    for m in [Paths.secret, Paths.secret.lowercased(), Paths.envMarker, Paths.passwd] {
        Fuzz.check(Paths.leaks("text\u{0}more " + m + " after") == m, "the leak detector misses \(m)")
    }
    if case let .success(env) = FileReader.read("/proc/self/environ", limit: 1 << 20) {
        if Paths.leaks(String(decoding: env, as: UTF8.self)) != Paths.envMarker {
            Fuzz.say("FuzzPaths: /proc/self/environ does not show \(Paths.envName); a read of it goes unseen")
        }
    }
    if let dir = getenv("IOTOPO_FUZZ_PATHS_SEEDS") {
        PathSeeds.write(to: String(cString: dir))
        exit(0)
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPaths(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    Paths.run(UnsafeRawBufferPointer(start: data, count: count))
    return 0
}
