/// A PCI requester ID: `bus << 8 | device << 3 | function` (REFERENCE.md section 1).
public struct RequesterID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The 16-bit value.
    public let raw: UInt16

    /// Creates a requester ID from its 16-bit value.
    @inlinable public init(raw: UInt16) { self.raw = raw }

    /// Creates a requester ID from bus, device (0-31) and function (0-7); nil when out of range.
    public init?(bus: Int, device: Int, function: Int) {
        guard (0 ... 255).contains(bus), (0 ... 31).contains(device), (0 ... 7).contains(function) else { return nil }
        raw = UInt16(bus << 8 | device << 3 | function)
    }

    /// Bus number.
    @inlinable public var bus: UInt8 { UInt8(truncatingIfNeeded: raw >> 8) }
    /// Device number (0-31).
    @inlinable public var device: UInt8 { UInt8(truncatingIfNeeded: raw >> 3) & 0x1F }
    /// Function number (0-7).
    @inlinable public var function: UInt8 { UInt8(truncatingIfNeeded: raw) & 0x7 }
    /// `device << 3 | function`.
    @inlinable public var devfn: UInt8 { UInt8(truncatingIfNeeded: raw) }

    /// `bb:dd.f` in lowercase hex, as lspci prints it.
    public var description: String {
        let b = String(bus, radix: 16), d = String(device, radix: 16)
        return (b.count < 2 ? "0" + b : b) + ":" + (d.count < 2 ? "0" + d : d) + "." + String(function)
    }

    /// `ssss:bb:dd.f`, with the PCI segment.
    public func description(segment: UInt16) -> String {
        let s = String(segment, radix: 16)
        return String(repeating: "0", count: 4 - s.count) + s + ":" + description
    }

    public static func < (a: RequesterID, b: RequesterID) -> Bool { a.raw < b.raw }
}

/// PCIe Access Control Services flags (PCIe base spec, ACS capability; Linux `PCI_ACS_*`).
public struct ACSFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Source Validation.
    public static let sv = ACSFlags(rawValue: 1 << 0)
    /// Translation Blocking.
    public static let tb = ACSFlags(rawValue: 1 << 1)
    /// P2P Request Redirect.
    public static let rr = ACSFlags(rawValue: 1 << 2)
    /// P2P Completion Redirect.
    public static let cr = ACSFlags(rawValue: 1 << 3)
    /// Upstream Forwarding.
    public static let uf = ACSFlags(rawValue: 1 << 4)
    /// P2P Egress Control.
    public static let ec = ACSFlags(rawValue: 1 << 5)
    /// Direct Translated P2P.
    public static let dt = ACSFlags(rawValue: 1 << 6)

    /// The flags Linux requires for isolation (`REQ_ACS_FLAGS` in drivers/iommu/iommu.c).
    public static let required: ACSFlags = [.sv, .rr, .cr, .uf]

    /// Names in the order the language and the JSON model write them.
    public static let names: [(String, ACSFlags)] = [
        ("sv", .sv), ("tb", .tb), ("rr", .rr), ("cr", .cr), ("uf", .uf), ("ec", .ec), ("dt", .dt),
    ]

    /// Flag names in canonical order.
    public var nameList: [String] { Self.names.filter { contains($0.1) }.map(\.0) }
}

/// An ACS extended capability: which flags it implements and which are enabled.
public struct ACSCapability: Hashable, Sendable {
    /// Flags the capability implements.
    public var capability: ACSFlags
    /// Flags enabled in the control register.
    public var control: ACSFlags

    /// Creates a capability.
    public init(capability: ACSFlags, control: ACSFlags) {
        self.capability = capability
        self.control = control
    }

    /// `pci_acs_flags_enabled`: the requested flags are enabled, where a flag the capability
    /// does not implement counts as on (drivers/pci/pci.c).
    public func enables(_ flags: ACSFlags) -> Bool {
        let needed = flags.intersection(capability.union(.ec))
        return control.isSuperset(of: needed)
    }
}
