import IotopoModel

/// What a quirk looks at in a function.
public struct QuirkSubject: Sendable {
    public var id: PCIID
    /// The 24-bit class code, when known.
    public var classCode: UInt32?
    public var portType: PCIPortType
    public var multifunction: Bool
    /// Its devfn, for the aliases of its own slot.
    public var devfn: UInt8
    /// Its subsystem vendor and device, when known.
    public var subsystem: PCIID?
    /// Whether it sits on a root bus (no bridge function above its bus).
    public var onRootBus: Bool
    /// Whether it has an ACS extended capability.
    public var hasACSCapability: Bool
    /// Whether the platform has an AMD IOMMU (the kernel looks for an IVRS table).
    public var amdIOMMU: Bool

    public init(id: PCIID, classCode: UInt32?, portType: PCIPortType, multifunction: Bool, devfn: UInt8,
                subsystem: PCIID? = nil, onRootBus: Bool = false, hasACSCapability: Bool = false, amdIOMMU: Bool = false) {
        self.id = id
        self.classCode = classCode
        self.portType = portType
        self.multifunction = multifunction
        self.devfn = devfn
        self.subsystem = subsystem
        self.onRootBus = onRootBus
        self.hasACSCapability = hasACSCapability
        self.amdIOMMU = amdIOMMU
    }
}

extension QuirkTable {
    /// The release the table was read from (drivers/pci/quirks.c of Linux 6.18): the default
    /// quirk set, used when neither the command line nor the platform names a kernel.
    public static let newest = KernelRelease(6, 18)

    /// The quirks of `release` that apply to a function, resolved for it:
    /// - ACS: the first matching entry only, as `pci_dev_specific_acs_enabled` walks
    ///   `pci_dev_acs_enabled[]` and stops at the first function that answers (>= 0); an
    ///   entry whose conditions (port type, multifunction) fail is a function answering
    ///   -ENOTTY, so the walk goes on;
    /// - DMA aliases and bridge flags: every matching fixup, as each runs in turn.
    public static func applying(to s: QuirkSubject, release: KernelRelease) -> [AppliedQuirk] {
        var out: [AppliedQuirk] = []
        var acsFound = false
        for q in entries where q.since <= release && q.match.matches(s) {
            let applied: AppliedQuirk.Effect
            switch q.effect {
            case let .acs(provides):
                guard !acsFound else { continue }
                acsFound = true
                applied = .acs(provides: provides)
            case let .dmaAliasFunctions(fns):
                applied = .dmaAliases(fns.filter { $0 < 8 }.map { (s.devfn & 0xF8) | $0 }.filter { $0 != s.devfn })
            case let .dmaAliasDevfns(list):
                applied = .dmaAliases(list.filter { $0 != s.devfn })
            case .pcieBridgeAlias: applied = .pcieBridgeAlias
            case .bridgeNoAlias: applied = .bridgeNoAlias
            case .translationRoot: applied = .translationRoot
            }
            out.append(AppliedQuirk(effect: applied, function: q.function, since: q.since.description))
        }
        return out
    }
}

extension QuirkMatch {
    /// Whether a function matches: IDs, class, and the conditions the quirk tests.
    public func matches(_ s: QuirkSubject) -> Bool {
        if let v = vendor, v != s.id.vendor { return false }
        if let d = devices, !d.contains(s.id.device) { return false }
        if let c = classCode {
            guard let code = s.classCode, code >> UInt32(c.shift) == c.value else { return false }
        }
        if let types = portTypes, !types.contains(s.portType) { return false }
        if multifunctionOnly && !s.multifunction { return false }
        if let sub = subsystem, sub != s.subsystem { return false }
        if rootBusOnly && !s.onRootBus { return false }
        if needsACSCapability && !s.hasACSCapability { return false }
        if needsAMDIOMMU && !s.amdIOMMU { return false }
        return true
    }
}
