import IotopoModel
import IotopoSource

/// One concrete step instance, with its outcome.
public struct StepRecord: Sendable {
    /// 1-based number of the instance in the run.
    public var number: UInt64
    /// Index of the workload step it came from.
    public var step: Int
    /// The device, for DMA and MSI instances.
    public var device: DeviceID?
    /// The address, for DMA instances.
    public var address: UInt64
    /// The vector, for MSI instances.
    public var vector: UInt32
    /// What happened.
    public var outcome: Outcome
    /// Why the step's expectation failed, if it did.
    public var failedExpectation: String?
}

/// The outcome of one instance.
public enum Outcome: Sendable {
    /// A DMA: its first fault (nil when every piece reached memory) and its pieces.
    case dma(Fault?, [Segment])
    /// An MSI.
    case msi(MSIResult)
    /// An operation that took effect, with a remark (such as "2 mappings removed").
    case done(String?)
    /// An operation that was refused.
    case refused(Refusal)
}

/// Counters for a whole run. Its size does not depend on the number of steps.
public struct RunSummary: Sendable {
    public var instances: UInt64 = 0
    public var dma: UInt64 = 0
    public var dmaOK: UInt64 = 0
    /// DMA faults by `Fault.rawValue`.
    public var dmaFaults = [UInt64](repeating: 0, count: Fault.allCases.count)
    public var bytes: UInt64 = 0
    public var segments: UInt64 = 0
    public var msi: UInt64 = 0
    public var msiDelivered: UInt64 = 0
    public var msiFaults: UInt64 = 0
    public var operations: UInt64 = 0
    public var refused: UInt64 = 0
    public var staleIOTLB: UInt64 = 0
    public var bypass: UInt64 = 0
    /// The first instances that showed a hazard (at most ten).
    public var hazardSteps: [UInt64] = []
    public var expectationsChecked: UInt64 = 0
    public var expectationsFailed: UInt64 = 0
    /// The first failed expectations (at most twenty): instance number and message.
    public var failures: [(UInt64, String)] = []
    /// Per-IOMMU counters, copied from the engine at the end.
    public var iommus: [IOMMUStats] = []
    /// Whether the run stopped early (interrupted).
    public var interrupted = false

    public init() {}
}

/// Runs a workload's steps through an engine.
public struct Runner {
    /// Instances the generators of one workload may produce (documented in docs/limits.md).
    public static let maxInstances: UInt64 = 100_000_000

    public init() {}

    /// Runs every instance. With `detailed`, `observe` receives each instance's record (the
    /// DMA's pieces included); without it only the summary is kept, and nothing is
    /// allocated per instance. `poll` receives the instances run so far before each step and
    /// after every 65,536th instance, for progress; returning true stops the run (Ctrl-C).
    /// Every loop that runs instances counts them and polls, the `repeat` loops included: a
    /// single step may be 100 million instances of one DMA.
    public func run(_ w: Workload, on engine: inout Engine, detailed: Bool,
                    poll: (UInt64) -> Bool = { _ in false }, observe: (StepRecord) -> Void) -> RunSummary {
        var summary = RunSummary()
        var number: UInt64 = 0
        /// Polls; an answer to stop marks the summary interrupted.
        func stopped() -> Bool {
            guard poll(number) else { return false }
            summary.interrupted = true
            return true
        }
        /// After the instance just counted: polls when `number` reaches a multiple of
        /// 65,536, a bit test that costs nothing next to a DMA.
        func stop() -> Bool { number & 0xFFFF == 0 && stopped() }
        steps: for (index, step) in w.steps.enumerated() {
            if stopped() { break }
            switch step.action {
            case let .dma(devices, write, address, size):
                let repeats = step.repeatCount, generator = step.addresses
                let checks = step.expect != nil
                var seed: UInt64 = 0
                if case let .random(_, _, _, _, s) = step.addresses { seed = s }
                var rng = SplitMix64(seed: seed)
                let base = step.baseCount
                var k: UInt64 = 0
                while k < base {
                    var device = devices[0]
                    var a = address
                    switch generator {
                    case .fixed:
                        device = devices[Int(k)]
                    case let .stride(from, _, stride):
                        a = from &+ k &* stride
                        device = devices[Int(k % UInt64(devices.count))]
                    case let .random(from, to, align, _, _):
                        if devices.count > 1 { device = devices[Int(rng.next(below: UInt64(devices.count)))] }
                        a = from &+ rng.next(below: (to - from) / align) &* align
                    }
                    var r: UInt64 = 0
                    if !checks && !detailed {
                        // Volume runs: the DMA and the counters, nothing else per instance.
                        while r < repeats {
                            r &+= 1
                            number &+= 1
                            let fault = engine.dma(device, write: write, address: a, size: size)
                            account(dma: fault, size: size, engine: &engine, number: number, into: &summary)
                            if stop() { break steps }
                        }
                    }
                    while r < repeats {
                        r &+= 1
                        number &+= 1
                        let fault = engine.dma(device, write: write, address: a, size: size)
                        account(dma: fault, size: size, engine: &engine, number: number, into: &summary)
                        var failed: String?
                        if checks, let e = step.expect {
                            summary.expectationsChecked &+= 1
                            failed = check(e, dma: fault, engine.lastSegments)
                            if let f = failed { fail(&summary, number, f) }
                        }
                        if detailed {
                            observe(StepRecord(number: number, step: index, device: device, address: a, vector: 0,
                                               outcome: .dma(fault, engine.lastSegments), failedExpectation: failed))
                        }
                        if stop() { break steps }
                    }
                    k += 1
                }
            case let .msi(devices, vector):
                for device in devices {
                    for _ in 0 ..< step.repeatCount {
                        number &+= 1
                        let r = engine.msi(device, vector: vector)
                        summary.instances &+= 1
                        summary.msi &+= 1
                        if r.fault == nil { summary.msiDelivered &+= 1 } else { summary.msiFaults &+= 1 }
                        var failed: String?
                        if let e = step.expect {
                            summary.expectationsChecked &+= 1
                            failed = check(e, msi: r)
                            if let f = failed { fail(&summary, number, f) }
                        }
                        if detailed {
                            observe(StepRecord(number: number, step: index, device: device, address: 0, vector: vector, outcome: .msi(r), failedExpectation: failed))
                        }
                        if stop() { break steps }
                    }
                }
            default:
                for _ in 0 ..< step.repeatCount {
                    number &+= 1
                    let outcome = perform(step.action, step: step, on: &engine)
                    summary.instances &+= 1
                    summary.operations &+= 1
                    if case .refused = outcome { summary.refused &+= 1 }
                    var failed: String?
                    if let e = step.expect {
                        summary.expectationsChecked &+= 1
                        failed = check(e, op: outcome)
                        if let f = failed { fail(&summary, number, f) }
                    }
                    if detailed {
                        observe(StepRecord(number: number, step: index, device: nil, address: 0, vector: 0, outcome: outcome, failedExpectation: failed))
                    }
                    if stop() { break steps }
                }
            }
        }
        summary.iommus = engine.stats
        return summary
    }

    func perform(_ a: Action, step: Step, on e: inout Engine) -> Outcome {
        switch a {
        case let .map(d, iova, phys, perm, page):
            if let r = e.map(domain: d, iova: iova, phys: phys, perm: perm, pageSize: page, origin: step.origin) { return .refused(r) }
            return .done(nil)
        case let .unmap(d, iova):
            let (r, removed) = e.unmap(domain: d, iova: iova)
            if let r { return .refused(r) }
            return .done(removed == 0 ? "nothing was mapped there" : "\(removed) mapping\(removed == 1 ? "" : "s") removed; IOTLB not invalidated")
        case let .attach(dev, dom):
            if let r = e.attach(device: dev, domain: dom) { return .refused(r) }
            return .done(nil)
        case let .detach(dev, dom):
            if let r = e.detach(device: dev, domain: dom) { return .refused(r) }
            return .done(nil)
        case let .setType(d, t):
            e.setType(domain: d, type: t)
            return .done(nil)
        case let .invalidate(u, scope):
            e.invalidate(iommu: u, scope: scope)
            return .done(nil)
        case let .remap(u, entry):
            e.remap(iommu: u, entry: entry)
            return .done(nil)
        case let .unremap(u, index):
            e.unremap(iommu: u, index: index)
            return .done(nil)
        case .dma, .msi:
            return .done(nil)
        }
    }

    func account(dma fault: Fault?, size: UInt64, engine: inout Engine, number: UInt64, into s: inout RunSummary) {
        s.instances &+= 1
        s.dma &+= 1
        s.bytes &+= size
        if let f = fault { s.dmaFaults[Int(f.rawValue)] &+= 1 } else { s.dmaOK &+= 1 }
        s.segments &+= UInt64(engine.lastPieceCount)
        let hazards = engine.lastHazards
        guard !hazards.isEmpty else { return }
        for seg in engine.segments where !seg.hazards.isEmpty {
            if seg.hazards.contains(.staleIOTLB) { s.staleIOTLB &+= 1 }
            if seg.hazards.contains(.bypass) { s.bypass &+= 1 }
            if s.hazardSteps.count < 10, s.hazardSteps.last != number { s.hazardSteps.append(number) }
        }
    }

    func fail(_ s: inout RunSummary, _ number: UInt64, _ message: String) {
        s.expectationsFailed &+= 1
        if s.failures.count < 20 { s.failures.append((number, message)) }
    }

    // MARK: Expectations

    func check(_ e: Expectation, dma fault: Fault?, _ segs: [Segment]) -> String? {
        let got = fault.map { "fault \($0)" } ?? "ok"
        if let o = e.outcome {
            let actual = fault == nil ? "ok" : "fault"
            if o != actual { return "expected \(o), got \(got)" }
        }
        if let f = e.fault, f != fault { return "expected fault \(f), got \(got)" }
        let first = segs.first
        if let r = e.region, first?.region != r {
            return "expected the access to land in region #\(r.raw), got \(first?.region.map { "#\($0.raw)" } ?? "no region")"
        }
        if let t = e.iotlb, let s = first {
            let actual = s.misses > 0 ? "miss" : s.hits > 0 ? "hit" : "none"
            if t != actual { return "expected IOTLB \(t), got \(actual)" }
        }
        if let h = e.hazard {
            let names = Set(segs.flatMap { $0.hazards.names })
            if h == "none" ? !names.isEmpty : !names.contains(h) {
                return "expected hazard \(h), got \(names.isEmpty ? "none" : names.sorted().joined(separator: ", "))"
            }
        }
        if let n = e.segments, n != segs.count { return "expected \(n) segment\(n == 1 ? "" : "s"), got \(segs.count)" }
        return nil
    }

    func check(_ e: Expectation, msi r: MSIResult) -> String? {
        let got = r.fault.map { "fault \($0)" } ?? "delivered to cpu \(r.cpu) vector \(hex(UInt64(r.vector), digits: 2))"
        if let o = e.outcome {
            let actual = r.fault == nil ? "delivered" : "fault"
            if o != actual { return "expected \(o), got \(got)" }
        }
        if let f = e.fault, f != r.fault { return "expected fault \(f), got \(got)" }
        if let c = e.cpu, r.fault != nil || c != r.cpu { return "expected cpu \(c), got \(got)" }
        if let v = e.vector, r.fault != nil || v != r.vector { return "expected vector \(hex(UInt64(v), digits: 2)), got \(got)" }
        return nil
    }

    func check(_ e: Expectation, op: Outcome) -> String? {
        let (actual, reason): (String, String?)
        switch op {
        case let .refused(r): (actual, reason) = ("refused", r.reason)
        default: (actual, reason) = ("ok", nil)
        }
        if let o = e.outcome, o != actual { return "expected \(o), got \(actual)\(reason.map { " (\($0))" } ?? "")" }
        if let r = e.reason, r != reason { return "expected refusal '\(r)', got \(reason.map { "'\($0)'" } ?? "success")" }
        return nil
    }
}
