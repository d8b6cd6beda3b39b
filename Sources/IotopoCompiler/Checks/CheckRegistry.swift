import IotopoSource

/// The one table of checks. Model checks run in this order; a check listed `after`
/// others is skipped when they found errors.
public enum CheckRegistry {
    /// Model checks in run order.
    public static let modelChecks: [ModelCheck] = [
        // Structure.
        .bridgeCycle, .busMultipleUpstream, .busNoPathToMemory, .iommuNoDMA,
        // Addresses.
        .memoryOverlap, .regionPastAddressSpace, .windowOverlap, .windowUnreachable,
        // IDs.
        .invalidRequesterID, .duplicateRequesterID, .iommuMapMask, .missingStreamID, .streamIDTooWide, .streamIDAlias, .iommuMapUnmatched,
        // Mappings.
        .mappingInUntranslatedDomain, .pageSizeUnsupported, .mappingMisaligned, .mappingOverlap, .mappingOutsideMemory,
        .mappingCrossesRegion, .mappingIOVATooWide, .mappingPhysTooWide, .mappingWriteOnlyFirstStage,
        // Attachments and interrupt remapping.
        .attachIOMMUNotOnPath, .attachDuplicate, .attachConflict, .reservedNotIdentity, .remapEntryInvalid,
        // Security lints.
        .dmaWithoutIOMMU, .dmaLimitBelowRAM, .peerToPeerMapping, .writableProtectedRegion,
        // Isolation: stated policies and virtual machines.
        .policyViolation, .vmGroupSplit, .vmMemoryEscape, .vmSharedMemory, .vmReservedRegion,
    ]

    /// The checks that judge isolation (policies and VMs). The analysis commands (`groups`,
    /// `reach`, `graph`, `diff`) switch them off: their findings are what those commands
    /// show, so they must not stop them.
    public static let isolationChecks: Set<String> = ["policy-violation", "vm-group-split", "vm-memory-escape", "vm-shared-memory", "vm-reserved-region"]

    /// Every check, front end first, each ID once.
    public static let all: [CheckInfo] = {
        var seen = Set<String>()
        return (FrontEndChecks.all + modelChecks.map(\.info)).filter { seen.insert($0.id).inserted }
    }()

    /// Every check ID.
    public static let ids: Set<String> = Set(all.map(\.id))

    /// The entry for an ID.
    public static func info(_ id: String) -> CheckInfo? { all.first { $0.id == id } }

    /// Whether `--disable` and suppressions may silence a check: model checks and warnings
    /// may be; a file that cannot be read or decoded cannot be checked at all.
    public static func isSuppressible(_ id: String) -> Bool {
        guard let i = info(id) else { return false }
        return i.stage == .model || i.severity == .warning
    }
}

extension CompileOptions {
    /// These options with the isolation checks switched off, for the analysis commands and
    /// their golden cases (`CheckRegistry.isolationChecks`).
    public var forAnalysis: CompileOptions {
        var o = self
        o.policy.disabled.formUnion(CheckRegistry.isolationChecks)
        return o
    }
}
