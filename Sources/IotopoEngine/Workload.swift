import IotopoModel
import IotopoSource

/// A compiled workload: steps with every name resolved to a typed ID.
public struct Workload: Sendable {
    /// Its name.
    public var name: String
    /// The topology it runs on, as the workload names it (relative to the workload file).
    public var topology: String
    /// Free text.
    public var description: String
    /// The steps, in order.
    public var steps: [Step]
    /// Display paths of the workload's files, by `FileID` (the topology's files come first
    /// when both are loaded into one table).
    public var origin: Origin

    /// Creates a workload.
    public init(name: String, topology: String, description: String, steps: [Step], origin: Origin) {
        self.name = name
        self.topology = topology
        self.description = description
        self.steps = steps
        self.origin = origin
    }

    /// Total number of step instances the generators produce.
    public var instanceCount: UInt64 {
        steps.reduce(UInt64(0)) { $0 &+ $1.instanceCount }
    }
}

/// What a scope of IOTLB invalidation covers.
public enum InvalidationScope: Sendable, Equatable {
    /// Every entry of the IOMMU.
    case all
    /// Every entry of one domain (VT-d domain-selective, SMMUv3 by ASID/VMID).
    case domain(DomainID)
    /// The entries of one domain overlapping an IOVA range (page-selective).
    case range(DomainID, AddressRange)
}

/// One action a step performs.
public enum Action: Sendable {
    /// A DMA from one of `devices` (chosen per instance), read or write.
    case dma(devices: [DeviceID], write: Bool, address: UInt64, size: UInt64)
    /// Map `iova` to `phys` in a domain.
    case map(domain: DomainID, iova: AddressRange, phys: UInt64, perm: Permissions, pageSize: UInt64?)
    /// Unmap an IOVA range from a domain.
    case unmap(domain: DomainID, iova: AddressRange)
    /// Attach a device to a domain (replacing its domain at that IOMMU).
    case attach(device: DeviceID, domain: DomainID)
    /// Detach a device from a domain.
    case detach(device: DeviceID, domain: DomainID)
    /// Switch a domain to translated, identity or blocked.
    case setType(domain: DomainID, type: DomainType)
    /// Invalidate an IOMMU's IOTLB.
    case invalidate(iommu: IOMMUID, scope: InvalidationScope)
    /// A device raises an MSI vector.
    case msi(devices: [DeviceID], vector: UInt32)
    /// Write an interrupt-remapping table entry.
    case remap(iommu: IOMMUID, entry: RemapEntry)
    /// Clear an interrupt-remapping table entry.
    case unremap(iommu: IOMMUID, index: UInt32)
}

/// Where a DMA step's addresses come from, for volume.
public enum AddressGenerator: Sendable, Equatable {
    /// The step's own address.
    case fixed
    /// `from`, `from + step`, ... below `to`.
    case stride(from: UInt64, to: UInt64, step: UInt64)
    /// `count` addresses drawn uniformly from `[from, to)` in multiples of `align` by a
    /// seeded generator: the same seed always gives the same addresses.
    case random(from: UInt64, to: UInt64, align: UInt64, count: UInt64, seed: UInt64)
}

/// What a step expects of its outcome; every field given must match.
public struct Expectation: Sendable, Equatable {
    /// `ok`, `fault`, `delivered` or `refused`.
    public var outcome: String?
    /// The fault, when a fault is expected.
    public var fault: Fault?
    /// The memory region the (first) segment lands in.
    public var region: RegionID?
    /// Expected IOTLB behaviour of the (first) translation: `hit` or `miss`.
    public var iotlb: String?
    /// Expected hazard: `stale-iotlb`, `bypass`, or `none`.
    public var hazard: String?
    /// Expected MSI destination.
    public var cpu: UInt32?
    /// Expected MSI vector.
    public var vector: UInt8?
    /// Expected number of segments.
    public var segments: Int?
    /// Expected refusal reason (`overlap`, `split`, ...).
    public var reason: String?
    /// Where the expectation is written.
    public var origin: Origin

    /// Creates an expectation.
    public init(origin: Origin) { self.origin = origin }
}

/// One workload step: an action, how many times and with which addresses, and what it
/// expects.
public struct Step: Sendable {
    /// What it does.
    public var action: Action
    /// Address source for DMA steps.
    public var addresses: AddressGenerator
    /// Each instance runs this many times in a row.
    public var repeatCount: UInt64
    /// An assertion on each instance's outcome.
    public var expect: Expectation?
    /// Where the step is written.
    public var origin: Origin

    /// Creates a step.
    public init(action: Action, addresses: AddressGenerator = .fixed, repeatCount: UInt64 = 1, expect: Expectation? = nil, origin: Origin) {
        self.action = action
        self.addresses = addresses
        self.repeatCount = repeatCount
        self.expect = expect
        self.origin = origin
    }

    /// Instances before `repeat`: one per device for a fixed DMA or MSI over several devices,
    /// one per generated address otherwise.
    public var baseCount: UInt64 {
        switch addresses {
        case .fixed:
            switch action {
            case let .dma(devices, _, _, _), let .msi(devices, _): return UInt64(devices.count)
            default: return 1
            }
        // ceil((to - from) / step), written so that no sum can pass 2^64 (a step near 2^64
        // made `to - from + step - 1` trap).
        case let .stride(from, to, step): return to > from && step > 0 ? (to - from - 1) / step + 1 : 0
        case let .random(_, _, _, count, _): return count
        }
    }

    /// Every instance, `repeat` included.
    public var instanceCount: UInt64 {
        let (n, o) = baseCount.multipliedReportingOverflow(by: repeatCount)
        return o ? .max : n
    }
}

/// SplitMix64: a tiny, fast, well-distributed generator whose sequence is fixed by its seed
/// on every machine.
public struct SplitMix64: Sendable {
    @usableFromInline var state: UInt64

    /// Seeds the generator.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    @inlinable public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform value in `0 ..< bound` (bound > 0), by multiply-shift.
    @inlinable public mutating func next(below bound: UInt64) -> UInt64 {
        bound.multipliedFullWidth(by: next()).high
    }
}
