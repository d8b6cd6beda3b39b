import IotopoFirmware
import IotopoImport
import IotopoSource
import IotopoYAML

/// What a check is: its stable ID, default severity, one-line summary, and the stage that
/// reports it. docs/checks.md, SARIF rules and `--disable` all read this table.
public struct CheckInfo: Sendable, Hashable {
    /// Where in the pipeline a check runs.
    public enum Stage: String, Sendable {
        /// Reading files and parsing YAML.
        case source
        /// Turning YAML into declarations (keys, types, values).
        case decode
        /// Names and references.
        case resolve
        /// Semantic checks on the resolved model.
        case model
    }

    /// Stable kebab-case ID.
    public let id: String
    /// Severity unless changed by `-Werror`.
    public let severity: Severity
    /// One line saying what it finds.
    public let summary: String
    /// The stage that reports it.
    public let stage: Stage

    /// Creates an entry.
    public init(_ id: String, _ severity: Severity, _ stage: Stage, _ summary: String) {
        self.id = id
        self.severity = severity
        self.stage = stage
        self.summary = summary
    }
}

/// IDs reported by the front end and the resolver (model checks declare theirs in their own
/// files).
public enum CheckID {
    public static let ioError = "io-error"
    public static let includeCycle = "include-cycle"
    public static let invalidInclude = "invalid-include"
    public static let unknownKey = "unknown-key"
    public static let missingKey = "missing-key"
    public static let wrongType = "wrong-type"
    public static let badNumber = "bad-number"
    public static let badSize = "bad-size"
    public static let valueOutOfRange = "value-out-of-range"
    public static let invalidValue = "invalid-value"
    public static let badName = "bad-name"
    public static let addressOverflow = "address-overflow"
    public static let repetitionLimit = "repetition-limit"
    public static let invalidSuppression = "invalid-suppression"
    public static let unusedSuppression = "unused-suppression"
    public static let duplicateName = "duplicate-name"
    public static let danglingReference = "dangling-reference"
    public static let invalidRequesterID = "invalid-requester-id"
    public static let badRequesterID = "bad-requester-id"
    public static let invalidStep = "invalid-step"
    public static let workloadLimit = "workload-limit"
    public static let invalidModel = "invalid-model"
}

/// Front-end and resolver entries of the registry.
enum FrontEndChecks {
    static let all: [CheckInfo] = [
        CheckInfo(YAMLCheck.syntax, .error, .source, "the file is not well-formed YAML"),
        CheckInfo(YAMLCheck.duplicateKey, .error, .source, "a mapping gives the same key twice"),
        CheckInfo(YAMLCheck.multipleDocuments, .error, .source, "a file holds more than one YAML document"),
        CheckInfo(YAMLCheck.unknownAnchor, .error, .source, "an alias names no anchor defined before it, or its own enclosing node"),
        CheckInfo(YAMLCheck.badMerge, .error, .source, "a merge key '<<' whose value is not a mapping or a list of mappings"),
        CheckInfo(YAMLCheck.tag, .error, .source, "a YAML tag other than the core schema's"),
        CheckInfo(YAMLCheck.encoding, .error, .source, "the file is not UTF-8, or holds control characters"),
        CheckInfo(YAMLCheck.limit, .error, .source, "a resource limit was crossed (file size, nesting, alias expansion, node count)"),
        CheckInfo(CheckID.ioError, .error, .source, "a file could not be read (missing, unreadable, a directory)"),
        CheckInfo(CheckID.includeCycle, .error, .source, "files include each other in a cycle"),
        CheckInfo(CheckID.invalidInclude, .error, .source, "an include entry is malformed, or an included file declares the platform"),
        CheckInfo(CheckID.unknownKey, .error, .decode, "a key the language does not define (with a suggestion)"),
        CheckInfo(CheckID.missingKey, .error, .decode, "a required key is absent"),
        CheckInfo(CheckID.wrongType, .error, .decode, "a value of the wrong YAML type (mapping, list, scalar, boolean)"),
        CheckInfo(CheckID.badNumber, .error, .decode, "a value that is not a valid integer, or overflows 64 bits"),
        CheckInfo(CheckID.badSize, .error, .decode, "a size that is zero, or has an unknown unit"),
        CheckInfo(CheckID.valueOutOfRange, .error, .decode, "an integer outside the range its key allows"),
        CheckInfo(CheckID.invalidValue, .error, .decode, "a word that is not one of the values its key allows"),
        CheckInfo(CheckID.badName, .error, .decode, "a name with control characters or characters outside [A-Za-z0-9_.-]"),
        CheckInfo(CheckID.addressOverflow, .error, .decode, "base + size passes the top of the 64-bit address space"),
        CheckInfo(CheckID.repetitionLimit, .error, .decode, "a repetition ('count') that would generate more entries than the limit"),
        CheckInfo(CheckID.invalidSuppression, .error, .decode, "a suppression without a reason, or naming an unknown check"),
        CheckInfo(CheckID.unusedSuppression, .warning, .model, "a suppression that silenced nothing"),
        CheckInfo(CheckID.duplicateName, .error, .resolve, "two entities share a name (names are unique across the platform)"),
        CheckInfo(CheckID.danglingReference, .error, .resolve, "a reference names no entity of the expected kind (with a suggestion)"),
        CheckInfo(CheckID.invalidModel, .error, .source, "a compiled-model JSON file that is malformed or inconsistent"),
        CheckInfo(CheckID.badRequesterID, .error, .decode, "a requester ID that is malformed, or given to something that is not a PCI function"),
        CheckInfo(CheckID.invalidStep, .error, .decode, "a workload step the platform cannot perform (a DMA from a device that cannot master DMA, an MSI vector it lacks, an empty address range)"),
        CheckInfo(CheckID.workloadLimit, .error, .decode, "a workload whose generators would produce more steps than the limit"),
        CheckInfo(ImportCheck.syntax, .error, .source, "a line of lspci text, or a file of a snapshot, that cannot be read as what it should be"),
        CheckInfo(ImportCheck.unreadable, .error, .source, "an import source that cannot be read or holds nothing to import"),
        CheckInfo(ImportCheck.assumed, .warning, .source, "an import source that lacks facts the groups need (lspci without root), so they were assumed"),
        CheckInfo(ImportCheck.linkOutside, .error, .source, "a snapshot folder holding a link, which could lead outside it"),
        CheckInfo(ImportCheck.config, .error, .source, "a config space shorter than its header, or whose capability list loops or leaves it"),
        CheckInfo(ImportCheck.conflict, .error, .source, "two import sources, or two entries of one, describe a function differently"),
        CheckInfo(FirmwareCheck.malformed, .error, .source, "an ACPI table or device tree blob that is cut off, has a length that lies, a 0-length subtable, or a bad header"),
        CheckInfo(FirmwareCheck.checksum, .warning, .source, "an ACPI table whose bytes do not sum to 0 (an error for IVRS, which Linux then refuses)"),
        CheckInfo(FirmwareCheck.unknown, .warning, .source, "a firmware structure of a type the reader does not know, skipped as the kernel skips it"),
        CheckInfo(FirmwareLint.scopeAbsent, .warning, .source, "a DMAR device scope, RMRR or IVRS entry naming a function the PCI source does not have"),
        CheckInfo(FirmwareLint.includeAllDuplicate, .warning, .source, "more than one DMAR unit with INCLUDE_PCI_ALL on a segment"),
        CheckInfo(FirmwareLint.badReference, .warning, .source, "an IORT ID mapping that points at no node, or at a node that maps no IDs"),
        CheckInfo(FirmwareLint.mappingOverlap, .warning, .source, "IORT ID mappings of one node whose input ranges overlap"),
        CheckInfo(FirmwareLint.badReserved, .warning, .source, "an RMRR or IVMD range that is not page-aligned, ends before it starts, or passes 2^64"),
        CheckInfo(FirmwareLint.rmrrPlacement, .warning, .source, "an RMRR outside firmware-reserved memory, in System RAM, or in another device's MMIO (held against /proc/iomem)"),
        CheckInfo(FirmwareLint.aliasConflict, .warning, .source, "an IVRS alias for a present function that the PCI topology contradicts"),
        CheckInfo(FirmwareLint.idTooWide, .warning, .source, "an IORT mapping or DT specifier giving a stream ID wider than its SMMU takes (16 bits on SMMUv1/v2)"),
        CheckInfo(DeviceTreeLint.mapCells, .warning, .source, "an iommu-map or msi-map that is not whole entries of 4 cells, which Linux rejects"),
        CheckInfo(DeviceTreeLint.mapUncovered, .warning, .source, "an iommu-map or msi-map leaving requester IDs of its host bridge's bus range unmapped"),
        CheckInfo(DeviceTreeLint.mapOverlap, .warning, .source, "entries of one iommu-map or msi-map whose input IDs overlap"),
        CheckInfo(DeviceTreeLint.missingIOMMUs, .warning, .source, "a device-tree master with no iommus where its siblings of the same kind have one"),
        CheckInfo(DeviceTreeLint.dmaRangesRAM, .warning, .source, "dma-ranges that leave all RAM out of reach of a 32-bit master"),
        CheckInfo(DeviceTreeLint.twoIOMMUs, .warning, .source, "a master whose iommus name more than one IOMMU"),
    ]
}
