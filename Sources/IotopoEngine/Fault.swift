import IotopoModel

/// Why an access did not reach memory, in iotopo's vocabulary (docs/semantics.md section 6) plus
/// the faults that happen before or after any IOMMU.
public enum Fault: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// The device cannot emit the address: it is at or above 2^dma-bits.
    case dmaWidth
    /// A bridge's DMA windows do not cover the address (a PCIe Unsupported Request, an AXI
    /// decode error).
    case unreachable
    /// No context for the stream: unattached, or an unmatched ID with `unmatched: abort`.
    case badStreamID
    /// The domain is blocked.
    case blocked
    /// Nothing is mapped at the IOVA.
    case translation
    /// The IOVA is past the input width, or the output past the output width.
    case addressSize
    /// A write to a read-only page or a read of a write-only one.
    case permission
    /// The physical address is in no memory region (a bus error).
    case noTarget
    /// An MSI with no valid remapping entry.
    case interruptRemap

    /// The kebab-case name used in output and in `expect`.
    public var description: String {
        switch self {
        case .dmaWidth: return "dma-width"
        case .unreachable: return "unreachable"
        case .badStreamID: return "bad-stream-id"
        case .blocked: return "blocked"
        case .translation: return "translation"
        case .addressSize: return "address-size"
        case .permission: return "permission"
        case .noTarget: return "no-target"
        case .interruptRemap: return "interrupt-remap"
        }
    }

    /// The fault for a name, as written in `expect`.
    public init?(name: String) {
        guard let f = Fault.allCases.first(where: { $0.description == name }) else { return nil }
        self = f
    }
}

/// Details that decide the native code of a fault.
public struct FaultDetail: Sendable, Equatable {
    /// For address-size faults: true when the input (IOVA) was out of range, false when the
    /// output was.
    public var inputRange: Bool = false
    /// For interrupt-remap faults: the VT-d reason (0x20 to 0x26).
    public var remapReason: UInt8 = 0
    /// Whether the access was a write.
    public var write: Bool = false
    /// For bad-stream-id faults: true when no ID-map entry matched, so the stream ID is none
    /// the driver configured; false when the stream is configured but has no domain.
    public var unmatched: Bool = false

    /// Creates details.
    public init(inputRange: Bool = false, remapReason: UInt8 = 0, write: Bool = false, unmatched: Bool = false) {
        self.inputRange = inputRange
        self.remapReason = remapReason
        self.write = write
        self.unmatched = unmatched
    }
}

extension Fault {
    /// The code the IOMMU architecture itself would report: the SMMUv3 event, the VT-d fault
    /// reason (Linux intel/dmar.c `dma_remap_fault_reasons`, `irq_remap_fault_reasons`), the
    /// AMD-Vi event, the SMMUv2 fault status bit.
    public func nativeCode(_ kind: IOMMUKind?, _ d: FaultDetail) -> String {
        switch self {
        case .dmaWidth: return "none: the address never leaves the device"
        case .unreachable: return "bus: unsupported request / decode error"
        case .noTarget: return "bus: unsupported request / decode error"
        default: break
        }
        guard let kind else { return "-" }
        switch kind {
        case .armSMMUv3:
            switch self {
            // A stream ID Linux never configured finds no valid stream table entry
            // (C_BAD_STREAMID; QEMU smmu_find_ste reports it for an L1 descriptor with Span 0).
            // A configured stream without a domain, and one in a blocking domain, get the abort
            // STE (V=1, Config=abort: arm_smmu_make_abort_ste, installed by
            // arm_smmu_attach_dev_blocked and at release): the transaction is terminated and,
            // by the SMMUv3 architecture (IHI 0070, 5.2 STE.Config), no event is recorded.
            case .badStreamID:
                return d.unmatched ? "SMMUv3 C_BAD_STREAMID (0x02)" : "SMMUv3 abort STE (Config=abort): terminated, no event recorded"
            case .blocked: return "SMMUv3 abort STE (Config=abort): terminated, no event recorded"
            case .translation: return "SMMUv3 F_TRANSLATION (0x10)"
            case .addressSize:
                // An input beyond the translation range is a translation fault on SMMUv3
                // (QEMU hw/arm/smmu-common.c); an output beyond OAS is F_ADDR_SIZE.
                return d.inputRange ? "SMMUv3 F_TRANSLATION (0x10), input out of range" : "SMMUv3 F_ADDR_SIZE (0x11)"
            case .permission: return "SMMUv3 F_PERMISSION (0x13)"
            case .interruptRemap: return "n/a (MSIs are translated as DMA on SMMUv3)"
            default: return "-"
            }
        case .armSMMU:
            switch self {
            case .badStreamID: return "SMMU GFSR.USF (unidentified stream)"
            case .blocked: return "SMMU S2CR fault (stream blocked)"
            case .translation, .addressSize: return "SMMU FSR.TF (translation fault)"
            case .permission: return "SMMU FSR.PF (permission fault)"
            default: return "-"
            }
        case .intelVTd:
            switch self {
            case .badStreamID: return "VT-d reason 0x2: context entry not present"
            // Linux's blocking domain clears the context entry (legacy mode:
            // intel/iommu.c blocking_domain_attach_dev -> device_block_translation ->
            // domain_context_clear), so DMA faults as a not-present context entry. Reason 0xD
            // concerns translation requests, not untranslated DMA.
            case .blocked: return "VT-d reason 0x2: context entry not present (the blocking domain clears it)"
            case .translation: return d.write ? "VT-d reason 0x5: PTE write access not set (entry empty)" : "VT-d reason 0x6: PTE read access not set (entry empty)"
            // The input check is against MGAW (0x4); an output address above the host address
            // width sets reserved bits of the second-stage entry (VT-d 3.x, 9.8 and 7.1.3: 0xC).
            case .addressSize:
                return d.inputRange ? "VT-d reason 0x4: access beyond MGAW" : "VT-d reason 0xc: non-zero reserved field in a second-stage entry (output above the host address width)"
            case .permission: return d.write ? "VT-d reason 0x5: PTE write access not set" : "VT-d reason 0x6: PTE read access not set"
            case .interruptRemap:
                let text = [0x20: "reserved fields in the interrupt request", 0x21: "index beyond the remapping table",
                            0x22: "IRTE present bit clear", 0x23: "error accessing the remapping table",
                            0x24: "reserved fields in the IRTE", 0x25: "compatibility-format interrupt blocked",
                            0x26: "source-id verification failed"][Int(d.remapReason)] ?? "interrupt remapping fault"
                return "VT-d reason 0x\(String(d.remapReason, radix: 16)): \(text)"
            default: return "-"
            }
        case .amdVi:
            switch self {
            case .badStreamID: return "AMD-Vi ILLEGAL_DEV_TABLE_ENTRY (0x1)"
            case .blocked, .translation, .addressSize: return "AMD-Vi IO_PAGE_FAULT (0x2), PR=0"
            case .permission: return "AMD-Vi IO_PAGE_FAULT (0x2), PR=1 PE=1"
            case .interruptRemap: return "AMD-Vi IO_PAGE_FAULT (0x2), interrupt request"
            default: return "-"
            }
        case .generic:
            return "generic: \(description)"
        }
    }
}
