import IotopoFirmware
import IotopoSource

/// One firmware table a source gave, with where it came from, so that its problems can be
/// reported on the right file and line.
public struct FirmwareSource: Sendable {
    public var table: ACPITable
    /// The file it was read from.
    public var file: FileID
    /// For acpidump text: the line of each 16-byte row, so a byte offset maps to a line.
    public var dump: ACPIDumpText.Table?

    /// The diagnostic range of a byte offset of the table.
    public func range(of offset: Int?) -> SourceRange {
        guard let dump else { return .fileStart(file) }
        return Self.range(dump, offset, file)
    }

    /// The two hex digits of byte `offset` in acpidump text.
    static func range(_ dump: ACPIDumpText.Table, _ offset: Int?, _ file: FileID) -> SourceRange {
        let line = UInt32(dump.line(of: offset))
        let column = UInt32(offset == nil ? 1 : dump.column(of: offset))
        return SourceRange(file: file, start: SourcePosition(line: line, column: column),
                           end: SourcePosition(line: line, column: column + (offset == nil ? 1 : 2)))
    }
}

extension HostDescription {
    /// The DMAR, IVRS and IORT tables the sources gave.
    public var dmar: (DMARTable, FirmwareSource)? {
        for s in firmware { if case let .dmar(t) = s.table { return (t, s) } }
        return nil
    }

    public var ivrs: (IVRSTable, FirmwareSource)? {
        for s in firmware { if case let .ivrs(t) = s.table { return (t, s) } }
        return nil
    }

    public var iort: (IORTTable, FirmwareSource)? {
        for s in firmware { if case let .iort(t) = s.table { return (t, s) } }
        return nil
    }
}

/// Reads ACPI tables, as binary files (`/sys/firmware/acpi/tables/DMAR`, `acpidump -b`'s
/// `dmar.dat`) or as `acpidump` text, into a host description that holds only firmware.
enum FirmwareReader {
    /// Whether bytes are a binary table we read, or acpidump text.
    static func looksLikeACPI(_ bytes: [UInt8]) -> Bool {
        ACPITable.looksLikeTable(bytes) || ACPIDumpText.looks(bytes)
    }

    /// Reads one file. Problems become diagnostics on the file (binary: the byte offset in the
    /// message; text: the line holding the byte).
    static func read(_ bytes: [UInt8], path: String, file: FileID, sink: inout DiagnosticSink) -> HostDescription? {
        var host = HostDescription(format: "acpi", sourcePath: path, functions: [])
        if ACPITable.looksLikeTable(bytes) {
            var problems: [FirmwareProblem] = []
            let t = ACPITable.read(bytes, problems: &problems)
            let src = t.map { FirmwareSource(table: $0, file: file, dump: nil) }
            report(problems, src?.range(of:) ?? { _ in .fileStart(file) }, &sink)
            if let src { host.firmware.append(src) }
        } else {
            var lineProblems: [(line: Int, message: String)] = []
            let dump = ACPIDumpText.parse(bytes, problems: &lineProblems)
            for p in lineProblems {
                let pos = SourcePosition(line: UInt32(p.line), column: 1)
                sink.error(FirmwareCheck.malformed, p.message, at: SourceRange(file: file, start: pos, end: pos))
            }
            for d in dump.tables {
                var problems: [FirmwareProblem] = []
                let t = ACPITable.read(d.bytes, problems: &problems)
                report(problems, { FirmwareSource.range(d, $0, file) }, &sink)
                if let t { host.firmware.append(FirmwareSource(table: t, file: file, dump: d)) }
            }
            if dump.tables.isEmpty {
                let others = dump.others.isEmpty ? "" : " (it holds \(dump.others.joined(separator: ", ")))"
                sink.error(ImportCheck.unreadable, "'\(path)' holds no DMAR, IVRS or IORT table\(others)", at: .fileStart(file))
                return nil
            }
        }
        return host.firmware.isEmpty ? nil : host
    }

    static func report(_ problems: [FirmwareProblem], _ range: (Int?) -> SourceRange, _ sink: inout DiagnosticSink) {
        for p in problems {
            let r = range(p.offset)
            switch p.severity {
            case .error: sink.error(p.id, p.located, at: r)
            case .warning, .note: sink.warning(p.id, p.located, at: r)
            }
        }
    }
}
