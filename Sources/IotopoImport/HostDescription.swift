import IotopoModel
import IotopoQuirks
import IotopoSource

/// A PCI function's address: segment (domain), bus, device, function.
public struct PCIAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var segment: UInt32
    public var bus: UInt8
    public var device: UInt8
    public var function: UInt8

    /// Creates an address; nil when device or function is out of range.
    public init?(segment: UInt32, bus: Int, device: Int, function: Int) {
        guard (0 ... 255).contains(bus), (0 ... 31).contains(device), (0 ... 7).contains(function) else { return nil }
        self.segment = segment
        self.bus = UInt8(bus)
        self.device = UInt8(device)
        self.function = UInt8(function)
    }

    /// The requester ID on its bus.
    public var rid: RequesterID { RequesterID(raw: UInt16(bus) << 8 | UInt16(device) << 3 | UInt16(function)) }

    /// `device << 3 | function`.
    public var devfn: UInt8 { device << 3 | function }

    /// `ssss:bb:dd.f`, as `lspci -D` prints it.
    public var description: String { rid.description(segment: segment) }

    public static func < (a: PCIAddress, b: PCIAddress) -> Bool {
        (a.segment, a.bus, a.devfn) < (b.segment, b.bus, b.devfn)
    }
}

/// The SR-IOV capability of a physical function (PCIe base spec, SR-IOV extended capability).
public struct SRIOVCapability: Hashable, Sendable {
    public var initialVFs: Int
    public var totalVFs: Int
    /// VFs currently enabled (`NumVFs`).
    public var enabledVFs: Int
    /// First VF's routing ID relative to the PF's (`First VF Offset`).
    public var offset: Int
    /// Distance between VF routing IDs (`VF Stride`).
    public var stride: Int
    /// The VFs' device ID.
    public var vfDevice: UInt16?

    public init(initialVFs: Int, totalVFs: Int, enabledVFs: Int, offset: Int, stride: Int, vfDevice: UInt16?) {
        self.initialVFs = initialVFs
        self.totalVFs = totalVFs
        self.enabledVFs = enabledVFs
        self.offset = offset
        self.stride = stride
        self.vfDevice = vfDevice
    }

    /// The routing ID of VF `i` (0-based) of a PF at `pf`: `pf + offset + i * stride`
    /// (SR-IOV spec 3.3.10-11; Linux `pci_iov_virtfn_bus`/`_devfn`), in the PF's segment.
    /// Nil when it runs past bus 255.
    public func vfRID(_ i: Int, pf: RequesterID) -> RequesterID? {
        let (a, o1) = i.multipliedReportingOverflow(by: stride)
        let (b, o2) = a.addingReportingOverflow(offset)
        let (r, o3) = b.addingReportingOverflow(Int(pf.raw))
        guard !o1, !o2, !o3, (0 ... 0xFFFF).contains(r) else { return nil }
        return RequesterID(raw: UInt16(r))
    }
}

/// The bus numbers of a bridge's header (type 1): primary, secondary, subordinate.
public struct BridgeBuses: Hashable, Sendable {
    public var primary: UInt8
    public var secondary: UInt8
    public var subordinate: UInt8

    public init(primary: UInt8, secondary: UInt8, subordinate: UInt8) {
        self.primary = primary
        self.secondary = secondary
        self.subordinate = subordinate
    }
}

/// What a source says about one PCI function. Fields a source could not read are nil.
public struct HostFunction: Sendable {
    public var address: PCIAddress
    /// The 24-bit class code (base class, subclass, programming interface); lspci gives the
    /// first two always and the interface when it is not zero.
    public var classCode: UInt32
    /// lspci's name of the class ("PCI bridge"); empty from sysfs.
    public var className: String
    /// lspci's description of the device (vendor and device names), as printed.
    public var description: String
    public var vendor: UInt16
    public var device: UInt16
    public var subsystem: (vendor: UInt16, device: UInt16)?
    public var revision: UInt8?
    /// The kernel driver bound to it.
    public var driver: String?
    /// Header type 1 (a bridge) bus numbers.
    public var buses: BridgeBuses?
    /// Header type bit 7, when the source shows it (sysfs config); lspci does not.
    public var multifunctionBit: Bool?
    /// Whether its capability list could be read. lspci without root prints
    /// `Capabilities: <access denied>`; sysfs gives 64 bytes of config space to non-root.
    public var capabilitiesRead: Bool
    /// The Express capability's port type, or `.conventional` when the capabilities were read
    /// and none is an Express capability; nil when they could not be read.
    public var portType: PCIPortType?
    /// The ACS extended capability, when present.
    public var acs: ACSCapability?
    /// Whether it has an ARI extended capability.
    public var ari: Bool
    /// The SR-IOV capability of a physical function.
    public var sriov: SRIOVCapability?
    /// The kernel's IOMMU group, as observed.
    public var observedGroup: Int?
    /// Where the source describes it (the lspci header line; the snapshot's folder).
    public var range: SourceRange?

    public init(address: PCIAddress, classCode: UInt32, vendor: UInt16, device: UInt16) {
        self.address = address
        self.classCode = classCode
        self.className = ""
        self.description = ""
        self.vendor = vendor
        self.device = device
        self.capabilitiesRead = true
        self.ari = false
    }

    /// `class >> 8`: base class and subclass (`0604` for a PCI-to-PCI bridge).
    public var baseSubclass: UInt16 { UInt16(truncatingIfNeeded: classCode >> 8) }
}

/// One line of /proc/iomem.
public struct IomemEntry: Sendable, Hashable {
    public var base: UInt64
    public var last: UInt64
    public var name: String
    /// Indentation level: 0 for the top (e820 ranges), 1 and more for what sits inside.
    public var depth: Int
}

/// What a source says about a host: its PCI functions and what else it knows.
public struct HostDescription: Sendable {
    /// Which reader produced it ("lspci", "snapshot").
    public var format: String
    /// The source's display path.
    public var sourcePath: String
    /// The kernel release (`uname -r`), when the source records it.
    public var kernel: String?
    /// Functions, in the source's order.
    public var functions: [HostFunction]
    /// `iommu_groups/N/type` (DMA, DMA-FQ, identity, blocked), by group number.
    public var groupTypes: [Int: String] = [:]
    /// The IOMMU words of the kernel command line (`intel_iommu=on`...), in order.
    public var commandLine: [String] = []
    /// System RAM ranges from /proc/iomem (`[base, last]`), when the source has them.
    public var ram: [AddressRange]?
    /// Whether the source recorded IOMMU groups at all.
    public var hasObservedGroups: Bool { functions.contains { $0.observedGroup != nil } }
    /// IOMMU kinds the source's firmware tables or /sys/class/iommu name ("intel-vtd", "amd-vi").
    public var iommuHints: [String] = []
    /// Whether the kernel runs an IOMMU (a snapshot's /sys/class/iommu or groups).
    public var iommuActive = false
    /// ACPI tables (DMAR, IVRS, IORT) the sources gave.
    public var firmware: [FirmwareSource] = []
    /// A device tree the sources gave.
    public var deviceTree: DeviceTreeSource?
    /// /proc/iomem as read, every line: range, name, nesting depth (empty without root).
    public var iomem: [IomemEntry] = []

    public init(format: String, sourcePath: String, functions: [HostFunction]) {
        self.format = format
        self.sourcePath = sourcePath
        self.functions = functions
    }
}

/// The check IDs of the import stage (docs/checks.md).
public enum ImportCheck {
    /// A line of lspci text, or a file of a snapshot, is not in the form expected.
    public static let syntax = "import-syntax"
    /// A source could not be read, or holds nothing to import.
    public static let unreadable = "import-unreadable"
    /// The source lacks facts the import needs, so it assumed them (lspci without root).
    public static let assumed = "import-assumed"
    /// A snapshot holds a link that leads outside it.
    public static let linkOutside = "snapshot-link-outside"
    /// A config space file is shorter than the 64-byte header, or a capability list loops
    /// or points outside it.
    public static let config = "import-config-space"
    /// Two sources, or two entries of one, disagree.
    public static let conflict = "import-conflict"

    /// Every ID above.
    public static let all = [syntax, unreadable, assumed, linkOutside, config, conflict]
}
