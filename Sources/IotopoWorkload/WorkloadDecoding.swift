import IotopoEngine
import IotopoCompiler
import IotopoModel
import IotopoSource
import IotopoYAML

/// What step decoding needs besides the YAML: the model its names resolve against.
struct WorkloadContext {
    let model: SystemModel
    let names: ModelNames
}

/// Decodes workload steps (docs/workloads.md). Static functions over `Decoder`, so the
/// topology's machinery (located errors, typed scalars, `count` repetition) is shared.
enum WorkloadDecoding {
    static let actions: [StaticString] = ["dma", "msi", "map", "unmap", "attach", "detach", "set-domain", "invalidate", "remap", "unremap"]

    static func step(_ d: inout Decoder, _ n: YAMLNodeID, _ c: WorkloadContext) -> Step? {
        guard var f = d.fields(n, "a workload step") else { return nil }
        var found: [(StaticString, YAMLNodeID, YAMLNodeID)] = []
        for a in actions { if let (k, v) = d.take(&f, a) { found.append((a, k, v)) } }
        var repeatCount: UInt64 = 1
        if let v = d.optional(&f, "repeat"), let r = d.integer(v, "repeat", in: 1 ... Runner.maxInstances) { repeatCount = r }
        let strideNode = d.take(&f, "stride"), randomNode = d.take(&f, "random")
        let expectNode = d.optional(&f, "expect")
        d.finish(f)
        guard let (name, key, value) = found.first else {
            d.error(CheckID.missingKey, "a step needs an action: one of " + actions.map { "\($0)" }.joined(separator: ", "), n)
            return nil
        }
        if found.count > 1 {
            d.error(CheckID.invalidStep, "a step performs one action; this one has both '\(name)' and '\(found[1].0)' (write two steps)", found[1].1)
            return nil
        }
        let origin = d.origin(n)
        var generator = AddressGenerator.fixed
        if let s = strideNode ?? randomNode {
            guard "\(name)" == "dma" else {
                d.error(CheckID.invalidStep, "'\(d.doc.string(s.key))' generates DMA addresses; it does not apply to '\(name)'", s.key)
                return nil
            }
            if strideNode != nil && randomNode != nil {
                d.error(CheckID.invalidStep, "a step takes one address generator, 'stride' or 'random'", s.key)
                return nil
            }
            guard let g = strideNode.map({ stride(&d, $0.value) }) ?? randomNode.map({ random(&d, $0.value) }), let gen = g else { return nil }
            generator = gen
        }
        guard let action = Self.action("\(name)", &d, key, value, c, generated: generator != .fixed) else { return nil }
        var step = Step(action: action, addresses: generator, repeatCount: repeatCount, origin: origin)
        if case let .dma(_, _, address, size) = action, !checkRange(&d, step: step, address: address, size: size, node: value) { return nil }
        if let e = expectNode {
            guard let x = expectation(&d, e, c) else { return nil }
            step.expect = x
        }
        return step
    }

    static func action(_ name: String, _ d: inout Decoder, _ key: YAMLNodeID, _ v: YAMLNodeID, _ c: WorkloadContext, generated: Bool) -> Action? {
        switch name {
        case "dma": return dma(&d, v, c, generated: generated)
        case "msi": return msi(&d, v, c)
        case "map": return map(&d, v, c)
        case "unmap":
            guard var f = d.fields(v, "unmap") else { return nil }
            let dom = d.require(&f, "domain").flatMap { domain(&d, $0, c) }
            let r = d.addressRange(base: d.require(&f, "iova"), size: d.require(&f, "size"), entry: v, "unmap")
            d.finish(f)
            guard let dom, let r else { return nil }
            return .unmap(domain: dom, iova: r)
        case "attach", "detach":
            guard var f = d.fields(v, name) else { return nil }
            let dev = d.require(&f, "device").flatMap { device(&d, $0, c) }
            let dom = d.require(&f, "domain").flatMap { domain(&d, $0, c) }
            d.finish(f)
            guard let dev, let dom else { return nil }
            return name == "attach" ? .attach(device: dev, domain: dom) : .detach(device: dev, domain: dom)
        case "set-domain":
            guard var f = d.fields(v, "set-domain") else { return nil }
            let dom = d.require(&f, "domain").flatMap { domain(&d, $0, c) }
            let t = d.require(&f, "type").flatMap { d.word($0, "domain type", DomainType.self) }
            d.finish(f)
            guard let dom, let t else { return nil }
            return .setType(domain: dom, type: t)
        case "invalidate": return invalidate(&d, v, c)
        case "remap":
            guard var f = d.fields(v, "remap") else { return nil }
            let u = d.require(&f, "iommu").flatMap { iommu(&d, $0, c) }
            let index = d.require(&f, "index").flatMap { d.integer($0, "index", in: 0 ... 0xFFFF) }
            let source = d.optional(&f, "source").flatMap { device(&d, $0, c) }
            let cpu = d.require(&f, "cpu").flatMap { d.integer($0, "cpu", in: 0 ... 0xFFFF_FFFF) }
            let vec = d.require(&f, "vector").flatMap { d.integer($0, "vector", in: 0 ... 255) }
            d.finish(f)
            guard let u, let index, let cpu, let vec else { return nil }
            guard c.model.iommus[u].interruptRemapping else {
                d.error(CheckID.invalidStep, "IOMMU '\(c.model.iommus[u].name)' has interrupt remapping off; it has no remapping table", v)
                return nil
            }
            return .remap(iommu: u, entry: RemapEntry(index: UInt32(index), source: source, cpu: UInt32(cpu), vector: UInt8(vec), origin: d.origin(v)))
        case "unremap":
            guard var f = d.fields(v, "unremap") else { return nil }
            let u = d.require(&f, "iommu").flatMap { iommu(&d, $0, c) }
            let index = d.require(&f, "index").flatMap { d.integer($0, "index", in: 0 ... 0xFFFF) }
            d.finish(f)
            guard let u, let index else { return nil }
            return .unremap(iommu: u, index: UInt32(index))
        default:
            return nil
        }
    }

    static func dma(_ d: inout Decoder, _ v: YAMLNodeID, _ c: WorkloadContext, generated: Bool) -> Action? {
        guard var f = d.fields(v, "dma") else { return nil }
        let devs = d.require(&f, "device").flatMap { devices(&d, $0, c) }
        let op = d.require(&f, "op").flatMap { d.word($0, "op", AccessKind.self) }
        var address: UInt64? = 0
        if let a = d.optional(&f, "address") {
            if generated {
                d.error(CheckID.invalidStep, "this step's addresses come from its generator; remove 'address'", a)
                address = nil
            } else {
                address = d.integer(a, "address")
            }
        } else if !generated {
            d.error(CheckID.missingKey, "dma is missing required key 'address'", v)
            address = nil
        }
        let size = d.require(&f, "size").flatMap { d.size($0, "size") }
        d.finish(f)
        guard let devs, let op, let address, let size else { return nil }
        for dev in devs where !c.model.devices[dev].dmaCapable {
            d.error(CheckID.invalidStep, "device '\(c.model.devices[dev].name)' cannot master DMA (dma: false in the topology)", v,
                    notes: [DiagnosticNote("device '\(c.model.devices[dev].name)' is declared here", at: c.model.devices[dev].origin.range)])
            return nil
        }
        return .dma(devices: devs, write: op == .write, address: address, size: size)
    }

    static func msi(_ d: inout Decoder, _ v: YAMLNodeID, _ c: WorkloadContext) -> Action? {
        guard var f = d.fields(v, "msi") else { return nil }
        let devs = d.require(&f, "device").flatMap { devices(&d, $0, c) }
        var vector: UInt64? = 0
        if let n = d.optional(&f, "vector") { vector = d.integer(n, "vector", in: 0 ... 2047) }
        d.finish(f)
        guard let devs, let vector else { return nil }
        for dev in devs {
            let dd = c.model.devices[dev]
            guard let cap = dd.msi else {
                d.error(CheckID.invalidStep, "device '\(dd.name)' has no MSI capability (add 'msi' to it in the topology)", v)
                return nil
            }
            guard vector < UInt64(cap.vectors) else {
                d.error(CheckID.invalidStep, "device '\(dd.name)' has \(cap.vectors) MSI vector\(cap.vectors == 1 ? "" : "s"); vector \(vector) does not exist", v)
                return nil
            }
        }
        return .msi(devices: devs, vector: UInt32(vector))
    }

    static func map(_ d: inout Decoder, _ v: YAMLNodeID, _ c: WorkloadContext) -> Action? {
        guard var f = d.fields(v, "map") else { return nil }
        let dom = d.require(&f, "domain").flatMap { domain(&d, $0, c) }
        let iovaNode = d.require(&f, "iova"), sizeNode = d.require(&f, "size")
        let iova = d.addressRange(base: iovaNode, size: sizeNode, entry: v, "map iova")
        let physNode = d.require(&f, "phys")
        let phys = physNode.flatMap { d.physical($0) }
        var perm = Permissions.readWrite
        if let p = d.optional(&f, "perm") { perm = d.permissions(p) ?? perm }
        var page: UInt64?
        if let p = d.optional(&f, "page-size") { page = d.powerOfTwo(p, "page-size") }
        d.finish(f)
        guard let dom, let iova, let phys, let physNode else { return nil }
        var address: UInt64
        switch phys {
        case let .absolute(p): address = p
        case let .region(ref, offset):
            guard let r = c.names.regions[ref.name] else {
                let message = d.miss(ref.name, kind: "memory region", at: physNode, c) { Array(c.names.regions.keys) }
                d.error(CheckID.danglingReference, message, physNode)
                return nil
            }
            let (p, o) = c.model.regions[r].range.base.addingReportingOverflow(offset)
            guard !o else { d.error(CheckID.addressOverflow, "region '\(ref.name)' + \(hex(offset)) passes 2^64", physNode); return nil }
            address = p
        }
        guard address <= UInt64.max - (iova.last - iova.base) else {
            d.error(CheckID.addressOverflow, "map phys \(hex(address)) + \(sizeText(iova.size)) runs past the top of the 64-bit address space", physNode)
            return nil
        }
        return .map(domain: dom, iova: iova, phys: address, perm: perm, pageSize: page)
    }

    static func invalidate(_ d: inout Decoder, _ v: YAMLNodeID, _ c: WorkloadContext) -> Action? {
        guard var f = d.fields(v, "invalidate") else { return nil }
        let u = d.require(&f, "iommu").flatMap { iommu(&d, $0, c) }
        let domNode = d.optional(&f, "domain")
        let dom = domNode.flatMap { domain(&d, $0, c) }
        let iovaNode = d.optional(&f, "iova"), sizeNode = d.optional(&f, "size")
        d.finish(f)
        guard let u else { return nil }
        if domNode != nil && dom == nil { return nil }
        if let dom, c.model.domains[dom].iommu != u {
            d.error(CheckID.invalidStep, "domain '\(c.model.domains[dom].name)' belongs to IOMMU '\(c.model.iommus[c.model.domains[dom].iommu].name)', not '\(c.model.iommus[u].name)'", domNode ?? v)
            return nil
        }
        if iovaNode != nil || sizeNode != nil {
            guard let dom else {
                d.error(CheckID.invalidStep, "a range invalidation names its 'domain' (page-selective invalidation is per domain)", v)
                return nil
            }
            guard iovaNode != nil, sizeNode != nil else {
                d.error(CheckID.missingKey, "a range invalidation needs both 'iova' and 'size'", v)
                return nil
            }
            guard let r = d.addressRange(base: iovaNode, size: sizeNode, entry: v, "invalidation") else { return nil }
            return .invalidate(iommu: u, scope: .range(dom, r))
        }
        return .invalidate(iommu: u, scope: dom.map { .domain($0) } ?? .all)
    }

    // MARK: Generators

    static func stride(_ d: inout Decoder, _ v: YAMLNodeID) -> AddressGenerator? {
        guard var f = d.fields(v, "stride") else { return nil }
        let from = d.require(&f, "from").flatMap { d.integer($0, "from") }
        let toNode = d.require(&f, "to")
        let to = toNode.flatMap { d.integer($0, "to") }
        let step = d.require(&f, "step").flatMap { d.size($0, "step") }
        d.finish(f)
        guard let from, let to, let step, let toNode else { return nil }
        guard to > from else { d.error(CheckID.invalidStep, "stride 'to' must be above 'from' (the range is [from, to))", toNode); return nil }
        return .stride(from: from, to: to, step: step)
    }

    static func random(_ d: inout Decoder, _ v: YAMLNodeID) -> AddressGenerator? {
        guard var f = d.fields(v, "random") else { return nil }
        let from = d.require(&f, "from").flatMap { d.integer($0, "from") }
        let toNode = d.require(&f, "to")
        let to = toNode.flatMap { d.integer($0, "to") }
        var align: UInt64? = 1
        if let a = d.optional(&f, "align") { align = d.powerOfTwo(a, "align") }
        let count = d.require(&f, "count").flatMap { d.integer($0, "count", in: 1 ... Runner.maxInstances) }
        let seed = d.require(&f, "seed").flatMap { d.integer($0, "seed") }
        d.finish(f)
        guard let from, let to, let align, let count, let seed, let toNode else { return nil }
        guard to > from, (to - from) / align > 0 else {
            d.error(CheckID.invalidStep, "random 'to' must be above 'from' by at least one 'align' (the range is [from, to))", toNode)
            return nil
        }
        return .random(from: from, to: to, align: align, count: count, seed: seed)
    }

    /// The highest address a DMA step can emit, plus its size, must fit in 64 bits.
    static func checkRange(_ d: inout Decoder, step: Step, address: UInt64, size: UInt64, node: YAMLNodeID) -> Bool {
        var highest = address
        switch step.addresses {
        case .fixed: break
        case let .stride(from, to, s): highest = from &+ ((to - 1 - from) / s) &* s
        case let .random(_, to, _, _, _): highest = to - 1
        }
        if highest > UInt64.max - (size - 1) {
            d.error(CheckID.addressOverflow, "address \(hex(highest)) + \(sizeText(size)) runs past the top of the 64-bit address space", node)
            return false
        }
        return true
    }

    // MARK: Names

    static func devices(_ d: inout Decoder, _ n: YAMLNodeID, _ c: WorkloadContext) -> [DeviceID]? {
        switch d.doc.kind(n) {
        case .scalar: return device(&d, n, c).map { [$0] }
        case .sequence:
            guard let items = d.list(n, "device list"), !items.isEmpty else {
                d.error(CheckID.invalidStep, "a device list needs at least one device", n)
                return nil
            }
            var out: [DeviceID] = []
            for i in items {
                guard let x = device(&d, i, c) else { return nil }
                out.append(x)
            }
            return out
        case .mapping:
            // {each: "dev{i}", count: N, first: K, index: i}: N devices by pattern.
            guard var f = d.fields(n, "a device pattern") else { return nil }
            let pattern = d.require(&f, "each")
            let count = d.require(&f, "count").flatMap { d.integer($0, "count", in: 1 ... 10_000_000) }
            var first: UInt64 = 0
            if let v = d.optional(&f, "first") { first = d.integer(v, "first") ?? 0 }
            var variable = Array("i".utf8)
            if let v = d.optional(&f, "index"), let s = d.string(v, "index variable") { variable = Array(s.utf8) }
            d.finish(f)
            guard let pattern, let count else { return nil }
            var out: [DeviceID] = []
            out.reserveCapacity(Int(count))
            for k in 0 ..< count {
                d.subst.bindings.append((variable, first &+ k))
                let x = device(&d, pattern, c)
                d.subst.bindings.removeLast()
                guard let x else { return nil }
                out.append(x)
            }
            return out
        }
    }

    static func device(_ d: inout Decoder, _ n: YAMLNodeID, _ c: WorkloadContext) -> DeviceID? {
        entity(&d, n, c, kind: "device", c.names.devices)
    }

    static func domain(_ d: inout Decoder, _ n: YAMLNodeID, _ c: WorkloadContext) -> DomainID? {
        entity(&d, n, c, kind: "domain", c.names.domains)
    }

    static func iommu(_ d: inout Decoder, _ n: YAMLNodeID, _ c: WorkloadContext) -> IOMMUID? {
        entity(&d, n, c, kind: "IOMMU", c.names.iommus)
    }

    /// A reference by name to an entity of the topology; a miss is located and suggests
    /// the closest name (ties broken by name, so the message never depends on hash order).
    private static func entity<T>(_ d: inout Decoder, _ n: YAMLNodeID, _ c: WorkloadContext, kind: String, _ table: [String: EntityID<T>]) -> EntityID<T>? {
        guard let ref = d.name(n, kind) else { return nil }
        if let x = table[ref.name] { return x }
        let message = d.miss(ref.name, kind: kind, at: n, c) { Array(table.keys) }
        d.error(CheckID.danglingReference, message, n)
        return nil
    }

    // MARK: Expectations

    static let outcomes = ["ok", "fault", "delivered", "refused"]

    static func expectation(_ d: inout Decoder, _ n: YAMLNodeID, _ c: WorkloadContext) -> Expectation? {
        var e = Expectation(origin: d.origin(n))
        if d.doc.kind(n) == .scalar {
            guard let s = d.string(n, "expect") else { return nil }
            if outcomes.contains(s) { e.outcome = s; return e }
            if let fault = Fault(name: s) { e.outcome = "fault"; e.fault = fault; return e }
            let all = outcomes + Fault.allCases.map(\.description)
            d.error(CheckID.invalidValue, "expect '\(s)' is not an outcome (\(outcomes.joined(separator: ", "))) or a fault\(Suggestions.hint(for: s, in: all))", n)
            return nil
        }
        guard var f = d.fields(n, "expect") else { return nil }
        var ok = true
        if let v = d.optional(&f, "outcome") {
            if let s = d.string(v, "outcome"), outcomes.contains(s) { e.outcome = s } else {
                d.error(CheckID.invalidValue, "outcome must be one of: \(outcomes.joined(separator: ", "))", v); ok = false
            }
        }
        if let v = d.optional(&f, "fault") {
            if let s = d.string(v, "fault"), let fault = Fault(name: s) { e.fault = fault; e.outcome = e.outcome ?? "fault" } else {
                let all = Fault.allCases.map(\.description)
                d.error(CheckID.invalidValue, "fault must be one of: \(all.joined(separator: ", "))", v); ok = false
            }
        }
        if let v = d.optional(&f, "region") {
            if let ref = d.name(v, "region"), let r = c.names.regions[ref.name] { e.region = r } else {
                let message = d.miss(d.doc.string(v), kind: "memory region", at: v, c) { Array(c.names.regions.keys) }
                d.error(CheckID.danglingReference, message, v); ok = false
            }
        }
        if let v = d.optional(&f, "iotlb") {
            if let s = d.string(v, "iotlb"), s == "hit" || s == "miss" { e.iotlb = s } else {
                d.error(CheckID.invalidValue, "iotlb must be hit or miss", v); ok = false
            }
        }
        if let v = d.optional(&f, "hazard") {
            if let s = d.string(v, "hazard"), ["none", "stale-iotlb", "bypass"].contains(s) { e.hazard = s } else {
                d.error(CheckID.invalidValue, "hazard must be none, stale-iotlb or bypass", v); ok = false
            }
        }
        if let v = d.optional(&f, "cpu") { if let x = d.integer(v, "cpu", in: 0 ... 0xFFFF_FFFF) { e.cpu = UInt32(x) } else { ok = false } }
        if let v = d.optional(&f, "vector") { if let x = d.integer(v, "vector", in: 0 ... 255) { e.vector = UInt8(x) } else { ok = false } }
        if let v = d.optional(&f, "segments") { if let x = d.integer(v, "segments", in: 1 ... 1_000_000) { e.segments = Int(x) } else { ok = false } }
        if let v = d.optional(&f, "reason") { e.reason = d.string(v, "reason"); if e.reason == nil { ok = false } }
        d.finish(f)
        return ok ? e : nil
    }
}

extension Decoder {
    /// Why `name` is not a `kind` of the topology, for an error at `n`. The hint is worked
    /// out only for the first name missed at that place (`firstMiss`) and through the hint
    /// cache, whose budget bounds the search.
    mutating func miss(_ name: String, kind: String, at n: YAMLNodeID, _ c: WorkloadContext, candidates: () -> [String]) -> String {
        let first = firstMiss(at: n)
        return c.names.miss(name, kind: kind, hint: { first ? hints.hint(for: name, set: "workload " + kind, in: candidates) : "" })
    }
}

/// `op: read` or `op: write`.
enum AccessKind: String, CaseIterable {
    case read, write
}
