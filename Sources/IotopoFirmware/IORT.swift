/// The I/O Remapping Table of Arm platforms (Arm DEN 0049, IO Remapping Table, issue E.e and
/// later), as Linux's drivers/acpi/arm64/iort.c reads it.
public struct IORTTable: Hashable, Sendable {
    public var header: ACPIHeader
    /// Nodes, in table order.
    public var nodes: [IORTNode] = []

    /// The node at a table offset (what an ID mapping's output reference names).
    public func node(at offset: UInt32) -> IORTNode? { nodes.first { UInt32($0.offset) == offset } }
}

/// One IORT node: its header fields, what its type adds, and its ID mappings.
public struct IORTNode: Hashable, Sendable {
    public enum Kind: UInt8, Sendable {
        case itsGroup = 0, namedComponent = 1, rootComplex = 2, smmuV1V2 = 3, smmuV3 = 4, pmcg = 5, rmr = 6
    }

    public var type: UInt8
    public var revision: UInt8
    public var identifier: UInt32
    public var offset: Int
    public var length: Int
    public var mappings: [IORTMapping]
    public var body: Body

    public var kind: Kind? { Kind(rawValue: type) }

    public enum Body: Hashable, Sendable {
        /// ITS group: the GIC ITS identifiers.
        case itsGroup(identifiers: [UInt32])
        /// Named component: an ACPI device (`\_SB.PCI0.XHC0`), its memory address size limit.
        case namedComponent(flags: UInt32, memoryAccess: UInt64, addressSizeLimit: UInt8, name: String)
        /// Root complex: a PCI segment's host bridge.
        case rootComplex(memoryAccess: UInt64, atsAttribute: UInt32, segment: UInt32, addressSizeLimit: UInt8?)
        /// SMMUv1 or v2: base, span, model, flags.
        case smmuV1V2(base: UInt64, span: UInt64, model: UInt32, flags: UInt32)
        /// SMMUv3: base, flags, model, and which of its mappings is its own device ID (MSI).
        case smmuV3(base: UInt64, flags: UInt32, model: UInt32, deviceIDMappingIndex: UInt32?)
        /// PMCG: page 0 base and the node it is associated with.
        case pmcg(base: UInt64, reference: UInt32)
        /// RMR: reserved memory ranges (identity-mapped for the node's stream IDs).
        case rmr(flags: UInt32, ranges: [IORTMemoryRange])
        case unknown
    }

    /// What the node is, in words.
    public var summary: String {
        switch body {
        case let .itsGroup(ids): return "ITS group \(ids.map(String.init).joined(separator: ","))"
        case let .namedComponent(_, _, _, name): return "named component \(name)"
        case let .rootComplex(_, _, seg, _): return "root complex, segment \(seg)"
        case let .smmuV1V2(base, _, model, _): return "SMMUv1/v2 (model \(model)) at 0x\(hexDigits(base))"
        case let .smmuV3(base, _, model, _): return "SMMUv3 (model \(model)) at 0x\(hexDigits(base))"
        case let .pmcg(base, _): return "PMCG at 0x\(hexDigits(base))"
        case let .rmr(_, ranges): return "RMR, \(ranges.count) range\(ranges.count == 1 ? "" : "s")"
        case .unknown: return "node type \(type)"
        }
    }
}

/// An ID mapping (IORT 3.4): input IDs `[inputBase, inputBase + count]` become
/// `outputBase + (id - inputBase)` at the node `outputReference`. The table's "number of IDs"
/// field is the count minus one: the range is inclusive (`iort_id_map`).
public struct IORTMapping: Hashable, Sendable {
    public var inputBase: UInt32
    /// The field as written: the number of IDs minus one.
    public var idCount: UInt32
    public var outputBase: UInt32
    /// Table offset of the output node.
    public var outputReference: UInt32
    public var flags: UInt32
    public var offset: Int

    /// Single mapping: the node's own ID, no input range (`ACPI_IORT_ID_SINGLE_MAPPING`).
    public var single: Bool { flags & 1 != 0 }
    /// The last input ID, without wrapping.
    public var inputLast: UInt64 { UInt64(inputBase) + UInt64(idCount) }
}

/// An RMR memory range descriptor: base and length.
public struct IORTMemoryRange: Hashable, Sendable {
    public var base: UInt64
    public var length: UInt64
    public var offset: Int
}

extension IORTTable {
    /// Reads an IORT. Nodes are found from the header's node offset and count, each by its
    /// length; a node running past the table or of length 0 stops the walk with an error. An ID
    /// mapping array or RMR range array outside its node is an error for that node. References
    /// to nodes are checked by the lints, not here.
    public static func read(_ raw: [UInt8], problems: inout [FirmwareProblem]) -> IORTTable? {
        guard let (h, b) = ACPIHeader.read(raw, expect: "IORT", problems: &problems) else { return nil }
        if let p = ChecksumPolicy.check(h, b) { problems.append(p) }
        func fail(_ at: Int, _ m: String) { problems.append(FirmwareProblem(FirmwareCheck.malformed, .error, table: "IORT", offset: at, m)) }
        guard let count = b.u32(36), let first = b.u32(40), b.count >= 48 else {
            fail(b.count, "the table ends inside the node count and offset fields: it needs 48 bytes")
            return nil
        }
        var t = IORTTable(header: h)
        guard count > 0 else { return t }
        guard first >= 48, Int(first) < b.count else {
            fail(40, "the first node's offset is \(first), outside the table's nodes (48 to \(b.count - 1))")
            return t
        }
        var at = Int(first)
        for n in 0 ..< Int(count) {
            guard at < b.count else {
                fail(36, "the header counts \(count) nodes but the table ends after \(n)")
                break
            }
            guard let type = b.u8(at), let length = b.u16(at + 1).map(Int.init), let rev = b.u8(at + 3),
                  let ident = b.u32(at + 4), let mapCount = b.u32(at + 8), let mapOffset = b.u32(at + 12) else {
                fail(at, "node \(n)'s 16-byte header is cut off by the table's end")
                break
            }
            guard length >= 16 else { fail(at + 1, "node \(n) has length \(length), shorter than a node header"); break }
            guard b.contains(at, length: length) else {
                fail(at + 1, "node \(n) is \(length) bytes and runs past the table's end (\(b.count))")
                break
            }
            let end = at + length
            var mappings: [IORTMapping] = []
            if mapCount > 0 {
                let (size, o1) = Int(mapCount).multipliedReportingOverflow(by: 20)
                let (mapEnd, o2) = Int(mapOffset).addingReportingOverflow(size)
                if o1 || o2 || mapOffset < 16 || mapEnd > length {
                    fail(at + 12, "node \(n)'s \(mapCount) ID mapping\(mapCount == 1 ? "" : "s") at node offset \(mapOffset) do not fit inside the node (\(length) bytes)")
                } else {
                    for i in 0 ..< Int(mapCount) {
                        let m = at + Int(mapOffset) + 20 * i
                        mappings.append(IORTMapping(inputBase: b.u32(m) ?? 0, idCount: b.u32(m + 4) ?? 0, outputBase: b.u32(m + 8) ?? 0,
                                                    outputReference: b.u32(m + 12) ?? 0, flags: b.u32(m + 16) ?? 0, offset: m))
                    }
                }
            }
            let body = Self.body(type: type, b, at, end, &problems)
            t.nodes.append(IORTNode(type: type, revision: rev, identifier: ident, offset: at, length: length, mappings: mappings, body: body))
            at = end
        }
        return t
    }

    static func body(type: UInt8, _ b: TableBytes, _ at: Int, _ end: Int, _ problems: inout [FirmwareProblem]) -> IORTNode.Body {
        let length = end - at
        func short(_ need: Int, _ name: String) -> Bool {
            if length >= need { return false }
            problems.append(FirmwareProblem(FirmwareCheck.malformed, .error, table: "IORT", offset: at + 1,
                                            "a \(name) node is \(length) bytes, shorter than its \(need)-byte fixed part"))
            return true
        }
        switch IORTNode.Kind(rawValue: type) {
        case .itsGroup?:
            guard !short(20, "ITS group"), let n = b.u32(at + 16) else { return .unknown }
            let (size, o1) = Int(n).multipliedReportingOverflow(by: 4)
            guard !o1, 20 + size <= length else {
                problems.append(FirmwareProblem(FirmwareCheck.malformed, .error, table: "IORT", offset: at + 16,
                                                "the ITS group lists \(n) identifiers, more than its node holds"))
                return .unknown
            }
            return .itsGroup(identifiers: (0 ..< Int(n)).map { b.u32(at + 20 + 4 * $0) ?? 0 })
        case .namedComponent?:
            guard !short(30, "named component") else { return .unknown }
            guard let name = b.cString(at + 29, limit: end) else {
                problems.append(FirmwareProblem(FirmwareCheck.malformed, .error, table: "IORT", offset: at + 29,
                                                "the named component's device object name has no terminating NUL inside the node"))
                return .unknown
            }
            return .namedComponent(flags: b.u32(at + 16) ?? 0, memoryAccess: b.u64(at + 20) ?? 0, addressSizeLimit: b.u8(at + 28) ?? 0, name: name)
        case .rootComplex?:
            guard !short(32, "root complex") else { return .unknown }
            return .rootComplex(memoryAccess: b.u64(at + 16) ?? 0, atsAttribute: b.u32(at + 24) ?? 0, segment: b.u32(at + 28) ?? 0,
                                addressSizeLimit: length > 32 ? b.u8(at + 32) : nil)
        case .smmuV1V2?:
            guard !short(60, "SMMUv1/v2") else { return .unknown }
            return .smmuV1V2(base: b.u64(at + 16) ?? 0, span: b.u64(at + 24) ?? 0, model: b.u32(at + 32) ?? 0, flags: b.u32(at + 36) ?? 0)
        case .smmuV3?:
            guard !short(64, "SMMUv3") else { return .unknown }
            return .smmuV3(base: b.u64(at + 16) ?? 0, flags: b.u32(at + 24) ?? 0, model: b.u32(at + 40) ?? 0,
                           deviceIDMappingIndex: length >= 68 ? b.u32(at + 64) : nil)
        case .pmcg?:
            guard !short(32, "PMCG") else { return .unknown }
            return .pmcg(base: b.u64(at + 16) ?? 0, reference: b.u32(at + 28) ?? 0)
        case .rmr?:
            guard !short(28, "RMR"), let n = b.u32(at + 20), let off = b.u32(at + 24) else { return .unknown }
            let (size, o1) = Int(n).multipliedReportingOverflow(by: 20)
            let (rEnd, o2) = Int(off).addingReportingOverflow(size)
            guard !o1, !o2, off >= 16, rEnd <= length else {
                problems.append(FirmwareProblem(FirmwareCheck.malformed, .error, table: "IORT", offset: at + 20,
                                                "the RMR's \(n) memory range descriptor\(n == 1 ? "" : "s") at node offset \(off) do not fit inside the node"))
                return .unknown
            }
            return .rmr(flags: b.u32(at + 16) ?? 0, ranges: (0 ..< Int(n)).map {
                let r = at + Int(off) + 20 * $0
                return IORTMemoryRange(base: b.u64(r) ?? 0, length: b.u64(r + 8) ?? 0, offset: r)
            })
        case nil:
            problems.append(FirmwareProblem(FirmwareCheck.unknown, .warning, table: "IORT", offset: at,
                                            "node type \(type) is not one IORT defines (0 to 6); skipped"))
            return .unknown
        }
    }
}
