/// The 36-byte header every ACPI system description table starts with (ACPI 6.5, 5.2.6
/// "System Description Table Header").
public struct ACPIHeader: Hashable, Sendable {
    /// Four ASCII characters: `DMAR`, `IVRS`, `IORT`.
    public var signature: String
    /// Length of the whole table, header included.
    public var length: UInt32
    public var revision: UInt8
    public var checksum: UInt8
    public var oemID: String
    public var oemTableID: String
    public var oemRevision: UInt32
    public var creatorID: String
    public var creatorRevision: UInt32

    public static let size = 36

    /// Reads the header and checks what every table reader relies on: the bytes hold at least
    /// the header, and `Length` is neither smaller than it nor larger than the bytes.
    /// Returns the header and the table's bytes cut to `Length` (trailing bytes beyond it, as
    /// some dumps carry, are not part of the table).
    public static func read(_ raw: [UInt8], expect: String?, problems: inout [FirmwareProblem]) -> (ACPIHeader, TableBytes)? {
        let b = TableBytes(raw)
        let sigName = expect ?? "ACPI"
        guard raw.count >= size, let length = b.u32(4) else {
            problems.append(FirmwareProblem(FirmwareCheck.malformed, .error, table: sigName, offset: raw.count,
                                            "the table is \(raw.count) bytes, shorter than the \(size)-byte ACPI header"))
            return nil
        }
        let h = ACPIHeader(signature: b.text(0, count: 4) ?? "", length: length, revision: b.u8(8) ?? 0, checksum: b.u8(9) ?? 0,
                           oemID: b.text(10, count: 6) ?? "", oemTableID: b.text(16, count: 8) ?? "",
                           oemRevision: b.u32(24) ?? 0, creatorID: b.text(28, count: 4) ?? "", creatorRevision: b.u32(32) ?? 0)
        if let expect, h.signature != expect {
            problems.append(FirmwareProblem(FirmwareCheck.malformed, .error, table: expect, offset: 0,
                                            "the signature is '\(h.signature)', not '\(expect)'"))
            return nil
        }
        guard length >= UInt32(size) else {
            problems.append(FirmwareProblem(FirmwareCheck.malformed, .error, table: h.signature, offset: 4,
                                            "Length says \(length) bytes, less than the \(size)-byte header"))
            return nil
        }
        guard Int(length) <= raw.count else {
            problems.append(FirmwareProblem(FirmwareCheck.malformed, .error, table: h.signature, offset: 4,
                                            "Length says \(length) bytes but the table has \(raw.count): it is cut off"))
            return nil
        }
        return (h, Int(length) == raw.count ? b : TableBytes(Array(raw[0 ..< Int(length)])))
    }

    /// The byte sum of the table mod 256; 0 for a good table (ACPI 6.5, 5.2.6: "the entire
    /// table, including the checksum field, must add to zero").
    public static func byteSum(_ b: TableBytes) -> UInt8 {
        var s: UInt8 = 0
        for x in b.bytes { s &+= x }
        return s
    }

    /// The checksum byte that would make the table sum to zero.
    public static func expectedChecksum(_ b: TableBytes) -> UInt8 {
        (b.u8(9) ?? 0) &- byteSum(b)
    }
}

/// What a table reader does with a failed checksum: follow the kernel.
///
/// ACPICA's `acpi_tb_verify_checksum` (drivers/acpi/acpica/tbutils.c) prints "Incorrect
/// checksum in table" and, as `ACPI_CHECKSUM_ABORT` is false, the table is still used: DMAR and
/// IORT with a bad checksum still configure the IOMMUs, so for them it is a warning. The
/// AMD-Vi driver sums the IVRS itself and gives up on a bad one (`check_ivrs_checksum`,
/// drivers/iommu/amd/init.c: "IVRS invalid checksum", -ENODEV): the kernel then runs with no
/// AMD IOMMU at all, so for IVRS it is an error.
public enum ChecksumPolicy {
    public static func severity(signature: String) -> FirmwareProblem.Severity {
        signature == "IVRS" ? .error : .warning
    }

    /// The problem for a table whose checksum fails, or nil.
    public static func check(_ h: ACPIHeader, _ b: TableBytes) -> FirmwareProblem? {
        let sum = ACPIHeader.byteSum(b)
        guard sum != 0 else { return nil }
        let want = ACPIHeader.expectedChecksum(b)
        let consequence = h.signature == "IVRS"
            ? "Linux's AMD-Vi driver refuses such a table and runs without an IOMMU (check_ivrs_checksum)"
            : "Linux warns and still uses the table (ACPICA acpi_tb_verify_checksum)"
        return FirmwareProblem(FirmwareCheck.checksum, severity(signature: h.signature), table: h.signature, offset: 9,
                               "checksum is 0x\(hexDigits(UInt64(h.checksum), width: 2)) but the bytes need 0x\(hexDigits(UInt64(want), width: 2)) to sum to 0: \(consequence)")
    }
}
