import IotopoSource

/// What a memory region is.
public enum MemoryKind: String, Sendable, CaseIterable {
    /// DRAM.
    case ram
    /// Device registers or a BAR.
    case mmio
    /// Read-only memory.
    case rom
    /// Firmware-reserved memory no device should write.
    case reserved
}

/// A region of the system's physical address space.
public struct MemoryRegion: NamedEntity, Hashable {
    /// Unique name.
    public var name: String
    /// The addresses it covers.
    public var range: AddressRange
    /// What it is.
    public var kind: MemoryKind
    /// Marked secure (TrustZone, SMM, TEE carve-out).
    public var secure: Bool
    /// The device whose registers or memory this is (for `mmio`), if any.
    public var owner: DeviceID?
    /// Where it was declared.
    public var origin: Origin

    /// Creates a region.
    public init(name: String, range: AddressRange, kind: MemoryKind, secure: Bool, owner: DeviceID?, origin: Origin) {
        self.name = name
        self.range = range
        self.kind = kind
        self.secure = secure
        self.owner = owner
        self.origin = origin
    }
}
