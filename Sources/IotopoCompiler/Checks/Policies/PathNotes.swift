import IotopoAnalysis
import IotopoModel
import IotopoSource

extension CheckContext {
    /// Notes that walk the path granting a device an access: the device, each bridge it
    /// crosses, each IOMMU and its domain, and the window, identity domain, bypass or
    /// mapping the segment went through, each at its own source location.
    func pathNotes(_ d: DeviceID, _ s: Reachability.Segment) -> [DiagnosticNote] {
        let m = model
        var notes = [note("device '\(m.devices[d].name)' is declared here", m.devices[d].origin)]
        let path = topology.path(of: m.devices[d])
        for step in path.steps {
            switch step {
            case let .cross(b):
                notes.append(note("its DMA crosses bridge '\(m.bridges[b].name)'", m.bridges[b].origin))
            case let .iommu(i):
                let domain = s.hops.lazy.compactMap { h -> DomainID? in
                    switch h {
                    case let .mapping(dom, _) where m.domains[dom].iommu == i: return dom
                    case let .identity(io, dom) where io == i: return dom
                    default: return nil
                    }
                }.first
                if let dom = domain {
                    notes.append(note("IOMMU '\(m.iommus[i].name)' translates it with domain '\(m.domains[dom].name)'", m.iommus[i].origin))
                } else if s.hops.contains(.bypass(i)) {
                    notes.append(note("IOMMU '\(m.iommus[i].name)' lets its unmatched stream bypass translation", m.iommus[i].origin))
                }
            case .windows:
                break
            }
        }
        for h in s.hops {
            switch h {
            case let .window(b):
                notes.append(note("the DMA window of bridge '\(m.bridges[b].name)' passes it", m.bridges[b].origin))
            case let .identity(_, dom):
                notes.append(note("domain '\(m.domains[dom].name)' is identity: device addresses are physical", m.domains[dom].origin))
            case .bypass:
                break
            case let .mapping(dom, k):
                let mp = m.domains[dom].mappings[k]
                notes.append(note("this mapping of domain '\(m.domains[dom].name)' grants \(mp.perm) at iova \(hex(mp.iova.base))", mp.origin))
            }
        }
        if path.iommus.isEmpty {
            notes.append(DiagnosticNote("no IOMMU is on its path: it reaches whatever its address width and the bridge windows allow", at: nil))
        }
        return notes
    }

    /// `[base, last]` of a range, for messages.
    func span(_ r: AddressRange) -> String { "[\(hex(r.base)), \(hex(r.last))]" }
}
