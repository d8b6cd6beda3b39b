import IotopoCompiler
import IotopoModel
import IotopoSource

/// Name lookups into a compiled model, for workloads and commands that name its entities.
public struct ModelNames: Sendable {
    public let devices: [String: DeviceID]
    public let domains: [String: DomainID]
    public let iommus: [String: IOMMUID]
    public let regions: [String: RegionID]
    let kinds: [String: String]

    /// Indexes a model's names.
    public init(_ m: SystemModel) {
        func index<T: NamedEntity>(_ list: [T]) -> [String: EntityID<T>] {
            var d: [String: EntityID<T>] = [:]
            d.reserveCapacity(list.count)
            for (i, e) in list.enumerated() { d[e.name] = EntityID<T>(i) }
            return d
        }
        devices = index(m.devices)
        domains = index(m.domains)
        iommus = index(m.iommus)
        regions = index(m.regions)
        var k: [String: String] = [:]
        for r in m.regions { k[r.name] = "memory region" }
        for b in m.buses { k[b.name] = "bus" }
        for b in m.bridges { k[b.name] = "bridge" }
        for u in m.iommus { k[u.name] = "IOMMU" }
        for d in m.devices { k[d.name] = "device" }
        for d in m.domains { k[d.name] = "domain" }
        kinds = k
    }

    /// Why a name did not resolve to a `kind`: another kind of entity, or a near miss.
    public func miss(_ name: String, kind: String, candidates: [String]) -> String {
        miss(name, kind: kind, hint: { Suggestions.hint(for: name, in: candidates) })
    }

    /// The same, with the hint worked out by the caller (a workload's decoder, which caches
    /// hints and bounds their search), only when it is needed.
    func miss(_ name: String, kind: String, hint: () -> String) -> String {
        if let other = kinds[name] { return "'\(name)' is \(other == "IOMMU" ? "an" : "a") \(other), not \(kind == "IOMMU" ? "an" : "a") \(kind)" }
        return "the topology has no \(kind) named '\(name)'\(hint())"
    }
}
