import IotopoFirmware
import IotopoModel
import IotopoSource

/// A source format `iotopo import` reads.
public enum ImportFormat: String, Sendable, CaseIterable {
    /// `lspci -vvnn` text.
    case lspci
    /// A folder written by `iotopo snapshot`.
    case snapshot
    /// ACPI tables: a binary DMAR, IVRS or IORT (`/sys/firmware/acpi/tables/*`, `acpidump -b`
    /// files) or `acpidump` text.
    case acpi
    /// A flattened device tree (`.dtb`, `/sys/firmware/fdt`).
    case dtb
    /// Device tree source, compiled with dtc.
    case dts
}

/// The result of importing: the topology text, and what was found on the way.
public struct ImportResult: Sendable {
    /// Every source file read, for diagnostics.
    public var files: SourceFiles
    public var diagnostics: [Diagnostic]
    /// The topology; nil when a source could not be read.
    public var text: String?
    /// The draft it was rendered from.
    public var draft: TopologyDraft?

    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
}

/// The import stage: one reader per format, all feeding one builder and one emitter.
public enum Importer {
    /// The format of a source, from its content: a folder holding a snapshot's marker, or
    /// text whose first line is an lspci function header. Nil when it is neither.
    public static func detect(path: String, limit: Int = 32 << 20) -> ImportFormat? {
        if SnapshotLayout.isSnapshot(path) { return .snapshot }
        guard let bytes = FileReader.readPrefix(path, count: 1 << 16) else { return nil }
        // A .dtb is a blob whatever its first bytes (a bad magic is its reader's error to report).
        if path.hasSuffix(".dtb") { return .dtb }
        return format(of: bytes)
    }

    /// The format of bytes, from their content.
    static func format(of bytes: [UInt8]) -> ImportFormat? {
        if LspciReader.looksLikeLspci(bytes) { return .lspci }
        if FirmwareReader.looksLikeACPI(bytes) { return .acpi }
        if DeviceTree.looks(bytes) { return .dtb }
        if DeviceTreeReader.looksLikeSource(bytes) { return .dts }
        return nil
    }

    /// Imports the sources (one host: several sources are joined).
    public static func run(paths: [String], format forced: ImportFormat? = nil, options: ImportOptions = ImportOptions(),
                           limit: Int = 32 << 20) -> ImportResult {
        let (host, files, diagnostics) = describe(paths: paths, format: forced, limit: limit, includes: options.includes)
        var sink = DiagnosticSink()
        for d in diagnostics { sink.report(d) }
        guard let host, !sink.hasErrors else { return ImportResult(files: files, diagnostics: sink.diagnostics, text: nil, draft: nil) }
        var b = HostBuilder(host: host)
        let draft = b.build(options: options)
        sink.absorb(b.sink)
        return ImportResult(files: files, diagnostics: sink.diagnostics, text: TopologyEmitter.render(draft), draft: draft)
    }

    /// Imports a snapshot tree collected in memory (`--host`), shown as `<host>`.
    public static func run(tree: SnapshotTree, options: ImportOptions = ImportOptions()) -> ImportResult {
        var r = SnapshotReader(root: "<host>", files: SourceFiles())
        let host = r.read(tree)
        var sink = r.sink
        guard let host, !sink.hasErrors else { return ImportResult(files: r.files, diagnostics: sink.diagnostics, text: nil, draft: nil) }
        var b = HostBuilder(host: host)
        let draft = b.build(options: options)
        sink.absorb(b.sink)
        return ImportResult(files: r.files, diagnostics: sink.diagnostics, text: TopologyEmitter.render(draft), draft: draft)
    }

    /// Reads the sources into one description of the host, without building a topology
    /// (`groups --compare` reads the kernel's groups this way). `includes` says where the
    /// files a device tree source names may lead.
    public static func describe(paths: [String], format forced: ImportFormat? = nil, limit: Int = 32 << 20, includes: IncludeScope = .repository)
        -> (host: HostDescription?, files: SourceFiles, diagnostics: [Diagnostic]) {
        var files = SourceFiles()
        var sink = DiagnosticSink()
        var hosts: [HostDescription] = []
        for path in paths {
            var stdin: [UInt8]?
            if path == "-", case let .success(b) = FileReader.read(path, limit: limit) { stdin = b }
            let format = forced ?? (stdin.map { Importer.format(of: $0) } ?? detect(path: path, limit: limit))
            switch format {
            case .lspci?:
                switch stdin.map({ .success($0) }) ?? FileReader.read(path, limit: limit) {
                case let .success(bytes):
                    let id = files.add(path: path == "-" ? "<stdin>" : path, bytes: bytes)
                    var r = LspciReader(file: id)
                    if let h = r.read(bytes, path: path) { hosts.append(h) }
                    sink.absorb(r.sink)
                case let .failure(f):
                    sink.error(ImportCheck.unreadable, "cannot read '\(path)': \(f.reason)", at: nil)
                }
            case .acpi?:
                switch stdin.map({ .success($0) }) ?? FileReader.read(path, limit: limit) {
                case let .success(bytes):
                    let id = files.add(path: path == "-" ? "<stdin>" : path, bytes: ACPITable.looksLikeTable(bytes) ? nil : bytes)
                    if let h = FirmwareReader.read(bytes, path: path, file: id, sink: &sink) { hosts.append(h) }
                case let .failure(f):
                    sink.error(ImportCheck.unreadable, "cannot read '\(path)': \(f.reason)", at: nil)
                }
            case .dtb?, .dts?:
                let read = stdin.map { Result<[UInt8], FileReader.Failure>.success($0) } ?? FileReader.read(path, limit: limit)
                switch read {
                case let .success(bytes):
                    var blob = bytes
                    if format == .dts {
                        // docs/security.md: dtc reads what the source's /include/ and
                        // /incbin/ name, and those bytes reach the import's output (and a
                        // FIFO would make it wait for ever); each must stay inside the scope
                        // of includes and be a regular file before dtc runs.
                        if let problem = dtsIncludeProblem(path, bytes: bytes, includes: includes) {
                            sink.error(DeviceTreeIncludes.checkID, problem, at: nil)
                            continue
                        }
                        switch DeviceTreeReader.compile(path) {
                        case let .success(b): blob = b
                        case let .failure(f):
                            sink.error(ImportCheck.unreadable, f.reason, at: nil)
                            continue
                        }
                    }
                    let id = files.add(path: path == "-" ? "<stdin>" : path, bytes: format == .dts ? bytes : nil)
                    if let h = DeviceTreeReader.read(blob, path: path, file: id, sink: &sink) { hosts.append(h) }
                case let .failure(f):
                    sink.error(ImportCheck.unreadable, "cannot read '\(path)': \(f.reason)", at: nil)
                }
            case .snapshot?:
                var r = SnapshotReader(root: path, files: files)
                if let h = r.read() { hosts.append(h) }
                files = r.files
                sink.absorb(r.sink)
            case nil:
                if FileReader.isDirectory(path) {
                    sink.error(ImportCheck.unreadable, "'\(path)' is a folder but not a snapshot (no \(SnapshotLayout.marker) in it; make one with `iotopo snapshot`)", at: nil)
                } else if case let .failure(f) = FileReader.read(path, limit: limit) {
                    sink.error(ImportCheck.unreadable, "cannot read '\(path)': \(f.reason)", at: nil)
                } else {
                    sink.error(ImportCheck.unreadable, "'\(path)' is neither lspci -vvnn text, an ACPI DMAR, IVRS or IORT table (binary or acpidump text), a device tree (.dtb, .dts), nor a snapshot folder (pass --from to say which)", at: nil)
                }
            }
        }
        guard !sink.hasErrors, !hosts.isEmpty else { return (nil, files, sink.diagnostics) }
        // The PCI functions come from lspci or a snapshot; tables alone describe a host too.
        let first = hosts.firstIndex { !$0.functions.isEmpty } ?? 0
        var host = hosts[first]
        for (i, other) in hosts.enumerated() where i != first { host = join(host, other, &sink) }
        return (host, files, sink.diagnostics)
    }

    /// Why dtc must not run on the device tree source `path`, under `includes`; nil when it may.
    static func dtsIncludeProblem(_ path: String, bytes: [UInt8], includes: IncludeScope) -> String? {
        let words = includes.words(forRoot: path, shown: path == "-" ? "the working directory" : "'\(path)'")
        return DeviceTreeIncludes.problem(path, bytes: bytes, confinedTo: includes.confinement(forRoot: path), scopeText: words)
    }

    /// Two descriptions of one host: the first's functions, with what the second adds
    /// (groups, drivers, capabilities the first could not read); a function only one has is
    /// kept.
    static func join(_ a: HostDescription, _ b: HostDescription, _ sink: inout DiagnosticSink) -> HostDescription {
        var out = a
        var index: [PCIAddress: Int] = [:]
        for (i, f) in out.functions.enumerated() { index[f.address] = i }
        for f in b.functions {
            guard let i = index[f.address] else { out.functions.append(f); continue }
            var g = out.functions[i]
            if g.vendor != f.vendor || g.device != f.device {
                sink.error(ImportCheck.conflict, "\(f.address) is \(hex4(UInt32(g.vendor))):\(hex4(UInt32(g.device))) in '\(a.sourcePath)' but \(hex4(UInt32(f.vendor))):\(hex4(UInt32(f.device))) in '\(b.sourcePath)': they describe different machines",
                           at: f.range)
                continue
            }
            if !g.capabilitiesRead && f.capabilitiesRead {
                g.capabilitiesRead = true
                g.portType = f.portType
                g.acs = f.acs
                g.ari = f.ari
                g.sriov = f.sriov
            }
            g.observedGroup = g.observedGroup ?? f.observedGroup
            g.driver = g.driver ?? f.driver
            g.multifunctionBit = g.multifunctionBit ?? f.multifunctionBit
            g.subsystem = g.subsystem ?? f.subsystem
            out.functions[i] = g
        }
        out.kernel = out.kernel ?? b.kernel
        out.ram = out.ram ?? b.ram
        if out.groupTypes.isEmpty { out.groupTypes = b.groupTypes }
        out.iommuHints += b.iommuHints.filter { !out.iommuHints.contains($0) }
        if out.deviceTree == nil { out.deviceTree = b.deviceTree } else if b.deviceTree != nil {
            sink.warning(ImportCheck.conflict, "a second device tree is ignored: the first given is used", at: nil)
        }
        for s in b.firmware {
            if out.firmware.contains(where: { $0.table.header.signature == s.table.header.signature }) {
                sink.warning(ImportCheck.conflict, "a second \(s.table.header.signature) table is ignored: the first given is used", at: s.range(of: nil))
            } else {
                out.firmware.append(s)
            }
        }
        out.sourcePath += " + " + b.sourcePath
        return out
    }
}
