/// A firmware table this project reads.
public enum ACPITable: Hashable, Sendable {
    case dmar(DMARTable)
    case ivrs(IVRSTable)
    case iort(IORTTable)

    public var header: ACPIHeader {
        switch self {
        case let .dmar(t): return t.header
        case let .ivrs(t): return t.header
        case let .iort(t): return t.header
        }
    }

    /// The signatures read; other tables in a dump are passed over.
    public static let signatures = ["DMAR", "IVRS", "IORT"]

    /// Reads one table from its bytes, by its signature. Nil (with a problem) when the
    /// signature is not one of ours or the table cannot be read at all.
    public static func read(_ raw: [UInt8], problems: inout [FirmwareProblem]) -> ACPITable? {
        let sig = TableBytes(raw).text(0, count: 4) ?? ""
        switch sig {
        case "DMAR": return DMARTable.read(raw, problems: &problems).map(ACPITable.dmar)
        case "IVRS": return IVRSTable.read(raw, problems: &problems).map(ACPITable.ivrs)
        case "IORT": return IORTTable.read(raw, problems: &problems).map(ACPITable.iort)
        default:
            problems.append(FirmwareProblem(FirmwareCheck.malformed, .error, table: "ACPI", offset: 0,
                                            "the signature is '\(sig)', not one of \(signatures.joined(separator: ", "))"))
            return nil
        }
    }

    /// Whether bytes start like one of our tables: a known signature and a length field that
    /// is at least a header, and not acpidump text (`DMAR @ 0x...` starts with a signature
    /// too).
    public static func looksLikeTable(_ bytes: [UInt8]) -> Bool {
        let b = TableBytes(bytes)
        if b.u8(4) == 0x20, b.u8(5) == 0x40 { return false }
        guard let sig = b.text(0, count: 4), signatures.contains(sig), let len = b.u32(4) else { return false }
        return len >= UInt32(ACPIHeader.size)
    }
}

/// `acpidump` text: for each table a line `DMAR @ 0x00000000bb7fe000`, then rows of
/// `    0000: 44 4D 41 52 ...  DMAR....`, offset, up to 16 hex bytes, ASCII. The tables we read
/// are rebuilt byte for byte; the others are passed over. Each row's line is kept, so a
/// problem at a table offset is reported on the line that holds that byte.
public struct ACPIDumpText: Sendable {
    public struct Table: Sendable {
        public var signature: String
        public var bytes: [UInt8]
        /// The line of the `SIG @ addr` header (1-based).
        public var line: Int
        /// Line of each 16-byte row, by row index (`offset / 16`).
        public var rowLines: [Int]
        /// The 1-based column of each row's first hex byte.
        public var rowColumns: [Int] = []

        /// The line holding byte `offset`, or the header line.
        public func line(of offset: Int?) -> Int {
            guard let offset, offset >= 0 else { return line }
            let row = offset / 16
            return row < rowLines.count ? rowLines[row] : (rowLines.last ?? line)
        }

        /// The column of byte `offset`'s two hex digits on its line (1 for the header line).
        public func column(of offset: Int?) -> Int {
            guard let offset, offset >= 0, offset / 16 < rowColumns.count else { return 1 }
            return rowColumns[offset / 16] + 3 * (offset % 16)
        }
    }

    public var tables: [Table] = []
    /// Signatures of the tables passed over, in order.
    public var others: [String] = []

    /// Whether the text looks like acpidump output: a `XXXX @ 0x...` line among the first.
    public static func looks(_ bytes: [UInt8]) -> Bool {
        var line: [UInt8] = []
        var lines = 0
        for b in bytes.prefix(4096) {
            if b == 0x0A {
                if headerSignature(line) != nil { return true }
                lines += 1
                if lines > 8 { return false }
                line = []
            } else if b != 0x0D {
                line.append(b)
            }
        }
        return headerSignature(line) != nil
    }

    /// `DMAR @ 0x...` gives `DMAR`.
    static func headerSignature(_ line: [UInt8]) -> String? {
        let s = String(decoding: line, as: UTF8.self).trimmingSpaces
        let parts = s.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 3, parts[1] == "@", parts[2].hasPrefix("0x"), parts[2].count > 2, parts[2].count <= 18,
              UInt64(parts[2].dropFirst(2), radix: 16) != nil, parts[0].count == 4,
              parts[0].unicodeScalars.allSatisfy({ ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "_" || $0 == "!" })
        else { return nil }
        return String(parts[0])
    }

    /// Parses the text. A row out of order, with a bad hex byte, or outside any table is a
    /// problem on its line (`line` in the problem's offset field is not used: `lineProblems`).
    public static func parse(_ bytes: [UInt8], problems: inout [(line: Int, message: String)]) -> ACPIDumpText {
        var out = ACPIDumpText()
        var current: Table?
        var lineNo = 0
        func finish() {
            guard let t = current else { return }
            if ACPITable.signatures.contains(t.signature) { out.tables.append(t) } else { out.others.append(t.signature) }
            current = nil
        }
        var start = 0
        while start <= bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            lineNo += 1
            var raw = Array(bytes[start ..< end])
            if raw.last == 0x0D { raw.removeLast() }
            start = end + 1
            if end >= bytes.count && raw.isEmpty { break }
            if let sig = headerSignature(raw) {
                finish()
                current = Table(signature: sig, bytes: [], line: lineNo, rowLines: [])
                continue
            }
            let text = String(decoding: raw, as: UTF8.self)
            let trimmed = text.trimmingSpaces
            if trimmed.isEmpty { continue }
            // The offset: 1 to 8 hex digits, nothing else (Int's parser would take a sign).
            guard let colon = trimmed.firstIndex(of: ":"), trimmed.distance(from: trimmed.startIndex, to: colon) <= 8,
                  trimmed[..<colon].unicodeScalars.allSatisfy({ ("0" ... "9").contains($0) || ("a" ... "f").contains($0) || ("A" ... "F").contains($0) }),
                  let offset = Int(trimmed[..<colon], radix: 16) else {
                if current != nil {
                    problems.append((lineNo, "'\(trimmed.prefix(40))' is not a row of hex bytes (offset: bytes)"))
                }
                continue
            }
            guard var t = current else {
                problems.append((lineNo, "a row of hex bytes before any 'SIGN @ 0xADDRESS' table header"))
                continue
            }
            guard offset == t.bytes.count else {
                problems.append((lineNo, "the row is at offset \(hexDigits(UInt64(offset), width: 4)) but the \(t.signature) table so far has \(t.bytes.count) bytes (0x\(hexDigits(UInt64(t.bytes.count), width: 4)))"))
                current = t
                continue
            }
            // acpidump (acpi_ut_dump_buffer) prints `%8.4X: `, then 16 columns of `%02X `
            // (blank when the row is short), then the ASCII column: the hex bytes are the 48
            // characters after ": ", so ASCII that happens to look like hex is never read.
            var row: [UInt8] = []
            let after = trimmed[trimmed.index(after: colon)...].dropFirst()
            let fields = after.prefix(48).split(separator: " ", omittingEmptySubsequences: true)
            for f in fields {
                if row.count == 16 { break }
                guard f.count == 2, let v = UInt8(f, radix: 16) else { break }
                row.append(v)
            }
            if row.isEmpty {
                problems.append((lineNo, "the row at offset \(hexDigits(UInt64(offset), width: 4)) holds no hex bytes"))
            }
            t.rowLines.append(lineNo)
            // Column of the first hex digit: after the leading blanks, the offset and ": ".
            let lead = text.prefix { $0 == " " || $0 == "\t" }.count
            t.rowColumns.append(lead + trimmed.distance(from: trimmed.startIndex, to: colon) + 3)
            t.bytes += row
            current = t
        }
        finish()
        return out
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
