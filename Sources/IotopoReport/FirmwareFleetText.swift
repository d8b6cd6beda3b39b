import IotopoCompiler
import IotopoFirmware
import IotopoSource

/// `iotopo fleet` on a corpus of firmware tables: for every machine folder holding
/// `DMAR.bin`, `IVRS.bin` or `IORT.bin`, each table is read (and its checksum held), its
/// fields are held against iasl's decode beside it (`SIG.dsl`), its counts against the
/// corpus index, and it is imported and checked. What the lints find is listed: real
/// firmware has real bugs.
public enum FirmwareFleetText {
    public struct Table: Sendable {
        public var machine: String
        public var signature: String
        public var size: Int
        /// Read with no error.
        public var parsed = false
        public var checksumOK = true
        /// Problems the reader found (errors and warnings), located.
        public var problems: [String] = []
        /// Units and reserved entries as read, and as the index says (nil: not in it).
        public var units = 0, reserved = 0, scopes = 0
        public var indexUnits: Int?, indexReserved: Int?
        /// The index says the checksum fails.
        public var indexChecksumBad = false
        /// The field-by-field comparison with iasl's decode, when there is one.
        public var iasl: IaslDecode.Comparison?
        /// The import and its check: errors, and the IDs of the warnings found.
        public var importErrors: [String] = []
        public var lints: [String] = []

        /// Whether everything held: it parses, counts and fields agree, it imports and checks.
        public var ok: Bool {
            parsed && importErrors.isEmpty && (iasl?.disagreements.isEmpty ?? true)
                && (indexUnits.map { $0 == units } ?? true) && (indexReserved.map { $0 == reserved } ?? true)
                && checksumOK != indexChecksumBad
        }
    }

    /// Whether a folder is a firmware corpus: machine folders with binary tables in them.
    public static func isCorpus(_ dir: String, list: (String) -> [String]) -> Bool {
        list(dir).contains { m in ACPITable.signatures.contains { list(dir + "/" + m).contains($0 + ".bin") } }
    }

    /// Reads the corpus index: tab-separated, a `folder` column, `units`,
    /// `reserved_entries`, `checksum_ok`.
    public static func readIndex(_ bytes: [UInt8]) -> [String: [String: String]] {
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
        guard let head = lines.first else { return [:] }
        let cols = head.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        guard let fi = cols.firstIndex(of: "folder") else { return [:] }
        var out: [String: [String: String]] = [:]
        for line in lines.dropFirst() {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fi < f.count else { continue }
            var row: [String: String] = [:]
            for (i, c) in cols.enumerated() where i < f.count { row[c] = f[i] }
            out[f[fi]] = row
        }
        return out
    }

    /// One table of one machine.
    public static func table(dir: String, machine: String, signature: String, index: [String: String]?, options: CompileOptions) -> Table {
        let path = dir + "/" + machine + "/" + signature + ".bin"
        var t = Table(machine: machine, signature: signature, size: 0)
        guard case let .success(bytes) = FileReader.read(path, limit: 16 << 20) else {
            t.problems = ["cannot read \(path)"]
            return t
        }
        t.size = bytes.count
        var problems: [FirmwareProblem] = []
        let table = ACPITable.read(bytes, problems: &problems)
        t.parsed = table != nil && !problems.contains { $0.severity == .error && $0.id != FirmwareCheck.checksum }
        t.checksumOK = !problems.contains { $0.id == FirmwareCheck.checksum }
        t.problems = problems.filter { $0.id != FirmwareCheck.checksum }.map(\.located)
        if let row = index, row["tables"].map({ $0.split(separator: ",").contains(Substring(signature)) }) ?? true {
            t.indexUnits = row["units"].flatMap { Int($0) }
            t.indexReserved = row["reserved_entries"].flatMap { Int($0) }
            t.indexChecksumBad = row["checksum_ok"] == "NO"
        }
        if let table {
            switch table {
            case let .dmar(d):
                t.units = d.units.count
                t.reserved = d.reserved.count
                t.scopes = d.scopeCount
            case let .ivrs(v):
                t.units = v.hardware.count
                t.reserved = v.memory.count
                t.scopes = v.hardware.reduce(0) { $0 + $1.entries.count }
            case let .iort(o):
                t.units = o.nodes.filter { $0.kind == .smmuV3 || $0.kind == .smmuV1V2 }.count
                t.reserved = o.nodes.filter { $0.kind == .rmr }.count
                t.scopes = o.nodes.reduce(0) { $0 + $1.mappings.count }
            }
            if case let .success(dsl) = FileReader.read(dir + "/" + machine + "/" + signature + ".dsl", limit: 32 << 20) {
                t.iasl = IaslDecode.parse(String(decoding: dsl, as: UTF8.self)).compare(table.decodedFields, signature: signature)
            }
        }
        let r = Compiler.importing(paths: [path], options: options)
        t.importErrors = r.diagnostics.filter { $0.severity == .error && $0.id != FirmwareCheck.checksum }.map(\.message)
        if r.model == nil, t.importErrors.isEmpty, !(signature == "IVRS" && !t.checksumOK) { t.importErrors = ["no model"] }
        var ids: [String] = []
        for d in r.diagnostics where d.severity == .warning && !ids.contains(d.id) { ids.append(d.id) }
        t.lints = ids.sorted()
        return t
    }

    public static func render(_ tables: [Table]) -> String {
        var out = ""
        // Machine names are folder names of the corpus: shown by `TerminalText`'s rule.
        func shown(_ s: String) -> String { TerminalText.visible(s) }
        let width = min(60, max(7, tables.map { shown($0.machine).count }.max() ?? 7))
        out += pad("machine", width) + "  table  bytes  units  reserved  entries  iasl fields  result\n"
        for t in tables {
            var line = pad(shown(t.machine), width) + "  " + pad(t.signature, 5) + "  " + pad(String(t.size), 5) + "  "
            line += pad(count(t.units, t.indexUnits), 5) + "  " + pad(count(t.reserved, t.indexReserved), 8) + "  " + pad(String(t.scopes), 7) + "  "
            if let c = t.iasl {
                line += pad("\(c.agreed)" + (c.beyondIasl > 0 ? "+\(c.beyondIasl)" : "") + (c.disagreements.isEmpty ? "" : " !\(c.disagreements.count)"), 11)
            } else {
                line += pad("-", 11)
            }
            line += "  " + (t.ok ? "ok" : "FAILED")
            if !t.checksumOK { line += "; checksum fails" + (t.indexChecksumBad ? " (as the index says)" : "") }
            if !t.lints.isEmpty { line += "; lints: " + t.lints.joined(separator: ", ") }
            out += line + "\n"
        }
        let ok = tables.filter(\.ok).count
        let fields = tables.reduce(0) { $0 + ($1.iasl?.agreed ?? 0) }
        let beyond = tables.reduce(0) { $0 + ($1.iasl?.beyondIasl ?? 0) }
        let machines = Set(tables.map(\.machine)).count
        out += "\n\(tables.count) table\(tables.count == 1 ? "" : "s") of \(machines) machine\(machines == 1 ? "" : "s"): \(ok) read, counted, cross-checked and imported without a fault; "
        out += "\(fields) fields agree with iasl's decode" + (beyond > 0 ? " (\(beyond) more read past where an older iasl stopped)" : "") + "\n"
        var lintCount: [String: Int] = [:]
        for t in tables { for l in t.lints { lintCount[l, default: 0] += 1 } }
        if !lintCount.isEmpty {
            out += "lints on real firmware: " + lintCount.sorted { $0.key < $1.key }.map { "\($0.key) on \($0.value)" }.joined(separator: ", ") + "\n"
        }
        for t in tables where !t.ok {
            out += "\n== \(shown(t.machine)) \(t.signature)\n"
            for p in t.problems { out += "  \(shown(p))\n" }
            if let u = t.indexUnits, u != t.units { out += "  units: \(t.units) read, \(u) in the index\n" }
            if let r = t.indexReserved, r != t.reserved { out += "  reserved entries: \(t.reserved) read, \(r) in the index\n" }
            if t.checksumOK == t.indexChecksumBad { out += "  checksum: \(t.checksumOK ? "holds" : "fails") here, the index says otherwise\n" }
            for d in t.iasl?.disagreements.prefix(10) ?? [] { out += "  \(d)\n" }
            for e in t.importErrors.prefix(5) { out += "  import: \(e)\n" }
        }
        return out
    }

    /// `3` or `3 (index 4)` when they differ.
    static func count(_ v: Int, _ index: Int?) -> String {
        guard let index, index != v else { return String(v) }
        return "\(v)≠\(index)"
    }

    static func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
}
