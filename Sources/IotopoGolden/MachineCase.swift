import IotopoAnalysis
import IotopoCompiler
import IotopoModel
import IotopoReport
import IotopoSource

/// A machine case (`topologies/machines/`, docs/golden.md): a real host's lspci report or
/// snapshot is its own expected output. iotopo's groups must partition the functions as the
/// kernel's recorded groups do; there is no golden file, and `--update` never writes one.
///
/// Both sides print in one canonical form — one line per group, groups ordered by their
/// first function, functions by segment and requester ID, group numbers left out (they
/// follow probe order) — so the case's diff shows exactly the groups that differ.
enum MachineCase {
    struct Texts {
        /// iotopo's partition.
        var predicted: String
        /// The kernel's, or nil with `problem` when the source cannot be compared.
        var observed: String?
        var problem: String?
        /// An ACS override that reproduces the kernel's groups, when they differ.
        var explained: ACSOverride?
    }

    /// The case's texts. The machine's kernel, and optionally the out-of-tree override its
    /// kernel runs, come from `index.tsv` beside it (columns `file`, `kernel`,
    /// `acs-override`).
    static func texts(_ input: String) -> Texts {
        let entry = indexEntry(input)
        var options = CompileOptions().forAnalysis
        if let k = entry.kernel { options.kernel = k }
        let r = Compiler.importing(paths: [input], options: options)
        guard let m = r.model, !r.diagnostics.contains(where: { $0.severity == .error }) else {
            let first = r.diagnostics.first { $0.severity == .error }?.message ?? "no model"
            return Texts(predicted: "\(input): does not import and check: \(first)\n", observed: nil,
                         problem: "\(input) does not import and check; `iotopo check \(input)` shows why")
        }
        let observed = GroupComparison.recorded(m)
        guard !observed.isEmpty else {
            return Texts(predicted: "\(input): records no IOMMU groups\n", observed: nil,
                         problem: "\(input) records no IOMMU groups to compare with (lspci -vvnn prints 'IOMMU group:' lines only with the IOMMU on)")
        }
        var override: ACSOverride?
        if let words = entry.override, case let .success(o) = ACSOverride.parse(words) { override = o }
        let g = GroupAnalysis(m, override: override)
        let keys = GroupComparison.keys(m)
        var predicted: [FunctionKey: Int] = [:]
        for grp in g.groups {
            for case let .pci(ref) in grp.members { if let k = keys[ref] { predicted[k] = grp.number } }
        }
        var names: [FunctionKey: String] = [:]
        for (ref, k) in keys {
            switch ref {
            case let .device(d): names[k] = m.devices[d].name
            case let .bridge(b): names[k] = m.bridges[b].name
            }
        }
        var head = "IOMMU groups of \(m.platform.name) (classic rules, quirks of Linux \(m.platform.quirkRelease ?? "?")"
        if let o = override { head += ", --acs-override \(o.text)" }
        head += "); group numbers left out\n"
        let all = Set(keys.values).sorted()
        var t = Texts(predicted: head + partition(predicted, all, names), observed: head + partition(observed, all, names))
        if t.predicted != t.observed, override == nil {
            t.explained = GroupComparison.explainingOverride(m, policy: .classic, observed: observed, functions: nil)
        }
        return t
    }

    /// One line per group (`group: 0000:00:14.0 usb0, 0000:00:14.2 ram0`), then the
    /// functions in no group.
    static func partition(_ map: [FunctionKey: Int], _ all: [FunctionKey], _ names: [FunctionKey: String]) -> String {
        var members: [Int: [FunctionKey]] = [:]
        var none: [FunctionKey] = []
        for k in all {
            if let g = map[k] { members[g, default: []].append(k) } else { none.append(k) }
        }
        func item(_ k: FunctionKey) -> String { "\(k.description) \(names[k] ?? "?")" }
        var lines = members.values.map { $0.sorted() }.sorted { $0[0] < $1[0] }.map { "group: " + $0.map(item).joined(separator: ", ") }
        if !none.isEmpty { lines.append("no group: " + none.map(item).joined(separator: ", ")) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The machine's row of `index.tsv` in its folder.
    static func indexEntry(_ input: String) -> (kernel: String?, override: String?) {
        let dir = CaseDiscovery.directory(of: input.hasSuffix("/") ? String(input.dropLast()) : input)
        let file = String(input.split(separator: "/").last ?? "")
        let index = CaseDiscovery.join(dir, "index.tsv")
        // Read only inside the project root (docs/security.md), as every case's files are.
        guard PathConfinement(folder: ".")?.contains(index) == true,
              case let .success(bytes) = FileReader.read(index, limit: 16 << 20) else { return (nil, nil) }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
        guard let head = lines.first else { return (nil, nil) }
        let cols = head.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        guard let fi = cols.firstIndex(of: "file") else { return (nil, nil) }
        let ki = cols.firstIndex(of: "kernel"), oi = cols.firstIndex(of: "acs-override")
        for line in lines.dropFirst() {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fi < f.count, f[fi] == file else { continue }
            func col(_ i: Int?) -> String? { i.flatMap { $0 < f.count && !f[$0].isEmpty ? f[$0] : nil } }
            return (col(ki), col(oi))
        }
        return (nil, nil)
    }
}
