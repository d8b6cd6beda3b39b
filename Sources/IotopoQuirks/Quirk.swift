import IotopoModel

/// A Linux kernel release, `major.minor` (the stable and distribution suffixes do not change
/// which quirks a kernel has: quirks land in mainline releases and are backported rarely).
public struct KernelRelease: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var major: Int
    public var minor: Int

    /// Creates a release.
    public init(_ major: Int, _ minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// Reads `6.8`, `6.8.12`, `6.8.0-45-generic`, `6.1.12-arch1-1-vfio`: the first two numbers.
    /// Nil when the text does not start with `N.N`.
    public init?(parsing text: some StringProtocol) {
        var numbers: [Int] = []
        var current: Int?
        for ch in text.utf8 {
            if (48 ... 57).contains(ch) {
                let (m, o1) = (current ?? 0).multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(Int(ch) - 48)
                guard !o1, !o2, s <= 1_000 else { return nil }
                current = s
            } else if ch == UInt8(ascii: "."), let c = current, numbers.isEmpty {
                numbers.append(c)
                current = nil
            } else {
                break
            }
        }
        guard numbers.count == 1, let minor = current else { return nil }
        self.init(numbers[0], minor)
    }

    public var description: String { "\(major).\(minor)" }

    public static func < (a: KernelRelease, b: KernelRelease) -> Bool { (a.major, a.minor) < (b.major, b.minor) }
}

/// Which functions a quirk entry applies to: the kernel's `PCI_VENDOR_ID`/`PCI_ANY_ID`
/// match plus the conditions the quirk function itself tests before it answers.
public struct QuirkMatch: Hashable, Sendable {
    /// Vendor ID; nil matches any vendor (`PCI_ANY_ID`).
    public var vendor: UInt16?
    /// Device IDs, inclusive; nil matches any device of the vendor.
    public var devices: ClosedRange<UInt16>?
    /// Class code match: `(class >> shift) == value`, with the 24-bit class code
    /// (base class, subclass, programming interface); nil matches any class.
    public var classCode: ClassMatch?
    /// Port types the quirk function accepts (it returns -ENOTTY for others); nil: any.
    public var portTypes: [PCIPortType]?
    /// The quirk function answers only for multifunction devices.
    public var multifunctionOnly: Bool
    /// Subsystem vendor and device (`PCI_DEVICE_SUB`); nil matches any.
    public var subsystem: PCIID?
    /// The quirk function answers only on a root bus (`pci_is_root_bus(dev->bus)`).
    public var rootBusOnly: Bool
    /// The quirk function answers only for a function with an ACS capability
    /// (`dev->acs_cap`), as the Sunrise Point quirk does.
    public var needsACSCapability: Bool
    /// The quirk function answers only where an AMD IOMMU is described (an IVRS table).
    public var needsAMDIOMMU: Bool

    /// Creates a match.
    public init(vendor: UInt16?, devices: ClosedRange<UInt16>? = nil, classCode: ClassMatch? = nil,
                portTypes: [PCIPortType]? = nil, multifunctionOnly: Bool = false, subsystem: PCIID? = nil,
                rootBusOnly: Bool = false, needsACSCapability: Bool = false, needsAMDIOMMU: Bool = false) {
        self.vendor = vendor
        self.devices = devices
        self.classCode = classCode
        self.portTypes = portTypes
        self.multifunctionOnly = multifunctionOnly
        self.subsystem = subsystem
        self.rootBusOnly = rootBusOnly
        self.needsACSCapability = needsACSCapability
        self.needsAMDIOMMU = needsAMDIOMMU
    }
}

/// A class-code match (`DECLARE_PCI_FIXUP_CLASS_*`, `pci_is_bridge` tests...).
public struct ClassMatch: Hashable, Sendable {
    /// The expected value of `class >> shift`.
    public var value: UInt32
    /// How many low bits of the 24-bit class code are ignored (8: ignore prog-if; 16: base
    /// class only).
    public var shift: UInt8

    /// Creates a class match.
    public init(value: UInt32, shift: UInt8) {
        self.value = value
        self.shift = shift
    }
}

/// A set of devfns (or function numbers), 0 to 255, as a 256-bit map held inline.
///
/// Not an array: a multi-payload enum keeps its case in the spare bits of an array payload's
/// pointer, which LeakSanitizer then cannot recognise, so every array in the quirk table's
/// alias entries was reported as leaked at exit (`make sanitize`). Held inline there is no
/// allocation to report, and a set of 256 devfns (the PLX NTB quirk's) costs 32 bytes.
public struct DevfnSet: Hashable, Sendable, Sequence, ExpressibleByArrayLiteral {
    private var w0: UInt64 = 0, w1: UInt64 = 0, w2: UInt64 = 0, w3: UInt64 = 0

    /// The set of the given devfns.
    public init<S: Sequence>(_ devfns: S) where S.Element == UInt8 {
        for d in devfns { insert(d) }
    }

    public init(arrayLiteral devfns: UInt8...) { self.init(devfns) }

    /// Adds a devfn.
    public mutating func insert(_ d: UInt8) {
        let bit = UInt64(1) << UInt64(d & 63)
        switch d >> 6 {
        case 0: w0 |= bit
        case 1: w1 |= bit
        case 2: w2 |= bit
        default: w3 |= bit
        }
    }

    /// Whether the set holds `d`.
    public func contains(_ d: UInt8) -> Bool {
        let w = [w0, w1, w2, w3][Int(d >> 6)]
        return w >> UInt64(d & 63) & 1 != 0
    }

    /// The devfns in ascending order.
    public func makeIterator() -> AnyIterator<UInt8> {
        var next = 0
        let words = [w0, w1, w2, w3]
        return AnyIterator {
            while next < 256 {
                let d = next
                next += 1
                if words[d >> 6] >> UInt64(d & 63) & 1 != 0 { return UInt8(d) }
            }
            return nil
        }
    }
}

/// What a quirk does to a matching function.
public enum QuirkEffect: Hashable, Sendable {
    /// A `pci_dev_acs_enabled[]` entry: the function's ACS answer comes from the quirk, not
    /// from its capability. The quirk reports the request as enabled exactly when every
    /// requested flag is in `provides` (the kernel's `acs_flags &= ~(...); return acs_flags ?
    /// 0 : 1;`). Linux requests `REQ_ACS_FLAGS` (SV, RR, CR, UF) for groups.
    case acs(provides: ACSFlags)
    /// `quirk_dma_func0_alias` / `quirk_dma_func1_alias`: the function's DMA also arrives
    /// with these function numbers of its own slot.
    case dmaAliasFunctions(DevfnSet)
    /// `quirk_fixed_dma_alias` and the NTB quirks: the function's DMA also arrives with
    /// these devfns on its own bus.
    case dmaAliasDevfns(DevfnSet)
    /// `quirk_use_pcie_bridge_dma_alias`: `PCI_DEV_FLAG_PCIE_BRIDGE_ALIAS`, the conventional
    /// bridge aliases like a PCIe-to-PCI bridge, as (secondary bus, 00.0).
    case pcieBridgeAlias
    /// `PCI_DEV_FLAGS_PCI_BRIDGE_NO_ALIAS`: the bridge does not substitute its own requester
    /// ID for what it forwards.
    case bridgeNoAlias
    /// `PCI_DEV_FLAGS_BRIDGE_XLATE_ROOT`: requester-ID aliasing stops at this bridge.
    case translationRoot
}

/// One row of the quirk table: a `drivers/pci/quirks.c` entry as data.
public struct PCIQuirk: Hashable, Sendable {
    /// What it matches.
    public var match: QuirkMatch
    /// What it does.
    public var effect: QuirkEffect
    /// The kernel function it mirrors (`pci_quirk_intel_pch_acs`, `quirk_dma_func1_alias`...).
    public var function: String
    /// The first mainline release that has it.
    public var since: KernelRelease
    /// What the hardware is, in a few words.
    public var note: String

    /// Creates an entry.
    public init(_ match: QuirkMatch, _ effect: QuirkEffect, function: String, since: KernelRelease, note: String) {
        self.match = match
        self.effect = effect
        self.function = function
        self.since = since
        self.note = note
    }
}
