import IotopoModel

extension Engine {
    /// A device raises MSI vector `v`.
    ///
    /// With interrupt remapping on at the first IOMMU of its path, the message carries a
    /// handle (`msi.handle + v`, VT-d's sub-handle scheme) that selects a remapping-table
    /// entry: a missing entry faults (VT-d reason 0x22, present bit clear), an entry for
    /// another source faults (0x26, source-id verification), and a device with no handle
    /// sends a compatibility-format message, which remapping blocks (0x25).
    ///
    /// Without remapping, a message with an `address` is a 4-byte DMA write there, through
    /// the whole DMA path: on Arm the GIC ITS doorbell must be mapped in the device's domain
    /// (Linux maps it, iommu_dma_get_msi_page), and a write that reaches no MMIO region raises
    /// no interrupt. A message without an address goes straight to the interrupt controller
    /// as programmed (x86 MSIs are writes to 0xFEE0_0000-0xFEEF_FFFF, docs/semantics.md section 7).
    public mutating func msi(_ d: DeviceID, vector v: UInt32) -> MSIResult {
        let msi = model.devices[d].msi ?? MSICapability(vectors: 1, handle: nil, cpu: 0, vector: 0)
        let plan = plans[d.index]
        guard plan.remapIOMMU >= 0 else {
            let delivered = MSIResult(fault: nil, detail: FaultDetail(), iommu: nil, index: nil, cpu: msi.cpu, vector: msi.vector &+ UInt8(truncatingIfNeeded: v))
            guard let address = msi.address else { return delivered }
            if let f = dma(d, write: true, address: address, size: 4) {
                let s = segments.first { $0.fault != nil }
                return MSIResult(fault: f, detail: s?.detail ?? FaultDetail(write: true), iommu: s?.faultIOMMU, index: nil, cpu: 0, vector: 0)
            }
            let phys = segments.first?.address
            guard let r = segments.first?.region, model.regions[r].kind == .mmio else {
                // The write landed in memory, not in an interrupt controller: no interrupt,
                // and four bytes of RAM overwritten.
                return MSIResult(fault: .noTarget, detail: FaultDetail(write: true), iommu: nil, index: nil, cpu: 0, vector: 0,
                                 doorbell: phys, doorbellRegion: segments.first?.region)
            }
            var out = delivered
            out.doorbell = phys
            out.doorbellRegion = r
            return out
        }
        let u = IOMMUID(plan.remapIOMMU)
        guard let handle = msi.handle else {
            return MSIResult(fault: .interruptRemap, detail: FaultDetail(remapReason: 0x25), iommu: u, index: nil, cpu: 0, vector: 0)
        }
        let index = handle &+ v
        guard let entry = remapTables[u.index][index] else {
            return MSIResult(fault: .interruptRemap, detail: FaultDetail(remapReason: 0x22), iommu: u, index: index, cpu: 0, vector: 0)
        }
        if let source = entry.source, plans[source.index].remapRID != plan.remapRID || !plan.hasRID && source != d {
            return MSIResult(fault: .interruptRemap, detail: FaultDetail(remapReason: 0x26), iommu: u, index: index, cpu: 0, vector: 0)
        }
        return MSIResult(fault: nil, detail: FaultDetail(), iommu: u, index: index, cpu: entry.cpu, vector: entry.vector)
    }
}
