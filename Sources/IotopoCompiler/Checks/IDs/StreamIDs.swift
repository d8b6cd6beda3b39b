import IotopoModel

/// The stream IDs one device presents at one IOMMU on its path.
struct DeviceStreams {
    var iommu: IOMMUID
    var step: Int
    var ids: [UInt32]
    var unmatched: [RequesterID]
}

extension CheckContext {
    /// Whether a device's DMA reaches memory with no translation: no IOMMU on its path, or
    /// every IOMMU passes it through (an identity domain, or an unmatched stream with
    /// `unmatched: bypass`).
    func untranslated(_ d: DeviceID, path: DMAPath) -> Bool {
        for (i, step) in path.steps.enumerated() {
            guard case let .iommu(u) = step else { continue }
            if let dom = domain(of: d, at: u), model.domains[dom].type == .identity { continue }
            let s = model.streamIDs(of: d, path: path, at: i)
            if s.ids.isEmpty && !s.unmatched.isEmpty && model.iommus[u].unmatched == .bypass { continue }
            return false
        }
        return true
    }

    /// For each IOMMU on a device's path, the stream IDs it presents there (computed once,
    /// when the context is made).
    func streams(of d: DeviceID) -> [DeviceStreams] { deviceStreams[d.index] }

    static func computeStreams(of d: DeviceID, model: SystemModel, topology: Topology) -> [DeviceStreams] {
        let path = topology.path(of: model.devices[d])
        var out: [DeviceStreams] = []
        for (i, step) in path.steps.enumerated() {
            guard case let .iommu(u) = step else { continue }
            let s = model.streamIDs(of: d, path: path, at: i)
            out.append(DeviceStreams(iommu: u, step: i, ids: s.ids, unmatched: s.unmatched))
        }
        return out
    }
}
