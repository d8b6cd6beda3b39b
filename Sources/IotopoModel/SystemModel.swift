import IotopoSource

/// The platform's identity.
public struct Platform: Hashable, Sendable {
    /// Short name.
    public var name: String
    /// Free text.
    public var description: String
    /// Physical address bits of the system (default 64).
    public var addressBits: UInt8
    /// Where it was declared.
    public var origin: Origin
    /// The kernel release the platform's answers are for (`uname -r`, as written).
    public var kernel: String?
    /// The kernel release whose quirks were applied (`6.8`).
    public var quirkRelease: String?
    /// Why groups computed from this topology cannot be trusted (an import that had to
    /// assume facts), if so.
    public var unverified: String?

    /// Creates a platform record.
    public init(name: String, description: String, addressBits: UInt8, origin: Origin) {
        self.name = name
        self.description = description
        self.addressBits = addressBits
        self.origin = origin
    }
}

/// A suppression written in an entry: diagnostics of `check` whose primary range lies inside
/// `scope` are dropped, for the stated reason.
public struct Suppression: Hashable, Sendable {
    /// The check ID it silences.
    public var check: String
    /// Why (required).
    public var reason: String
    /// The entry it covers.
    public var scope: SourceRange
    /// Where the suppression itself is written.
    public var origin: Origin

    /// Creates a suppression.
    public init(check: String, reason: String, scope: SourceRange, origin: Origin) {
        self.check = check
        self.reason = reason
        self.scope = scope
        self.origin = origin
    }
}

/// The validated system model: every entity in a flat array, cross-referenced by typed IDs.
///
/// It holds no YAML. Entities keep their origin so every later stage can point back at the
/// source. Two models compare equal exactly when they describe the same platform declared at
/// the same places.
public struct SystemModel: Hashable, Sendable {
    /// Display paths of the source files, indexed by `FileID`.
    public var sources: [String]
    /// Platform identity.
    public var platform: Platform
    /// Memory regions.
    public var regions: [MemoryRegion]
    /// Buses.
    public var buses: [Bus]
    /// Bridges.
    public var bridges: [Bridge]
    /// IOMMUs.
    public var iommus: [IOMMU]
    /// Devices.
    public var devices: [Device]
    /// Translation domains.
    public var domains: [Domain]
    /// Device-to-domain attachments.
    public var attachments: [Attachment]
    /// Suppressions written in the source.
    public var suppressions: [Suppression]
    /// Isolation policies the platform states.
    public var policies: [Policy]
    /// Virtual machines and their assigned devices.
    public var vms: [VirtualMachine]
    /// The IOMMU groups the kernel formed on the machine described, when recorded.
    public var observedGroups: [ObservedGroup] = []

    /// Creates a model.
    public init(sources: [String], platform: Platform, regions: [MemoryRegion] = [], buses: [Bus] = [],
                bridges: [Bridge] = [], iommus: [IOMMU] = [], devices: [Device] = [], domains: [Domain] = [],
                attachments: [Attachment] = [], suppressions: [Suppression] = [], policies: [Policy] = [], vms: [VirtualMachine] = []) {
        self.sources = sources
        self.platform = platform
        self.regions = regions
        self.buses = buses
        self.bridges = bridges
        self.iommus = iommus
        self.devices = devices
        self.domains = domains
        self.attachments = attachments
        self.suppressions = suppressions
        self.policies = policies
        self.vms = vms
    }
}
