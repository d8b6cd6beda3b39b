/// A device name or a glob pattern over names (`*` any run, `?` one character), as a
/// policy writes it.
public struct DevicePattern: Hashable, Sendable {
    public var text: String
    public var origin: Origin

    public init(text: String, origin: Origin) {
        self.text = text
        self.origin = origin
    }

    /// Whether the text holds a wildcard.
    public var isGlob: Bool { text.utf8.contains { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") } }

    /// Whether a name matches (byte-wise glob; names are ASCII).
    public func matches(_ name: String) -> Bool {
        let p = Array(text.utf8), s = Array(name.utf8)
        var pi = 0, si = 0, star = -1, mark = 0
        while si < s.count {
            if pi < p.count && (p[pi] == UInt8(ascii: "?") || p[pi] == s[si]) {
                pi += 1; si += 1
            } else if pi < p.count && p[pi] == UInt8(ascii: "*") {
                star = pi; mark = si; pi += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; si = mark
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }
}

/// What a platform states must hold (docs/isolation.md).
public enum PolicyRule: Hashable, Sendable {
    /// The matching devices may not have the access (read, write or both) to the regions.
    case deny(Permissions, devices: [DevicePattern], regions: [RegionID])
    /// Only the matching devices may write the regions.
    case onlyWriters(devices: [DevicePattern], regions: [RegionID])
    /// The devices are isolated from one another: different IOMMU groups and no page one
    /// can write and another can reach.
    case isolated([DeviceID])
}

/// A named policy.
public struct Policy: NamedEntity, Hashable {
    public var name: String
    public var rule: PolicyRule
    public var origin: Origin

    public init(name: String, rule: PolicyRule, origin: Origin) {
        self.name = name
        self.rule = rule
        self.origin = origin
    }
}

/// A virtual machine: its guest memory (host-physical ranges) and the devices assigned to it.
public struct VirtualMachine: NamedEntity, Hashable {
    public var name: String
    public var memory: [AddressRange]
    public var devices: [DeviceID]
    public var origin: Origin

    public init(name: String, memory: [AddressRange], devices: [DeviceID], origin: Origin) {
        self.name = name
        self.memory = memory
        self.devices = devices
        self.origin = origin
    }
}
