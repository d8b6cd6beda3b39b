import FuzzSupport
#if canImport(Glibc)
import Glibc
#endif

/// The harness's seeds, written by `IOTOPO_FUZZ_PATHS_SEEDS=DIR FuzzPaths` (run.sh does it
/// before each run). They are described here by the entries they make and encoded with the
/// harness's own vocabularies, so a change to a vocabulary cannot leave them meaning
/// something else: each covers a kind of entry, and the fuzzer combines them.
enum PathSeeds {
    /// One entry, by its path under the root and the words it uses (as the vocabularies
    /// spell them, placeholders and all).
    enum Step {
        case folder(String)
        case file(String, Paths.Template, String? = nil, String? = nil)
        case link(String, String, sibling: String = "a")
        case fifo(String)
    }

    static let platform = Step.file("topologies/p/platform.yaml", .platform)

    static let seeds: [(name: String, steps: [Step])] = [
        ("platform-and-golden", [platform, .file("golden/p/platform.summary.txt", .golden)]),
        ("include-outside-relative", [.file("topologies/p/platform.yaml", .platform, "{up}outside/secret", "/proc/self/environ")]),
        ("include-outside-absolute", [.file("topologies/p/platform.yaml", .platform, "{S}/outside/platform.yaml", "{S}/outside/dir/inner.yaml")]),
        ("include-through-links", [
            .link("topologies/p/link", "{up}outside"), .file("topologies/inc.yaml", .part),
            .file("topologies/p/platform.yaml", .platform, "link/secret", "link/../inc.yaml"),
        ]),
        ("extends-variant", [
            platform, .folder("topologies/p/variants"),
            .file("topologies/p/variants/v.yaml", .variant, "{up}outside/platform.yaml", "/proc/self/cwd/../outside/secret"),
        ]),
        ("workload-topology", [
            platform, .folder("topologies/p/workloads"),
            .file("topologies/p/workloads/w.yaml", .workload, "{S}/outside/platform.yaml"),
        ]),
        ("golden-links-out", [
            platform, .link("golden/p/platform.summary.txt", "{S}/outside/secret"),
            .link("golden/p/platform.groups.txt", "/proc/self/environ"), .link("golden/p/platform.reach.txt", "{null}"),
        ]),
        ("golden-folder-links", [
            platform, .link("golden/q", "{up}outside"), .link("golden/p/link", ".."),
            .link("golden/a", "b"), .link("golden/b", "a"), .link("golden/p/.w.txt.tmp-Ab12Cd", "{S}/outside/keep.txt"),
        ]),
        ("fifos-and-devices", [
            .fifo("topologies/p/fifo"), .link("topologies/p/inc.yaml", "{zero}"),
            .file("topologies/p/platform.yaml", .platform, "fifo", "inc.yaml"),
            .fifo("golden/p/platform.summary.txt"), .link("golden/p/platform.groups.txt", "{S}/outside/fifo"),
        ]),
        ("dts-fixture", [
            .folder("topologies/invalid"), .folder("topologies/invalid/c"),
            .file("topologies/invalid/c/fires.dts", .dts, "board.dtsi"), .file("topologies/invalid/c/board.dtsi", .dtsi),
        ]),
        ("model-fixture", [
            platform, .folder("topologies/invalid"), .folder("topologies/invalid/c"),
            .file("topologies/invalid/c/passes.json", .model, "{S}/outside/platform.yaml", "../platform.yaml"),
            .file("topologies/invalid/c/fires.yaml", .fixture, "../../p/platform.yaml"),
        ]),
        ("import-and-machine", [
            .folder("topologies/import"), .file("topologies/import/m.txt", .lspci),
            .folder("topologies/machines"), .file("topologies/machines/m.txt", .lspci), .link("topologies/machines/index.tsv", "{S}/outside/secret"),
        ]),
        ("import-folder", [
            .folder("topologies/import"), .folder("topologies/import/m"), .file("topologies/import/m/m.txt", .lspci),
            .file("topologies/import/m/board.dts", .dts, nil, "board.dtsi"), .file("topologies/import/m/board.dtsi", .dtsi),
        ]),
        ("snapshot-folder", [
            .folder("topologies/machines"), .folder("topologies/machines/m"), .file("topologies/machines/m/iotopo-snapshot", .empty),
            .link("topologies/machines/m/link", "{S}/outside"), .file("topologies/machines/index.tsv", .index),
        ]),
        ("platform-folder-link-out", [platform, .link("topologies/q", "{S}/outside/dir")]),
        ("proc-self-cwd", [
            .file("topologies/p/platform.yaml", .platform, "/proc/self/cwd/../outside/secret", "/proc/self/cwd/topologies/p/platform.yaml"),
            .link("golden/p/link", "/proc/self/cwd/.."), .link("topologies/p/sub", "/proc/self/root{S}/outside/secret"),
        ]),
        ("deep-folders", [
            .folder("topologies/p/sub"), .link("topologies/p/sub/link", "{up}outside/secret"),
            .file("topologies/p/sub/inc.yaml", .invalid, "{up}outside/secret", "link"),
            .file("topologies/p/platform.yaml", .platform, "sub/inc.yaml"),
        ]),
        ("obsolete-through-alias", [
            platform, .link("golden/link", ".."), .file("golden/p/w.txt", .golden), .link("golden/p/loop", "loop"),
        ]),
    ]

    /// The bytes that decode to `steps`.
    static func encode(_ steps: [Step]) -> [UInt8] {
        var folders = Paths.fixedFolders.map(\.path)
        func split(_ path: String) -> (parent: UInt8, name: UInt8) {
            let dir = path.split(separator: "/").dropLast().joined(separator: "/")
            let leaf = String(path.split(separator: "/").last ?? "")
            let p = folders.firstIndex(of: dir), n = Paths.names.firstIndex(of: leaf)
            Fuzz.check(p != nil && n != nil, "seed entry \(path): its folder or name is not in the vocabulary")
            return (UInt8(p ?? 0), UInt8(n ?? 0))
        }
        func pathByte(_ p: String?) -> UInt8 {
            guard let p else { return 0 }
            let i = Paths.paths.firstIndex(of: p)
            Fuzz.check(i != nil, "seed path \(p) is not in the vocabulary")
            return UInt8((i ?? 0) + 1)
        }
        var out: [UInt8] = []
        for s in steps {
            switch s {
            case let .folder(path):
                let (p, n) = split(path)
                out += [3, p, n, 0, 0, 0]
                folders.append(path)
            case let .file(path, template, x, y):
                let (p, n) = split(path)
                out += [0, p, n, UInt8(template.rawValue), pathByte(x), pathByte(y)]
            case let .link(path, target, sibling):
                let (p, n) = split(path)
                let t = Paths.targets.firstIndex(of: target), sib = Paths.names.firstIndex(of: sibling)
                Fuzz.check(t != nil && sib != nil, "seed link \(path) -> \(target): not in the vocabulary")
                out += [4, p, n, UInt8(t ?? 0), UInt8(sib ?? 0), 0]
            case let .fifo(path):
                let (p, n) = split(path)
                out += [7, p, n, 0, 0, 0]
            }
        }
        return out
    }

    static func write(to dir: String) {
        mkdir(dir, 0o755)
        for (name, steps) in seeds {
            let bytes = encode(steps)
            Fuzz.check(bytes.count / Paths.entrySize <= Paths.maxEntries, "seed \(name) has too many entries")
            let fd = open(dir + "/seed-" + name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            Fuzz.check(fd >= 0, "cannot write seed \(name) in \(dir)")
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            close(fd)
            Fuzz.check(n == bytes.count, "short write of seed \(name)")
        }
    }
}
