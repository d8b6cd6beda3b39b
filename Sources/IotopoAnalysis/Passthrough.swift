import IotopoModel

/// Which devices can be given to a virtual machine on their own.
///
/// VFIO assigns whole IOMMU groups: every device of a group goes to the same owner
/// (Documentation/driver-api/vfio.rst). Bridges in the group do not stand in the way: the
/// PCIe port driver declares `driver_managed_dma` (drivers/pci/pcie/portdrv.c), so a group
/// whose other members are bridges can still be claimed for one device
/// (`iommu_device_claim_dma_owner`, drivers/iommu/iommu.c).
public struct Passthrough: Sendable {
    public enum Status: Sendable, Equatable {
        /// The only DMA master of its group.
        case alone(group: Int)
        /// Its group holds other devices, which would go with it.
        case shared(group: Int, with: [DeviceID])
        /// No IOMMU on its path: it cannot be isolated at all.
        case noIOMMU
        /// Its SMMUv3 refused it (a stream ID another function holds): Linux gives it no
        /// group, so VFIO cannot take it.
        case refused
    }

    public struct Verdict: Sendable {
        public var device: DeviceID
        public var status: Status
    }

    /// One verdict per DMA-capable device, in declaration order.
    public var verdicts: [Verdict]

    public init(_ g: GroupAnalysis, _ m: SystemModel) {
        var out: [Verdict] = []
        let refused = Set(g.refused.map(\.function))
        for d in m.devices.ids(Device.self) where m.devices[d].dmaCapable {
            guard let n = g.groupOf[.pci(.device(d))] ?? g.groupOf[.platform(d)] else {
                out.append(Verdict(device: d, status: refused.contains(.device(d)) ? .refused : .noIOMMU))
                continue
            }
            let others: [DeviceID] = g.groups[n].members.compactMap {
                switch $0 {
                case let .pci(.device(o)), let .platform(o): return o == d ? nil : o
                case .pci(.bridge): return nil
                }
            }
            out.append(Verdict(device: d, status: others.isEmpty ? .alone(group: n) : .shared(group: n, with: others)))
        }
        verdicts = out
    }
}
