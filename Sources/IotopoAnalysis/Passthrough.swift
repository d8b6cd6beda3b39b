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
        /// An IOMMU is on its path, but no ID-map entry matches this requester ID, so Linux
        /// gives it no IOMMU (no fwspec) and no group: VFIO cannot take it.
        case unmatched(RequesterID)
        /// Its SMMUv3 refused it (a stream ID another function holds): Linux gives it no
        /// group, so VFIO cannot take it.
        case refused
        /// Firmware requires ranges of it identity-mapped (RMRR, IVMD, RMR) and they are not
        /// relaxable: Linux refuses to put it in a VM's domain.
        case directMapped(group: Int)
    }

    /// Whether a device's reserved ranges forbid assigning it: any it has, unless it is a
    /// USB controller or a display device, whose RMRRs Linux treats as relaxable
    /// (`device_rmrr_is_relaxable`, drivers/iommu/intel/iommu.c, Linux 5.3). Since 6.6 the
    /// IOMMU core refuses the others ("Firmware has requested this device have a 1:1 IOMMU
    /// mapping, rejecting configuring the device without a 1:1 mapping"); before, from 3.17,
    /// `intel_iommu_attach_device` did ("Device is ineligible for IOMMU domain attach due to
    /// platform RMRR requirement").
    /// Without a `class`, the device's `kind` stands for it (`usb`, `gpu`, `display`).
    public static func requiresDirectMapping(_ d: Device) -> Bool {
        guard !d.reserved.isEmpty else { return false }
        if let c = d.pci?.classCode { return !(c >> 8 == 0x0C03 || c >> 16 == 0x03) }
        return !["usb", "xhci", "ehci", "gpu", "display", "vga", "igpu"].contains(d.kind)
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
        var unmatched: [PCIFunctionRef: RequesterID] = [:]
        for u in g.unmatched { unmatched[u.function] = u.rid }
        for d in m.devices.ids(Device.self) where m.devices[d].dmaCapable {
            guard let n = g.groupOf[.pci(.device(d))] ?? g.groupOf[.platform(d)] else {
                let status: Status = refused.contains(.device(d)) ? .refused : unmatched[.device(d)].map { .unmatched($0) } ?? .noIOMMU
                out.append(Verdict(device: d, status: status))
                continue
            }
            let others: [DeviceID] = g.groups[n].members.compactMap {
                switch $0 {
                case let .pci(.device(o)), let .platform(o): return o == d ? nil : o
                case .pci(.bridge): return nil
                }
            }
            if Self.requiresDirectMapping(m.devices[d]) {
                out.append(Verdict(device: d, status: .directMapped(group: n)))
                continue
            }
            out.append(Verdict(device: d, status: others.isEmpty ? .alone(group: n) : .shared(group: n, with: others)))
        }
        verdicts = out
    }
}
