/// Untrusted firmware bytes (an ACPI table, a flattened device tree), read only through
/// bounds-checked accessors. Every read names an absolute offset into the table and returns
/// nil past the end, so a length that lies can never read out of bounds; no pointer
/// arithmetic on the bytes, no unsafe buffers.
///
/// ACPI tables are little-endian (ACPI 6.5, 5.2 "Namespace and tables": all multi-byte
/// fields); FDT blocks are big-endian (Devicetree Specification 0.4, 5.1).
public struct TableBytes: Sendable {
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var count: Int { bytes.count }

    /// Whether `[at, at + length)` lies inside the bytes (no overflow).
    @inlinable public func contains(_ at: Int, length: Int) -> Bool {
        guard at >= 0, length >= 0 else { return false }
        let (end, o) = at.addingReportingOverflow(length)
        return !o && end <= bytes.count
    }

    @inlinable public func u8(_ at: Int) -> UInt8? { at >= 0 && at < bytes.count ? bytes[at] : nil }

    /// Little-endian reads.
    public func u16(_ at: Int) -> UInt16? {
        guard contains(at, length: 2) else { return nil }
        return UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
    }

    public func u32(_ at: Int) -> UInt32? {
        guard contains(at, length: 4) else { return nil }
        var v: UInt32 = 0
        for i in (0 ..< 4).reversed() { v = v << 8 | UInt32(bytes[at + i]) }
        return v
    }

    public func u64(_ at: Int) -> UInt64? {
        guard contains(at, length: 8) else { return nil }
        var v: UInt64 = 0
        for i in (0 ..< 8).reversed() { v = v << 8 | UInt64(bytes[at + i]) }
        return v
    }

    /// Big-endian reads (FDT).
    public func be32(_ at: Int) -> UInt32? {
        guard contains(at, length: 4) else { return nil }
        var v: UInt32 = 0
        for i in 0 ..< 4 { v = v << 8 | UInt32(bytes[at + i]) }
        return v
    }

    /// `count` bytes from `at` as text: printable ASCII kept, a NUL ends it, anything else
    /// shown as `\xNN` so that a hostile table cannot put control characters on a terminal.
    public func text(_ at: Int, count: Int) -> String? {
        guard contains(at, length: count) else { return nil }
        var s = ""
        for b in bytes[at ..< at + count] {
            if b == 0 { break }
            if b >= 0x20 && b < 0x7F { s.unicodeScalars.append(Unicode.Scalar(b)) } else { s += "\\x" + hexDigits(UInt64(b), width: 2) }
        }
        return s
    }

    /// A NUL-terminated string starting at `at` and ending before `limit`; nil when there is
    /// no NUL before `limit`.
    public func cString(_ at: Int, limit: Int) -> String? {
        guard at >= 0, at <= limit, limit <= bytes.count else { return nil }
        var i = at
        while i < limit {
            if bytes[i] == 0 { return text(at, count: i - at) }
            i += 1
        }
        return nil
    }
}

/// `v` in lowercase hex, zero-padded to `width` digits.
public func hexDigits(_ v: UInt64, width: Int = 0) -> String {
    let s = String(v, radix: 16)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}

/// `0x48`-style offset text used in every firmware diagnostic.
public func offsetText(_ at: Int) -> String { "0x" + hexDigits(UInt64(max(0, at)), width: 2) }

/// A problem found in firmware bytes, at a byte offset of the table (or a node path of a
/// device tree). Readers collect them, they never throw: one bad subtable is reported and the
/// others are still read where that is safe.
public struct FirmwareProblem: Hashable, Sendable {
    public enum Severity: String, Hashable, Sendable { case error, warning, note }
    /// The check ID (docs/checks.md).
    public var id: String
    public var severity: Severity
    /// The table's signature ("DMAR") or "DTB".
    public var table: String
    /// Byte offset into the table; nil for a problem of the whole file.
    public var offset: Int?
    /// A device-tree node path, for problems found by node.
    public var path: String?
    public var message: String

    public init(_ id: String, _ severity: Severity, table: String, offset: Int?, path: String? = nil, _ message: String) {
        self.id = id
        self.severity = severity
        self.table = table
        self.offset = offset
        self.path = path
        self.message = message
    }

    /// `DMAR at byte 0x48: ...`: where, then what.
    public var located: String {
        if let path { return "\(table) node \(path): \(message)" }
        if let offset { return "\(table) at byte \(offset) (\(offsetText(offset))): \(message)" }
        return "\(table): \(message)"
    }
}

/// The check IDs of firmware sources (docs/checks.md).
public enum FirmwareCheck {
    /// A table or blob is malformed: cut off, a length that lies, a 0-length subtable, a
    /// reference outside the table, a bad FDT header or structure block.
    public static let malformed = "firmware-malformed"
    /// An ACPI table's bytes do not sum to 0 mod 256.
    public static let checksum = "firmware-checksum"
    /// A structure the reader does not know, skipped as the kernel skips it.
    public static let unknown = "firmware-unknown-entry"

    public static let all = [malformed, checksum, unknown]
}

/// A structure of a type the reader does not know, skipped: its type and offset.
public struct SkippedEntry: Hashable, Sendable {
    public var type: UInt32
    public var offset: Int
}
