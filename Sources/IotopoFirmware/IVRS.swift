/// The I/O Virtualization Reporting Structure of AMD-Vi platforms (AMD I/O Virtualization
/// Technology (IOMMU) Specification, 48882 rev 3.x, chapter 5 "ACPI"), as Linux's
/// drivers/iommu/amd/init.c reads it.
public struct IVRSTable: Hashable, Sendable {
    public var header: ACPIHeader
    /// IVinfo: bit 0 EFRSup, bit 1 DMA guard optional; bits 14:8 PASize, 21:15 VASize,
    /// 7:5 GVASize.
    public var ivInfo: UInt32
    /// IVHD blocks in table order, all types.
    public var hardware: [IVHD] = []
    /// IVMD blocks.
    public var memory: [IVMD] = []
    /// Blocks of types the reader does not know.
    public var skipped: [SkippedEntry] = []

    /// Physical address size (IVinfo bits 14:8).
    public var physicalAddressBits: Int { Int(ivInfo >> 8 & 0x7F) }
    /// Virtual address size (IVinfo bits 21:15).
    public var virtualAddressBits: Int { Int(ivInfo >> 15 & 0x7F) }

    /// The IVHD type Linux uses: one IOMMU may be described up to three times (10h, 11h, 40h);
    /// `get_highest_supported_ivhd_type` picks the highest type the driver supports among the
    /// blocks describing the first IVHD's IOMMU (same device ID), and `init_iommu_all` then
    /// reads only blocks of that type.
    public var effectiveType: UInt8? {
        guard let first = hardware.first(where: { IVHD.supportedTypes.contains($0.type) }) else { return nil }
        return hardware.filter { $0.deviceID == first.deviceID && IVHD.supportedTypes.contains($0.type) }.map(\.type).max()
    }

    /// The blocks Linux uses: those of `effectiveType`.
    public var effectiveHardware: [IVHD] {
        guard let t = effectiveType else { return [] }
        return hardware.filter { $0.type == t }
    }
}

/// An I/O Virtualization Hardware Definition block: one IOMMU and the devices it manages.
public struct IVHD: Hashable, Sendable {
    public static let supportedTypes: [UInt8] = [0x10, 0x11, 0x40]

    public var type: UInt8
    public var flags: UInt8
    /// The IOMMU's own PCI function (bus << 8 | devfn).
    public var deviceID: UInt16
    /// Offset of its capability block in its config space.
    public var capabilityOffset: UInt16
    public var base: UInt64
    public var segment: UInt16
    /// IOMMU info: bits 4:0 MSI number, bits 12:8 UnitID.
    public var info: UInt16
    /// Type 10h: IOMMU feature reporting; 11h and 40h: IOMMU attributes.
    public var attributes: UInt32
    /// Type 11h and 40h: the EFR register image.
    public var efr: UInt64?
    public var entries: [IVHDEntry]
    public var offset: Int

    /// The device-table settings this block gives, with the ranges and aliases resolved as
    /// `init_iommu_from_acpi` resolves them.
    public var devices: [IVHDDevices] {
        var out: [IVHDDevices] = []
        var rangeStart: IVHDEntry?
        for e in entries {
            switch e.kind {
            case .all:
                out.append(IVHDDevices(first: 0, last: 0xFFFF, setting: e.setting, alias: nil, entry: e.offset))
            case .select, .extendedSelect, .aliasSelect:
                out.append(IVHDDevices(first: e.deviceID, last: e.deviceID, setting: e.setting, alias: e.alias, entry: e.offset))
            case .rangeStart, .aliasRangeStart, .extendedRangeStart:
                rangeStart = e
            case .rangeEnd:
                if let s = rangeStart, s.deviceID <= e.deviceID {
                    out.append(IVHDDevices(first: s.deviceID, last: e.deviceID, setting: s.setting, alias: s.alias, entry: s.offset))
                }
                rangeStart = nil
            case .special:
                let id = e.usedDeviceID ?? e.deviceID
                out.append(IVHDDevices(first: id, last: id, setting: e.setting, alias: nil, entry: e.offset))
            case .acpiHID:
                out.append(IVHDDevices(first: e.deviceID, last: e.deviceID, setting: e.setting, alias: nil, entry: e.offset))
            case .pad, .unknown:
                break
            }
        }
        return out
    }
}

/// A run of device IDs one IVHD manages, with its DTE setting and the alias it uses.
public struct IVHDDevices: Hashable, Sendable {
    public var first: UInt16
    public var last: UInt16
    public var setting: UInt8
    /// The requester ID these devices' DMA arrives with (an alias entry's "source used"
    /// device ID); nil: their own.
    public var alias: UInt16?
    /// Offset of the entry that gave it.
    public var entry: Int
}

/// One device entry of an IVHD block (AMD IOMMU spec 5.2.2.2-5.2.2.3). Entry types below
/// 40h are 4 bytes, 40h to 7Fh 8 bytes, 80h to BFh 16; F0h (ACPI HID) is 22 bytes plus its
/// UID (`ivhd_entry_length`).
public struct IVHDEntry: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case pad, all, select, rangeStart, rangeEnd, aliasSelect, aliasRangeStart
        case extendedSelect, extendedRangeStart, special, acpiHID, unknown
    }

    public var type: UInt8
    public var deviceID: UInt16
    /// DTE setting byte: INITPass, EIntPass, NMIPass, SysMgt, Lint0Pass, Lint1Pass.
    public var setting: UInt8
    /// Alias entries: the device ID the devices' requests use.
    public var alias: UInt16?
    /// Extended entries: the extended DTE setting (bit 31 ATS disabled).
    public var extended: UInt32?
    /// Special entries: the IOAPIC ID or HPET number (handle) and the variety (1 IOAPIC, 2 HPET).
    public var handle: UInt8?
    public var variety: UInt8?
    /// Special entries: the requester ID the IOAPIC's or HPET's interrupts arrive with.
    public var usedDeviceID: UInt16?
    /// ACPI HID entries: HID, CID and UID.
    public var hid: String?
    public var cid: String?
    public var uid: String?
    public var offset: Int
    public var length: Int

    public var kind: Kind {
        switch type {
        case 0: return .pad
        case 1: return .all
        case 2: return .select
        case 3: return .rangeStart
        case 4: return .rangeEnd
        case 0x42: return .aliasSelect
        case 0x43: return .aliasRangeStart
        case 0x46: return .extendedSelect
        case 0x47: return .extendedRangeStart
        case 0x48: return .special
        case 0xF0: return .acpiHID
        default: return .unknown
        }
    }

    /// The variety of a special entry in words.
    public var specialKind: String? {
        guard kind == .special else { return nil }
        switch variety {
        case 1?: return "IOAPIC"
        case 2?: return "HPET"
        default: return "special device variety \(variety ?? 0)"
        }
    }
}

/// An I/O Virtualization Memory Definition block (AMD IOMMU spec 5.2.2.4): a unity-mapped
/// or excluded range, for all devices (20h), one (21h) or a range (22h).
public struct IVMD: Hashable, Sendable {
    public var type: UInt8
    /// bit 0 Unity, bit 1 IR (read), bit 2 IW (write), bit 3 ExclusionRange.
    public var flags: UInt8
    public var deviceID: UInt16
    /// Type 22h: the last device ID of the range.
    public var auxData: UInt16
    public var start: UInt64
    public var length: UInt64
    public var offset: Int

    public var unity: Bool { flags & 1 != 0 }
    public var readable: Bool { flags & 2 != 0 }
    public var writable: Bool { flags & 4 != 0 }
    public var exclusion: Bool { flags & 8 != 0 }

    /// The device IDs it applies to.
    public var devices: ClosedRange<UInt16> {
        switch type {
        case 0x20: return 0 ... 0xFFFF
        case 0x22: return deviceID <= auxData ? deviceID ... auxData : deviceID ... deviceID
        default: return deviceID ... deviceID
        }
    }
}

extension IVRSTable {
    /// Reads an IVRS table. Blocks are walked by their length; a 0-length block, or one running
    /// past the table's end, stops the walk with an error. Inside an IVHD, device entries are
    /// walked by `ivhd_entry_length`'s rule; an entry type whose length cannot be known stops
    /// that block's entries with an error, since nothing after it can be found.
    public static func read(_ raw: [UInt8], problems: inout [FirmwareProblem]) -> IVRSTable? {
        guard let (h, b) = ACPIHeader.read(raw, expect: "IVRS", problems: &problems) else { return nil }
        if let p = ChecksumPolicy.check(h, b) { problems.append(p) }
        func fail(_ at: Int, _ m: String) { problems.append(FirmwareProblem(FirmwareCheck.malformed, .error, table: "IVRS", offset: at, m)) }
        guard let info = b.u32(36), b.count >= 48 else {
            fail(b.count, "the table ends inside IVinfo and its reserved field: it needs 48 bytes")
            return nil
        }
        var t = IVRSTable(header: h, ivInfo: info)
        var at = 48
        while at < b.count {
            guard let type = b.u8(at), let flags = b.u8(at + 1), let length = b.u16(at + 2).map(Int.init) else {
                fail(at, "a block header is cut off (\(b.count - at) bytes left, 4 needed)")
                break
            }
            guard length != 0 else { fail(at + 2, "a block of type \(hexDigits(UInt64(type), width: 2))h has length 0"); break }
            guard b.contains(at, length: length) else {
                fail(at + 2, "a block of type \(hexDigits(UInt64(type), width: 2))h is \(length) bytes and runs past the table's end (\(b.count))")
                break
            }
            let end = at + length
            switch type {
            case 0x10, 0x11, 0x40:
                let fixed = type == 0x10 ? 24 : 40
                guard length >= fixed else {
                    fail(at + 2, "an IVHD block of type \(hexDigits(UInt64(type)))h is \(length) bytes, shorter than its \(fixed)-byte header")
                    break
                }
                t.hardware.append(IVHD(type: type, flags: flags, deviceID: b.u16(at + 4) ?? 0, capabilityOffset: b.u16(at + 6) ?? 0,
                                       base: b.u64(at + 8) ?? 0, segment: b.u16(at + 16) ?? 0, info: b.u16(at + 18) ?? 0,
                                       attributes: b.u32(at + 20) ?? 0, efr: type == 0x10 ? nil : b.u64(at + 24),
                                       entries: entries(b, at + fixed, end, &problems), offset: at))
            case 0x20, 0x21, 0x22:
                guard length >= 32 else {
                    fail(at + 2, "an IVMD block is \(length) bytes, shorter than its 32 bytes")
                    break
                }
                t.memory.append(IVMD(type: type, flags: flags, deviceID: b.u16(at + 4) ?? 0, auxData: b.u16(at + 6) ?? 0,
                                     start: b.u64(at + 16) ?? 0, length: b.u64(at + 24) ?? 0, offset: at))
            default:
                problems.append(FirmwareProblem(FirmwareCheck.unknown, .warning, table: "IVRS", offset: at,
                                                "block type \(hexDigits(UInt64(type), width: 2))h is not an IVHD (10h, 11h, 40h) or IVMD (20h-22h); skipped"))
                t.skipped.append(SkippedEntry(type: UInt32(type), offset: at))
            }
            at = end
        }
        return t
    }


    /// The length of the device entry at `at`, by `ivhd_entry_length`'s rule and the spec's
    /// sizes; nil when it cannot be known.
    static func entryLength(_ b: TableBytes, _ at: Int) -> Int? {
        guard let type = b.u8(at) else { return nil }
        switch type {
        case 0 ..< 0x80: return 4 << Int(type >> 6)
        case 0x80 ..< 0xC0: return 16
        case 0xF0: return b.u8(at + 21).map { 22 + Int($0) }
        default: return nil
        }
    }

    static func entries(_ b: TableBytes, _ start: Int, _ end: Int, _ problems: inout [FirmwareProblem]) -> [IVHDEntry] {
        var out: [IVHDEntry] = []
        var at = start
        func fail(_ o: Int, _ m: String) { problems.append(FirmwareProblem(FirmwareCheck.malformed, .error, table: "IVRS", offset: o, m)) }
        var openRange: Int?
        while at < end {
            let type = b.u8(at) ?? 0
            guard let len = entryLength(b, at) else {
                fail(at, "device entry type \(hexDigits(UInt64(type), width: 2))h has no length the reader can know (variable-length types other than F0h); the rest of this IVHD cannot be read")
                break
            }
            guard at + len <= end else {
                fail(at, "a device entry of type \(hexDigits(UInt64(type), width: 2))h (\(len) bytes) runs past its IVHD's end")
                break
            }
            var e = IVHDEntry(type: type, deviceID: b.u16(at + 1) ?? 0, setting: b.u8(at + 3) ?? 0, offset: at, length: len)
            switch e.kind {
            case .aliasSelect, .aliasRangeStart: e.alias = b.u16(at + 5)
            case .extendedSelect, .extendedRangeStart: e.extended = b.u32(at + 4)
            case .special:
                e.handle = b.u8(at + 4)
                e.usedDeviceID = b.u16(at + 5)
                e.variety = b.u8(at + 7)
            case .acpiHID:
                e.hid = b.text(at + 4, count: 8)
                e.cid = b.text(at + 12, count: 8)
                let n = Int(b.u8(at + 21) ?? 0)
                e.uid = n == 0 ? nil : ((b.u8(at + 20) == 1) ? b.u64(at + 22).map { String($0) } : b.text(at + 22, count: n))
            case .unknown:
                problems.append(FirmwareProblem(FirmwareCheck.unknown, .warning, table: "IVRS", offset: at,
                                                "device entry type \(hexDigits(UInt64(type), width: 2))h is not one the spec defines; skipped"))
            default: break
            }
            switch e.kind {
            case .rangeStart, .aliasRangeStart, .extendedRangeStart:
                if let o = openRange {
                    problems.append(FirmwareProblem(FirmwareCheck.malformed, .warning, table: "IVRS", offset: at,
                                                    "a range starts before the range started at byte \(offsetText(o)) has ended; that range is dropped"))
                }
                openRange = at
            case .rangeEnd:
                if openRange == nil {
                    problems.append(FirmwareProblem(FirmwareCheck.malformed, .warning, table: "IVRS", offset: at,
                                                    "a range end (04h) with no range start before it; ignored"))
                } else if let s = out.last(where: { [.rangeStart, .aliasRangeStart, .extendedRangeStart].contains($0.kind) }), s.deviceID > e.deviceID {
                    problems.append(FirmwareProblem(FirmwareCheck.malformed, .error, table: "IVRS", offset: at,
                                                    "a range ends at device ID \(hexDigits(UInt64(e.deviceID), width: 4)), before its start \(hexDigits(UInt64(s.deviceID), width: 4))"))
                }
                openRange = nil
            default: break
            }
            out.append(e)
            at += len
        }
        if let o = openRange {
            problems.append(FirmwareProblem(FirmwareCheck.malformed, .warning, table: "IVRS", offset: o,
                                            "a range starts here and the IVHD ends before its range end (04h); it is dropped"))
        }
        return out
    }
}
