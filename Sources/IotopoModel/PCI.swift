import IotopoSource

/// A PCI requester ID: `bus << 8 | device << 3 | function` (docs/semantics.md section 1).
public struct RequesterID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The 16-bit value.
    public let raw: UInt16

    /// Creates a requester ID from its 16-bit value.
    @inlinable public init(raw: UInt16) { self.raw = raw }

    /// `bb:dd.f` in hex, as lspci prints it; nil for anything else.
    public init?(parsing s: String) {
        let p = s.split(separator: ":", omittingEmptySubsequences: false)
        guard p.count == 2, (1 ... 2).contains(p[0].count), let bus = Int(p[0], radix: 16), !p[0].hasPrefix("-"), !p[0].hasPrefix("+") else { return nil }
        let df = p[1].split(separator: ".", omittingEmptySubsequences: false)
        guard df.count == 2, (1 ... 2).contains(df[0].count), df[1].count == 1, !df[0].hasPrefix("-"), !df[0].hasPrefix("+"),
              let dev = Int(df[0], radix: 16), let fn = Int(df[1], radix: 16) else { return nil }
        self.init(bus: bus, device: dev, function: fn)
    }

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

    /// `ssss:bb:dd.f`, with the PCI segment (at least four hex digits, as lspci prints it:
    /// `10000:e0:06.0` for a VMD domain).
    public func description(segment: UInt32) -> String {
        let s = String(segment, radix: 16)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s + ":" + description
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

/// The PCI Express Device/Port Type of a function (PCIe base spec, Express capability,
/// bits 7:4 of the capabilities register; Linux `PCI_EXP_TYPE_*`), or `conventional` for a
/// function without an Express capability (`!pci_is_pcie(dev)`).
public enum PCIPortType: String, Hashable, Sendable, CaseIterable {
    case endpoint
    case legacyEndpoint = "legacy-endpoint"
    case rootPort = "root-port"
    case upstreamPort = "upstream-port"
    case downstreamPort = "downstream-port"
    /// PCI Express to PCI/PCI-X bridge (`PCI_EXP_TYPE_PCI_BRIDGE`).
    case pcieToPCI = "pcie-to-pci"
    /// PCI/PCI-X to PCI Express bridge (`PCI_EXP_TYPE_PCIE_BRIDGE`).
    case pciToPCIe = "pci-to-pcie"
    case rcIntegratedEndpoint = "rc-integrated-endpoint"
    case rcEventCollector = "rc-event-collector"
    /// No Express capability: a conventional PCI or PCI-X function.
    case conventional
}

extension PCIPortType {
    /// Whether the function has an Express capability (`pci_is_pcie`).
    public var isPCIe: Bool { self != .conventional }
}

/// A vendor and device ID pair (`vvvv:dddd`).
public struct PCIID: Hashable, Sendable, CustomStringConvertible {
    public var vendor: UInt16
    public var device: UInt16

    public init(vendor: UInt16, device: UInt16) {
        self.vendor = vendor
        self.device = device
    }

    /// `8086:a33c`.
    public var description: String {
        func h(_ v: UInt16) -> String { let s = String(v, radix: 16); return String(repeating: "0", count: 4 - s.count) + s }
        return h(vendor) + ":" + h(device)
    }
}

/// A physical function's SR-IOV capability, as far as grouping and naming need it.
public struct SRIOVInfo: Hashable, Sendable {
    public var totalVFs: Int
    public var enabledVFs: Int
    public var offset: Int
    public var stride: Int
    public var vfDevice: UInt16?

    public init(totalVFs: Int, enabledVFs: Int, offset: Int, stride: Int, vfDevice: UInt16?) {
        self.totalVFs = totalVFs
        self.enabledVFs = enabledVFs
        self.offset = offset
        self.stride = stride
        self.vfDevice = vfDevice
    }
}

/// What identifies a PCI function to Linux and to its quirks: IDs, class, revision, and
/// the facts a real machine's description records (docs/topology.md, `pci-id`).
public struct PCIIdentity: Hashable, Sendable {
    /// Vendor and device ID.
    public var id: PCIID
    /// Subsystem vendor and device ID.
    public var subsystem: PCIID?
    public var revision: UInt8?
    /// The 24-bit class code.
    public var classCode: UInt32?
    /// The kernel driver bound to it, as recorded.
    public var driver: String?
    /// It has an ARI extended capability.
    public var ari: Bool
    /// Its SR-IOV capability, for a physical function.
    public var sriov: SRIOVInfo?

    public init(id: PCIID, subsystem: PCIID? = nil, revision: UInt8? = nil, classCode: UInt32? = nil, driver: String? = nil,
                ari: Bool = false, sriov: SRIOVInfo? = nil) {
        self.id = id
        self.subsystem = subsystem
        self.revision = revision
        self.classCode = classCode
        self.driver = driver
        self.ari = ari
        self.sriov = sriov
    }
}

/// A kernel quirk applied to a function, with its effect resolved for this function.
public struct AppliedQuirk: Hashable, Sendable {
    public enum Effect: Hashable, Sendable {
        /// Its ACS answer: the requested flags that are in `provides` count as enabled.
        case acs(provides: ACSFlags)
        /// Extra DMA alias devfns on its own bus.
        case dmaAliases([UInt8])
        /// A conventional bridge that aliases like a PCIe-to-PCI bridge.
        case pcieBridgeAlias
        /// A bridge that does not substitute its requester ID.
        case bridgeNoAlias
        /// Requester-ID aliasing stops at this bridge.
        case translationRoot
    }

    public var effect: Effect
    /// The kernel function (`pci_quirk_intel_pch_acs`).
    public var function: String
    /// The first release that has it (`3.8`).
    public var since: String

    public init(effect: Effect, function: String, since: String) {
        self.effect = effect
        self.function = function
        self.since = since
    }

    /// The ACS flags the quirk provides, when it is an ACS quirk.
    public var acsProvides: ACSFlags? {
        if case let .acs(p) = effect { return p }
        return nil
    }
}

/// A device or a bridge: the two kinds of entity that can be a PCI function.
public enum FunctionRef: Hashable, Sendable, Comparable {
    case device(DeviceID)
    case bridge(BridgeID)

    public static func < (a: FunctionRef, b: FunctionRef) -> Bool {
        switch (a, b) {
        case let (.bridge(x), .bridge(y)): return x < y
        case let (.device(x), .device(y)): return x < y
        case (.bridge, .device): return true
        case (.device, .bridge): return false
        }
    }
}

/// A group the kernel formed on the machine a topology describes (`observed-groups`).
public struct ObservedGroup: Hashable, Sendable {
    /// The kernel's group number.
    public var number: Int
    public var members: [FunctionRef]
    /// Its default domain type (`iommu_groups/N/type`), when recorded.
    public var type: String?
    public var origin: Origin

    public init(number: Int, members: [FunctionRef], type: String?, origin: Origin) {
        self.number = number
        self.members = members
        self.type = type
        self.origin = origin
    }
}

/// An inclusive range of requester IDs an IOMMU manages (an IVHD device range).
public struct RIDRange: Hashable, Sendable {
    public var first: RequesterID
    public var last: RequesterID

    public init(first: RequesterID, last: RequesterID) {
        self.first = first
        self.last = last
    }

    public func contains(_ r: RequesterID) -> Bool { first <= r && r <= last }
}
