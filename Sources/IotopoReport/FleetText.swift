import IotopoAnalysis
import IotopoCompiler
import IotopoModel
import IotopoSource

/// `iotopo fleet`: many real machines at once. Each source is imported, checked, its groups
/// computed with the quirks of its kernel and compared with the groups its kernel formed.
public enum FleetText {
    /// One machine's outcome.
    public struct Machine: Sendable {
        public enum Result: Sendable {
            /// The partitions agree.
            case exact
            /// They differ; `explained` is an ACS override that reproduces the kernel's.
            case mismatch(GroupComparison, explained: ACSOverride?)
            /// Import or check failed, or the source records no groups.
            case failed(String)
        }

        public var name: String
        public var kernel: String?
        public var functions: Int
        public var groups: Int
        /// The index marks it as running the out-of-tree ACS override (counted apart).
        public var overrideNoted: Bool
        public var result: Result
        /// iotopo's groups, for the mismatch report.
        var analysis: GroupAnalysis?
        var model: SystemModel?
    }

    /// What the index says of a source: its kernel and a note.
    public struct IndexEntry: Sendable {
        public var kernel: String?
        public var note: String
        public init(kernel: String?, note: String) {
            self.kernel = kernel
            self.note = note
        }
    }

    /// Reads a hw-probe style index: tab-separated, a header naming `file` and optionally
    /// `kernel` and `note` columns.
    public static func readIndex(_ bytes: [UInt8]) -> [String: IndexEntry] {
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
        guard let head = lines.first else { return [:] }
        let cols = head.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        guard let fi = cols.firstIndex(of: "file") else { return [:] }
        let ki = cols.firstIndex(of: "kernel"), ni = cols.firstIndex(of: "note")
        var out: [String: IndexEntry] = [:]
        for line in lines.dropFirst() {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fi < f.count else { continue }
            out[f[fi]] = IndexEntry(kernel: ki.flatMap { $0 < f.count && !f[$0].isEmpty ? f[$0] : nil },
                                    note: ni.flatMap { $0 < f.count ? f[$0] : nil } ?? "")
        }
        return out
    }

    /// Imports, checks and compares one source.
    public static func machine(path: String, name: String, index: IndexEntry?, options: CompileOptions) -> Machine {
        var o = options
        if let k = index?.kernel { o.kernel = k }
        let noted = index?.note.contains("acs_override") ?? false
        var m = Machine(name: name, kernel: index?.kernel, functions: 0, groups: 0, overrideNoted: noted, result: .failed(""))
        let r = Compiler.importing(paths: [path], options: o.forAnalysis)
        guard let model = r.model else {
            let first = r.diagnostics.first { $0.severity == .error }?.message ?? "no model"
            m.result = .failed("does not import and check: " + first)
            return m
        }
        let observed = GroupComparison.recorded(model)
        guard !observed.isEmpty else {
            m.result = .failed("records no IOMMU groups")
            return m
        }
        let g = GroupAnalysis(model)
        let c = GroupComparison(g, model, observed: observed)
        m.functions = c.functions
        m.groups = g.groups.count
        m.analysis = g
        m.model = model
        m.result = c.same ? .exact : .mismatch(c, explained: GroupComparison.explainingOverride(model, policy: .classic, observed: observed, functions: nil))
        return m
    }

    /// The table, the accuracy line, and each mismatch in full.
    public static func render(_ machines: [Machine]) -> String {
        var out = ""
        // Machine names are file names and the kernel and failures come from the corpus:
        // shown by `TerminalText`'s rule.
        func shown(_ s: String) -> String { TerminalText.visible(s) }
        let width = min(60, machines.map { shown($0.name).count }.max() ?? 10)
        out += pad("machine", width) + "  " + pad("kernel", 8) + "  " + pad("functions", 9) + "  " + pad("groups", 6) + "  result\n"
        for m in machines {
            let k = m.kernel.flatMap { KernelReleaseText.short($0) }.map(shown) ?? "-"
            var line = pad(shown(m.name), width) + "  " + pad(k, 8) + "  " + pad(String(m.functions), 9) + "  " + pad(String(m.groups), 6) + "  "
            switch m.result {
            case .exact: line += "exact" + (m.overrideNoted ? " (noted as override, yet upstream rules agree)" : "")
            case let .mismatch(c, e):
                line += "differs in \(c.differences.count) place\(c.differences.count == 1 ? "" : "s")"
                if let e { line += "; --acs-override \(e.text) reproduces it" }
                if m.overrideNoted { line += " (kernel with the ACS override patch)" }
            case let .failed(why): line += "failed: " + shown(why)
            }
            out += line + "\n"
        }
        let upstream = machines.filter { !$0.overrideNoted }
        let exact = upstream.filter { if case .exact = $0.result { return true } else { return false } }.count
        let noted = machines.filter(\.overrideNoted)
        let reproduced = noted.filter {
            switch $0.result {
            case .exact: return true
            case let .mismatch(_, e): return e != nil
            case .failed: return false
            }
        }.count
        let pct = upstream.isEmpty ? 100.0 : Double(exact) * 100 / Double(upstream.count)
        out += "\n\(machines.count) machine\(machines.count == 1 ? "" : "s"): \(exact) of \(upstream.count) exact under upstream rules (\(percent(pct)))"
        if !noted.isEmpty { out += "; \(noted.count) with the ACS override patch, counted apart: \(reproduced) reproduced by --acs-override" }
        out += "\n"
        for m in machines {
            guard case let .mismatch(c, e) = m.result, let g = m.analysis, let model = m.model else { continue }
            out += "\n== \(shown(m.name))\n"
            out += GroupsCompareText.render(c, g, model, observedName: "the kernel's groups", explained: e)
        }
        return out
    }

    /// Exact matches among machines without the override note.
    public static func exactCount(_ machines: [Machine]) -> Int {
        machines.filter { m in
            guard !m.overrideNoted else { return false }
            if case .exact = m.result { return true }
            return false
        }.count
    }

    static func percent(_ v: Double) -> String {
        let tenths = Int((v * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)%"
    }

    static func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
}

/// `6.8.0-45-generic` -> `6.8`.
enum KernelReleaseText {
    static func short(_ k: String) -> String? {
        let parts = k.split(separator: ".", maxSplits: 2)
        guard parts.count >= 2 else { return nil }
        return parts[0] + "." + String(parts[1].prefix { $0.isNumber })
    }
}
