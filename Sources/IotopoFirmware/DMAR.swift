/// The DMA Remapping Reporting table of Intel VT-d platforms (Intel VT-d spec, rev 4.1 and
/// 5.0, chapter 8 "BIOS Considerations"; ACPICA include/acpi/actbl1.h), as Linux's
/// drivers/iommu/intel/dmar.c walks it.
public struct DMARTable: Hashable, Sendable {
    public var header: ACPIHeader
    /// Host Address Width: the field holds N - 1 (VT-d 8.1); this is N.
    public var hostAddressWidth: Int
    /// Flags: bit 0 INTR_REMAP, bit 1 X2APIC_OPT_OUT, bit 2 DMA_CTRL_PLATFORM_OPT_IN.
    public var flags: UInt8
    public var units: [DRHD] = []
    public var reserved: [RMRR] = []
    public var atsr: [ATSR] = []
    public var rhsa: [RHSA] = []
    public var namespaceDevices: [ANDD] = []
    public var satc: [SATC] = []
    /// Structures of other types (SIDP and later), skipped: type and offset.
    public var skipped: [SkippedEntry] = []

    public var interruptRemapping: Bool { flags & 1 != 0 }
    public var x2apicOptOut: Bool { flags & 2 != 0 }
    public var dmaControlOptIn: Bool { flags & 4 != 0 }

    /// Every device scope of every structure.
    public var scopeCount: Int {
        units.reduce(0) { $0 + $1.scopes.count } + reserved.reduce(0) { $0 + $1.scopes.count }
            + atsr.reduce(0) { $0 + $1.scopes.count } + satc.reduce(0) { $0 + $1.scopes.count }
    }
}

/// A device scope entry (VT-d 8.3.1): the type, an enumeration ID (the IOAPIC ID, HPET
/// number or ACPI device number) and a start bus with a path of (device, function) hops,
/// each hop through a bridge's secondary bus.
public struct DeviceScope: Hashable, Sendable {
    public enum Kind: UInt8, Sendable {
        case endpoint = 1, bridge = 2, ioapic = 3, hpet = 4, namespace = 5
    }
    /// The raw type byte, for types this reader does not know.
    public var type: UInt8
    public var enumerationID: UInt8
    public var startBus: UInt8
    public var path: [PathHop]
    /// Offset of the entry in the table.
    public var offset: Int

    public struct PathHop: Hashable, Sendable {
        public var device: UInt8
        public var function: UInt8
    }

    public var kind: Kind? { Kind(rawValue: type) }

    /// `00:1f.0` for a one-hop path; longer paths as `00:1c.0/00.0`.
    public var pathText: String {
        "\(hexDigits(UInt64(startBus), width: 2)):" + path.map { "\(hexDigits(UInt64($0.device), width: 2)).\($0.function)" }.joined(separator: "/")
    }

    /// What the entry names, in words: `endpoint 00:02.0`, `IOAPIC 2 at f0:1f.0`.
    public var summary: String {
        switch kind {
        case .endpoint?: return "endpoint \(pathText)"
        case .bridge?: return "bridge \(pathText)"
        case .ioapic?: return "IOAPIC \(enumerationID) at \(pathText)"
        case .hpet?: return "HPET \(enumerationID) at \(pathText)"
        case .namespace?: return "ACPI namespace device \(enumerationID) at \(pathText)"
        case nil: return "scope type \(type) at \(pathText)"
        }
    }
}

/// DMA Remapping Hardware Unit Definition (VT-d 8.3).
public struct DRHD: Hashable, Sendable {
    public var flags: UInt8
    /// Register set size: 2^size 4 KiB pages (VT-d 3.0 and later; 0 in older tables).
    public var size: UInt8
    public var segment: UInt16
    public var registerBase: UInt64
    public var scopes: [DeviceScope]
    public var offset: Int
    /// INCLUDE_PCI_ALL: the unit covers every PCI device of its segment that no other unit
    /// lists (its own scope then lists only IOAPICs and HPETs).
    public var includeAll: Bool { flags & 1 != 0 }
}

/// Reserved Memory Region Reporting (VT-d 8.4): memory the listed devices keep using
/// across the OS's boot (USB legacy emulation, graphics stolen memory), identity-mapped.
public struct RMRR: Hashable, Sendable {
    public var segment: UInt16
    public var base: UInt64
    /// The last byte (the table's "limit" is inclusive).
    public var limit: UInt64
    public var scopes: [DeviceScope]
    public var offset: Int
}

/// Root Port ATS Capability Reporting (VT-d 8.5).
public struct ATSR: Hashable, Sendable {
    public var flags: UInt8
    public var segment: UInt16
    public var scopes: [DeviceScope]
    public var offset: Int
    /// ALL_PORTS: every root port of the segment supports ATS.
    public var allPorts: Bool { flags & 1 != 0 }
}

/// Remapping Hardware Static Affinity (VT-d 8.6): a unit's NUMA proximity domain.
public struct RHSA: Hashable, Sendable {
    public var registerBase: UInt64
    public var proximityDomain: UInt32
    public var offset: Int
}

/// ACPI Name-space Device Declaration (VT-d 8.7): binds a namespace scope's device number
/// to an ACPI object path.
public struct ANDD: Hashable, Sendable {
    public var deviceNumber: UInt8
    public var objectName: String
    public var offset: Int
}

/// SoC Integrated Address Translation Cache (VT-d 8.8).
public struct SATC: Hashable, Sendable {
    public var flags: UInt8
    public var segment: UInt16
    public var scopes: [DeviceScope]
    public var offset: Int
    /// ATC_REQUIRED: the devices need ATS enabled to work with the IOMMU on.
    public var atcRequired: Bool { flags & 1 != 0 }
}

extension DMARTable {
    /// Reads a DMAR table. Problems go to `problems`; nil when the header or the fixed part
    /// cannot be read. Structures are walked as `dmar_walk_remapping_entries` does: a 0-length
    /// structure or one running past the table's end stops the walk with an error (the
    /// kernel returns -EINVAL and gives up on the table), an unknown type is skipped.
    public static func read(_ raw: [UInt8], problems: inout [FirmwareProblem]) -> DMARTable? {
        guard let (h, b) = ACPIHeader.read(raw, expect: "DMAR", problems: &problems) else { return nil }
        if let p = ChecksumPolicy.check(h, b) { problems.append(p) }
        func fail(_ at: Int, _ m: String) { problems.append(FirmwareProblem(FirmwareCheck.malformed, .error, table: "DMAR", offset: at, m)) }
        guard let width = b.u8(36), let flags = b.u8(37), b.count >= 48 else {
            fail(b.count, "the table ends inside the DMAR fields (host address width, flags): it needs 48 bytes")
            return nil
        }
        var t = DMARTable(header: h, hostAddressWidth: Int(width) + 1, flags: flags)
        var at = 48
        while at < b.count {
            guard let type = b.u16(at), let length = b.u16(at + 2).map(Int.init) else {
                fail(at, "a remapping structure header is cut off (\(b.count - at) bytes left, 4 needed)")
                break
            }
            guard length != 0 else { fail(at + 2, "a remapping structure of type \(type) has length 0"); break }
            guard b.contains(at, length: length) else {
                fail(at + 2, "a remapping structure of type \(type) is \(length) bytes and runs past the table's end (\(b.count))")
                break
            }
            let end = at + length
            func need(_ n: Int, _ name: String) -> Bool {
                if length >= n { return true }
                fail(at + 2, "a \(name) structure is \(length) bytes, shorter than its \(n)-byte fixed part")
                return false
            }
            switch type {
            case 0 where need(16, "DRHD"):
                t.units.append(DRHD(flags: b.u8(at + 4) ?? 0, size: b.u8(at + 5) ?? 0, segment: b.u16(at + 6) ?? 0,
                                    registerBase: b.u64(at + 8) ?? 0, scopes: scopes(b, at + 16, end, &problems), offset: at))
            case 1 where need(24, "RMRR"):
                let base = b.u64(at + 8) ?? 0, limit = b.u64(at + 16) ?? 0
                t.reserved.append(RMRR(segment: b.u16(at + 6) ?? 0, base: base, limit: limit, scopes: scopes(b, at + 24, end, &problems), offset: at))
            case 2 where need(8, "ATSR"):
                t.atsr.append(ATSR(flags: b.u8(at + 4) ?? 0, segment: b.u16(at + 6) ?? 0, scopes: scopes(b, at + 8, end, &problems), offset: at))
            case 3 where need(20, "RHSA"):
                t.rhsa.append(RHSA(registerBase: b.u64(at + 8) ?? 0, proximityDomain: b.u32(at + 16) ?? 0, offset: at))
            case 4 where need(8, "ANDD"):
                guard let name = b.cString(at + 8, limit: end) else {
                    fail(at + 8, "the ANDD's object name has no terminating NUL inside the structure")
                    break
                }
                t.namespaceDevices.append(ANDD(deviceNumber: b.u8(at + 7) ?? 0, objectName: name, offset: at))
            case 5 where need(8, "SATC"):
                t.satc.append(SATC(flags: b.u8(at + 4) ?? 0, segment: b.u16(at + 6) ?? 0, scopes: scopes(b, at + 8, end, &problems), offset: at))
            case 0 ... 5:
                break   // too short: reported by `need`
            default:
                // dmar_walk_remapping_entries skips types it does not know, "for forward
                // compatibility"; SIDP (6, VT-d 5.0) is one of them.
                t.skipped.append(SkippedEntry(type: UInt32(type), offset: at))
            }
            at = end
        }
        checkOverlappingScopes(t, &problems)
        return t
    }

    /// A PCI device belongs to one remapping unit (VT-d 8.3: each device is under the scope
    /// of one DRHD): two units' scopes naming the same endpoint or bridge path contradict each
    /// other, and which one the kernel picks depends on the order of its unit list. An error,
    /// at the later scope.
    static func checkOverlappingScopes(_ t: DMARTable, _ problems: inout [FirmwareProblem]) {
        var owner: [String: (unit: Int, offset: Int)] = [:]
        for (n, u) in t.units.enumerated() {
            for s in u.scopes where s.kind == .endpoint || s.kind == .bridge {
                let key = "\(u.segment)|\(s.pathText)"
                if let o = owner[key], o.unit != n {
                    problems.append(FirmwareProblem(FirmwareCheck.malformed, .error, table: "DMAR", offset: s.offset,
                                                    "DRHD \(n)'s device scope names \(s.pathText) in segment \(u.segment), which DRHD \(o.unit)'s scope at byte \(offsetText(o.offset)) names too: a device belongs to one remapping unit"))
                } else if owner[key] == nil {
                    owner[key] = (n, s.offset)
                }
            }
        }
    }

    /// The device scope entries in `[at, end)` (VT-d 8.3.1: type, length, flags, reserved,
    /// enumeration ID, start bus, then (device, function) pairs). An entry shorter than 6
    /// bytes, of odd path length, or running past its structure stops the list with an error
    /// (a 0-length entry would otherwise never advance).
    static func scopes(_ b: TableBytes, _ start: Int, _ end: Int, _ problems: inout [FirmwareProblem]) -> [DeviceScope] {
        var out: [DeviceScope] = []
        var at = start
        func fail(_ o: Int, _ m: String) { problems.append(FirmwareProblem(FirmwareCheck.malformed, .error, table: "DMAR", offset: o, m)) }
        while at < end {
            guard let type = b.u8(at), let len = b.u8(at + 1).map(Int.init), at + 2 <= end else {
                fail(at, "a device scope entry is cut off by its structure's end")
                break
            }
            guard len >= 6, (len - 6) % 2 == 0 else {
                fail(at + 1, "a device scope entry has length \(len): it must be 6 plus 2 per path hop")
                break
            }
            guard at + len <= end else {
                fail(at + 1, "a device scope entry of \(len) bytes runs past its structure's end")
                break
            }
            var path: [DeviceScope.PathHop] = []
            var p = at + 6
            while p < at + len {
                path.append(DeviceScope.PathHop(device: b.u8(p) ?? 0, function: b.u8(p + 1) ?? 0))
                p += 2
            }
            let s = DeviceScope(type: type, enumerationID: b.u8(at + 4) ?? 0, startBus: b.u8(at + 5) ?? 0, path: path, offset: at)
            if s.kind == nil {
                // dmar_alloc_dev_scope: "Unsupported device scope", and the entry is skipped.
                problems.append(FirmwareProblem(FirmwareCheck.unknown, .warning, table: "DMAR", offset: at,
                                                "device scope type \(type) is not one VT-d defines (1 to 5); skipped, as Linux does"))
            } else if path.isEmpty {
                fail(at + 1, "a device scope entry has no path: it names no device")
            } else if let bad = path.first(where: { $0.device > 31 || $0.function > 7 }) {
                fail(at + 6, "a device scope path hop is \(bad.device).\(bad.function): devices are 0 to 31, functions 0 to 7")
            } else {
                out.append(s)
            }
            at += len
        }
        return out
    }
}
