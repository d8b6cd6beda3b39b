import IotopoEngine
import IotopoModel
import IotopoSource

/// Renders a run: one line per step instance (deterministic, diff-friendly), then a summary.
public struct RunRenderer {
    let model: SystemModel
    let workload: Workload
    let files: SourceFiles

    /// Creates a renderer for one workload on one model.
    public init(model: SystemModel, workload: Workload, files: SourceFiles) {
        self.model = model
        self.workload = workload
        self.files = files
    }

    func name(_ d: DeviceID) -> String { model.devices[d].name }

    func place(_ o: Origin) -> String {
        guard Int(o.range.file.raw) < files.files.count else { return "?" }
        return "\(files.path(o.range.file)):\(o.range.start.line)"
    }

    /// What an instance did, without its outcome ("dma nvme0 read 0x1000 +4KiB").
    public func describe(_ r: StepRecord) -> String {
        let step = workload.steps[r.step]
        switch step.action {
        case let .dma(_, write, _, size):
            return "dma \(r.device.map(name) ?? "?") \(write ? "write" : "read") \(hex(r.address)) +\(sizeText(size))"
        case .msi:
            return "msi \(r.device.map(name) ?? "?") vector \(r.vector)"
        case let .map(d, iova, phys, perm, page):
            let stage = model.domains[d].stage
            let held = stage.holds(perm) == perm ? "" : " (held \(stage.holds(perm)): stage-\(stage.rawValue) tables have no write-only entry)"
            return "map \(model.domains[d].name) \(hex(iova.base)) +\(sizeText(iova.size)) -> \(hex(phys)) \(perm)\(held)" + (page.map { " \(sizeText($0)) pages" } ?? "")
        case let .unmap(d, iova):
            return "unmap \(model.domains[d].name) \(hex(iova.base)) +\(sizeText(iova.size))"
        case let .attach(dev, d):
            return "attach \(name(dev)) to \(model.domains[d].name)"
        case let .detach(dev, d):
            return "detach \(name(dev)) from \(model.domains[d].name)"
        case let .setType(d, t):
            return "set-domain \(model.domains[d].name) \(t.rawValue)"
        case let .invalidate(u, scope):
            let what: String
            switch scope {
            case .all: what = "all"
            case let .domain(d): what = "domain \(model.domains[d].name)"
            case let .range(d, r): what = "domain \(model.domains[d].name) \(hex(r.base)) +\(sizeText(r.size))"
            }
            return "invalidate \(model.iommus[u].name) \(what)"
        case let .remap(u, e):
            return "remap \(model.iommus[u].name) index \(e.index) -> cpu \(e.cpu) vector \(hex(UInt64(e.vector), digits: 2))" + (e.source.map { " from \(name($0))" } ?? "")
        case let .unremap(u, index):
            return "unremap \(model.iommus[u].name) index \(index)"
        }
    }

    func iommuKind(_ u: IOMMUID?) -> IOMMUKind? { u.map { model.iommus[$0].kind } }

    func faultText(_ s: Segment) -> String {
        guard let f = s.fault else { return "" }
        var where_ = ""
        if let u = s.faultIOMMU { where_ = " at \(model.iommus[u].name)" }
        if let b = s.faultBridge { where_ = " at windows of \(model.bridges[b].name)" }
        return "fault \(f)\(where_) (\(f.nativeCode(iommuKind(s.faultIOMMU), s.detail)))"
    }

    func segmentText(_ s: Segment) -> String {
        if s.fault != nil { return faultText(s) }
        var t = "\(hex(s.address))"
        if let r = s.region { t += " [\(model.regions[r].name)]" }
        let lookups = s.hits &+ s.misses
        if lookups == 0 {
            t += " untranslated"
        } else if s.misses == 0 {
            t += " iotlb hit"
        } else if s.hits == 0 {
            t += " iotlb miss"
        } else {
            t += " iotlb \(s.hits) hit \(s.misses) miss"
        }
        if lookups > 0 { t += ", \(s.cycles) cycles" }
        if !s.hazards.isEmpty { t += ", HAZARD " + s.hazards.names.joined(separator: ", ") }
        return t
    }

    /// The line (and continuation lines) of one instance.
    public func line(_ r: StepRecord) -> String {
        var out = "#\(r.number) \(describe(r)): "
        switch r.outcome {
        case let .dma(fault, segs):
            if segs.count == 1, let s = segs.first {
                out += fault == nil ? "ok -> " + segmentText(s) : segmentText(s)
            } else {
                let bad = segs.filter { $0.fault != nil }.count
                out += fault == nil ? "ok, \(segs.count) segments" : "fault \(fault.map(\.description) ?? ""), \(bad) of \(segs.count) segments"
                for s in segs {
                    out += "\n    \(hex(s.iova)) +\(sizeText(s.length)) " + (s.fault == nil ? "-> " : "") + segmentText(s)
                }
            }
        case let .msi(m):
            if let f = m.fault {
                out += "fault \(f)" + (m.iommu.map { " at \(model.iommus[$0].name)" } ?? "") + (m.index.map { " index \($0)" } ?? "")
                if f == .noTarget, let p = m.doorbell {
                    out += " (the doorbell write reached \(hex(p))" + (m.doorbellRegion.map { " in \(model.regions[$0].kind.rawValue) region \(model.regions[$0].name)" } ?? "") + ", not an interrupt controller)"
                } else {
                    out += " (\(f.nativeCode(iommuKind(m.iommu), m.detail)))"
                }
            } else if let p = m.doorbell, let r = m.doorbellRegion {
                out += "delivered to cpu \(m.cpu) vector \(hex(UInt64(m.vector), digits: 2)) (doorbell write reached \(model.regions[r].name) at \(hex(p)))"
            } else if let u = m.iommu, let i = m.index {
                out += "delivered to cpu \(m.cpu) vector \(hex(UInt64(m.vector), digits: 2)) via remapping entry \(i) of \(model.iommus[u].name)"
            } else {
                out += "delivered to cpu \(m.cpu) vector \(hex(UInt64(m.vector), digits: 2)) (no interrupt remapping)"
            }
        case let .done(note):
            out += "ok" + (note.map { " (\($0))" } ?? "")
        case let .refused(why):
            out += "refused (\(why.reason)): \(why.message)"
        }
        if let f = r.failedExpectation {
            out += "\n    EXPECTATION FAILED: \(f) (\(place(workload.steps[r.step].expect?.origin ?? workload.steps[r.step].origin)))"
        }
        return out + "\n"
    }

    static func percent(_ a: UInt64, _ b: UInt64) -> String {
        guard b > 0 else { return "-" }
        let tenths = (a * 1000 + b / 2) / b
        return "\(tenths / 10).\(tenths % 10)%"
    }

    static func mean(_ total: UInt64, _ n: UInt64) -> String {
        guard n > 0 else { return "-" }
        let tenths = (total * 10 + n / 2) / n
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// The summary block.
    public func summary(_ s: RunSummary) -> String {
        var out = "summary: \(s.instances) step\(s.instances == 1 ? "" : "s")" + (s.interrupted ? " (interrupted)" : "") + "\n"
        let faults = Fault.allCases.filter { s.dmaFaults[Int($0.rawValue)] > 0 }.map { "\(s.dmaFaults[Int($0.rawValue)]) \($0)" }
        out += "  dma: \(s.dma) (\(s.dmaOK) ok" + (faults.isEmpty ? "" : "; faults: " + faults.joined(separator: ", ")) + "), \(s.segments) segments, \(s.bytes) bytes requested\n"
        out += "  msi: \(s.msi) (\(s.msiDelivered) delivered, \(s.msiFaults) faulted)\n"
        out += "  operations: \(s.operations) (\(s.refused) refused)\n"
        for (i, st) in s.iommus.enumerated() where st.lookups > 0 {
            out += "  \(model.iommus[i].name): \(st.lookups) translations, IOTLB hit rate \(Self.percent(st.hits, st.lookups)), mean cost \(Self.mean(st.cycles, st.lookups)) cycles, \(st.walks) walks\n"
        }
        var hz: [String] = []
        if s.staleIOTLB > 0 { hz.append("\(s.staleIOTLB) stale-iotlb") }
        if s.bypass > 0 { hz.append("\(s.bypass) bypass") }
        out += "  hazards: " + (hz.isEmpty ? "none" : hz.joined(separator: ", ") + " (first at #" + s.hazardSteps.map(String.init).joined(separator: ", #") + ")") + "\n"
        out += "  expectations: \(s.expectationsChecked) checked, \(s.expectationsFailed) failed\n"
        for (n, msg) in s.failures { out += "    #\(n): \(msg)\n" }
        return out
    }

    // MARK: JSON Lines

    func segmentJSON(_ s: Segment) -> JSON {
        var o: [(String, JSON)] = [("iova", .string(hex(s.iova))), ("length", .uint(s.length))]
        if let f = s.fault {
            o.append(("fault", .string(f.description)))
            o.append(("native", .string(f.nativeCode(iommuKind(s.faultIOMMU), s.detail))))
            if let u = s.faultIOMMU { o.append(("iommu", .string(model.iommus[u].name))) }
            if let b = s.faultBridge { o.append(("bridge", .string(model.bridges[b].name))) }
        } else {
            o.append(("phys", .string(hex(s.address))))
            o.append(("region", s.region.map { .string(model.regions[$0].name) } ?? .null))
        }
        o.append(("iotlbHits", .uint(s.hits)))
        o.append(("iotlbMisses", .uint(s.misses)))
        o.append(("cycles", .uint(s.cycles)))
        o.append(("hazards", .array(s.hazards.names.map { .string($0) })))
        return .object(o)
    }

    /// One instance as a JSON object on one line.
    public func jsonLine(_ r: StepRecord) -> String {
        var o: [(String, JSON)] = [("step", .uint(r.number)), ("action", .string(describe(r)))]
        switch r.outcome {
        case let .dma(fault, segs):
            o.append(("outcome", .string(fault == nil ? "ok" : "fault")))
            if let f = fault { o.append(("fault", .string(f.description))) }
            o.append(("segments", .array(segs.map(segmentJSON))))
        case let .msi(m):
            o.append(("outcome", .string(m.fault == nil ? "delivered" : "fault")))
            if let f = m.fault {
                o.append(("fault", .string(f.description)))
                o.append(("native", .string(f.nativeCode(iommuKind(m.iommu), m.detail))))
            } else {
                o.append(("cpu", .uint(m.cpu)))
                o.append(("vector", .uint(m.vector)))
            }
        case let .done(note):
            o.append(("outcome", .string("ok")))
            if let n = note { o.append(("note", .string(n))) }
        case let .refused(why):
            o.append(("outcome", .string("refused")))
            o.append(("reason", .string(why.reason)))
            o.append(("message", .string(why.message)))
        }
        if let f = r.failedExpectation { o.append(("expectationFailed", .string(f))) }
        return JSON.object(o).serialized(indent: 0) + "\n"
    }

    /// The summary as one JSON line.
    public func jsonSummary(_ s: RunSummary) -> String {
        let faults: [(String, JSON)] = Fault.allCases.filter { s.dmaFaults[Int($0.rawValue)] > 0 }.map { ($0.description, .uint(s.dmaFaults[Int($0.rawValue)])) }
        let iommus: [JSON] = s.iommus.enumerated().map { i, st in
            .object([("iommu", .string(model.iommus[i].name)), ("translations", .uint(st.lookups)), ("hits", .uint(st.hits)),
                     ("walks", .uint(st.walks)), ("cycles", .uint(st.cycles))])
        }
        let doc = JSON.object([
            ("summary", .object([
                ("steps", .uint(s.instances)), ("interrupted", .bool(s.interrupted)),
                ("dma", .object([("total", .uint(s.dma)), ("ok", .uint(s.dmaOK)), ("faults", .object(faults)), ("segments", .uint(s.segments)), ("bytes", .uint(s.bytes))])),
                ("msi", .object([("total", .uint(s.msi)), ("delivered", .uint(s.msiDelivered)), ("faulted", .uint(s.msiFaults))])),
                ("operations", .object([("total", .uint(s.operations)), ("refused", .uint(s.refused))])),
                ("iommus", .array(iommus)),
                ("hazards", .object([("staleIOTLB", .uint(s.staleIOTLB)), ("bypass", .uint(s.bypass)), ("firstSteps", .array(s.hazardSteps.map { .uint($0) }))])),
                ("expectations", .object([("checked", .uint(s.expectationsChecked)), ("failed", .uint(s.expectationsFailed)),
                                          ("failures", .array(s.failures.map { .object([("step", .uint($0.0)), ("message", .string($0.1))]) }))])),
            ])),
        ])
        return doc.serialized(indent: 0) + "\n"
    }

    /// An explanation, hop by hop.
    public static func explanation(_ e: Explanation, files: SourceFiles) -> String {
        func place(_ o: Origin) -> String {
            guard Int(o.range.file.raw) < files.files.count else { return "?" }
            return "\(files.path(o.range.file)):\(o.range.start.line)"
        }
        var out = ""
        for h in e.hops {
            out += h.title + (h.origin.map { "  [\(place($0))]" } ?? "") + "\n"
            for l in h.lines { out += "    \(l)\n" }
        }
        out += "result: " + (e.fault.map { "fault \($0)" } ?? "ok") + "\n"
        return out
    }
}
