import ArgumentParser
import IotopoCompiler
import IotopoFirmware
import IotopoImport
import IotopoReport
import IotopoSource
#if canImport(Glibc)
import Glibc
#endif

/// `iotopo fleet DIR...`: iotopo's groups held against the kernel's on many machines.
struct Fleet: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import every machine in the given folders (lspci -vvnn reports, snapshots), check it, and compare iotopo's IOMMU groups with the ones its kernel formed.",
        discussion: "Prints one line per machine, the accuracy, and every difference with iotopo's reasons. An index (tab-separated, with a header naming 'file' and optionally 'kernel' and 'note' columns) gives each report's kernel; a note mentioning acs_override marks a kernel with the out-of-tree patch, counted apart."
    )

    @Argument(help: ArgumentHelp("Folders of lspci -vvnn reports (*.txt) and snapshot folders, or single sources.", valueName: "path"))
    var paths: [String]

    @Option(help: ArgumentHelp("The index of the reports (default: index.tsv beside them, when there is one).", valueName: "file"))
    var index: String?

    @Option(help: ArgumentHelp("Exit 1 when fewer machines than this match exactly under upstream rules.", valueName: "n"))
    var minExact: Int?

    @Option(help: ArgumentHelp("On a firmware corpus: also time reading each table this many times, and print the median per table and signature on standard error (for make bench).", valueName: "n"))
    var parseTiming: Int?

    @OptionGroup var input: InputOptions

    func run() throws {
        // A corpus of firmware tables (machine folders holding DMAR.bin, IVRS.bin, IORT.bin).
        if paths.count == 1, FileReader.isDirectory(paths[0]), FirmwareFleetText.isCorpus(paths[0], list: Self.list) {
            try firmware(paths[0])
            return
        }
        var sources: [(path: String, name: String, dir: String)] = []
        for p in paths {
            if FileReader.isDirectory(p), !SnapshotLayout.isSnapshot(p) {
                for entry in Self.list(p) {
                    let full = p.hasSuffix("/") ? p + entry : p + "/" + entry
                    if entry.hasSuffix(".txt") || SnapshotLayout.isSnapshot(full) { sources.append((full, entry, p)) }
                }
            } else {
                sources.append((p, PathText.directory(p) == "." ? p : String(p.split(separator: "/").last ?? ""), PathText.directory(p)))
            }
        }
        var indexes: [String: [String: FleetText.IndexEntry]] = [:]
        for dir in Set(sources.map(\.dir)) {
            let path = index ?? (dir.hasSuffix("/") ? dir : dir + "/") + "index.tsv"
            if case let .success(b) = FileReader.read(path, limit: 16 << 20) { indexes[dir] = FleetText.readIndex(b) }
        }
        var machines: [FleetText.Machine] = []
        for (n, s) in sources.enumerated() {
            if isatty(2) == 1 { Output.err("\r[\(n + 1)/\(sources.count)] \(TerminalText.visible(s.name))\u{1B}[K") }
            machines.append(FleetText.machine(path: s.path, name: s.name.hasSuffix(".txt") ? String(s.name.dropLast(4)) : s.name,
                                              index: indexes[s.dir]?[s.name], options: input.compileOptions))
        }
        if isatty(2) == 1 { Output.err("\r\u{1B}[K") }
        Output.out(FleetText.render(machines))
        if let min = minExact, FleetText.exactCount(machines) < min { throw ExitCode(1) }
    }

    /// Every table of a firmware corpus; exit 1 when one fails to read, count, cross-check
    /// or import.
    func firmware(_ dir: String) throws {
        let index: [String: [String: String]]
        if case let .success(b) = FileReader.read(self.index ?? dir + "/index.tsv", limit: 16 << 20) { index = FirmwareFleetText.readIndex(b) } else { index = [:] }
        var tables: [FirmwareFleetText.Table] = []
        let machines = Self.list(dir).filter { FileReader.isDirectory(dir + "/" + $0) }
        for (n, m) in machines.enumerated() {
            if isatty(2) == 1 { Output.err("\r[\(n + 1)/\(machines.count)] \(TerminalText.visible(m))\u{1B}[K") }
            for sig in ACPITable.signatures where Self.list(dir + "/" + m).contains(sig + ".bin") {
                tables.append(FirmwareFleetText.table(dir: dir, machine: m, signature: sig, index: index[m], options: input.compileOptions))
            }
        }
        if isatty(2) == 1 { Output.err("\r\u{1B}[K") }
        Output.out(FirmwareFleetText.render(tables))
        if let n = parseTiming, n > 0 { Output.err(Self.parseTimes(dir, machines, repeats: n)) }
        if tables.contains(where: { !$0.ok }) { throw ExitCode(1) }
    }

    /// Each table read `repeats` times in process; the median time of one read per table, by
    /// signature, and the slowest table.
    static func parseTimes(_ dir: String, _ machines: [String], repeats: Int) -> String {
        var bySig: [String: [Double]] = [:]
        var slowest = (0.0, "")
        for m in machines {
            for sig in ACPITable.signatures {
                guard case let .success(bytes) = FileReader.read(dir + "/" + m + "/" + sig + ".bin", limit: 16 << 20) else { continue }
                var times: [Double] = []
                for _ in 0 ..< repeats {
                    var p: [FirmwareProblem] = []
                    let t0 = PhaseTimer.now()
                    let t = ACPITable.read(bytes, problems: &p)
                    let dt = PhaseTimer.now() - t0
                    if t == nil { continue }
                    times.append(dt)
                }
                times.sort()
                let med = times.isEmpty ? 0 : times[times.count / 2]
                bySig[sig, default: []].append(med)
                if med > slowest.0 { slowest = (med, "\(m) \(sig) (\(bytes.count) bytes)") }
            }
        }
        var out = "parse timing (\(repeats) reads of each table, median of one read):\n"
        for sig in ACPITable.signatures {
            guard var v = bySig[sig], !v.isEmpty else { continue }
            v.sort()
            out += "  \(sig): \(v.count) tables, median \(us(v[v.count / 2])) µs, slowest \(us(v.last ?? 0)) µs\n"
        }
        out += "  slowest table: \(slowest.1), \(us(slowest.0)) µs\n"
        return out
    }

    static func us(_ s: Double) -> String {
        let v = (s * 1e7).rounded() / 10
        return String(v)
    }

    /// A folder's entries, sorted, without dot files.
    static func list(_ dir: String) -> [String] {
        guard let d = opendir(dir) else { return [] }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw -> String in
                let bytes = raw.prefix { $0 != 0 }
                return String(decoding: bytes, as: UTF8.self)
            }
            if !name.hasPrefix(".") { out.append(name) }
        }
        return out.sorted()
    }
}
