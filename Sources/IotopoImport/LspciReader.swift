import IotopoModel
import IotopoQuirks
import IotopoSource

/// Reads `lspci -vvnn` text (with or without `-D`), as root or not, in full or trimmed to
/// the lines that decide groups. Lines it does not need are skipped; a line it needs but
/// cannot read is an `import-syntax` error at that line, and reading goes on.
///
/// What each line gives (pciutils' `lspci.c` and `ls-caps.c` print them):
/// - `[ssss:]bb:dd.f Class [cccc]: Description [vvvv:dddd] (rev rr) (prog-if pp [...])`;
/// - `Subsystem: ... [vvvv:dddd]`, `Kernel driver in use: x`, `IOMMU group: n`;
/// - `Bus: primary=pp, secondary=ss, subordinate=uu, ...` (bridges);
/// - `Capabilities: [..] Express (vN) <port type>`, `Capabilities: <access denied>`;
/// - `Access Control Services` with its `ACSCap:` and `ACSCtl:` lines;
/// - `Alternative Routing-ID Interpretation (ARI)`;
/// - `Single Root I/O Virtualization (SR-IOV)` with `Initial VFs:` and `VF offset:` lines.
public struct LspciReader {
    /// The file the text came from, for diagnostics.
    let file: FileID
    public var sink = DiagnosticSink()
    private var functions: [HostFunction] = []
    /// Indented lines read (`lspci` and `lspci -nn` print none).
    private var detailLines = 0
    /// The capability whose indented lines follow.
    private var capability: Capability = .other
    private var seen: [PCIAddress: Int] = [:]

    private enum Capability { case acs, sriov, other }

    /// Creates a reader of the file `file`.
    public init(file: FileID) { self.file = file }

    /// Whether `bytes` look like lspci text: the first non-blank line is a function header.
    public static func looksLikeLspci(_ bytes: [UInt8]) -> Bool {
        for line in Lines(bytes) where !line.text.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) {
            guard let s = String(validating: line.text, as: UTF8.self) else { return false }
            return header(s) != nil
        }
        return false
    }

    /// Reads the text; the description is nil when nothing could be imported.
    public mutating func read(_ bytes: [UInt8], path: String) -> HostDescription? {
        if let bad = firstBinaryByte(bytes) {
            sink.error(ImportCheck.syntax, "'\(path)' is not lspci text: byte \(bad) is \(bad < bytes.count ? "0x" + String(bytes[bad], radix: 16) : "past the end"), not text (expected the output of lspci -vvnn)",
                       at: at(line: lineOf(byte: bad, in: bytes), column: 1))
            return nil
        }
        for line in Lines(bytes) {
            // Valid UTF-8 was checked above, so this decoding does not replace anything.
            let s = String(decoding: line.text, as: UTF8.self)
            readLine(s, number: line.number)
        }
        guard !functions.isEmpty else {
            if !sink.hasErrors {
                sink.error(ImportCheck.unreadable, "'\(path)' holds no PCI function (expected the output of lspci -vvnn)", at: .fileStart(file))
            }
            return nil
        }
        // Without -v lspci prints headers only: no bridge bus numbers, no capabilities, no
        // groups. With a PCI bridge among them, what import would build from that is not the
        // machine (every bus below a bridge would look like a root bus), so it stops here.
        if detailLines == 0, !sink.hasErrors, functions.contains(where: { $0.classCode >> 8 == 0x0604 }) {
            sink.error(ImportCheck.syntax, "'\(path)' has \(functions.count) function header\(functions.count == 1 ? "" : "s") and no detail lines: it is the output of lspci or lspci -nn, which shows neither bridges' bus numbers nor capabilities nor IOMMU groups; run lspci -vvnn (as root, so capabilities are decoded)",
                       at: at(line: 1, column: 1))
            return nil
        }
        return HostDescription(format: "lspci", sourcePath: path, functions: functions)
    }

    private mutating func readLine(_ s: String, number: Int) {
        if s.isEmpty || s.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { return }
        let line = s.hasSuffix("\r") ? String(s.dropLast()) : s
        guard line.hasPrefix("\t") || line.hasPrefix(" ") else {
            // A warning pciutils prints among the devices (`pcilib: ...`) is not a device.
            if line.hasPrefix("pcilib:") || line.hasPrefix("lspci:") { return }
            readHeader(line, number: number)
            return
        }
        guard !functions.isEmpty else {
            sink.error(ImportCheck.syntax, "an indented line before any function header (lines of lspci -vvnn start with a function's address)",
                       at: at(line: number, column: 1))
            return
        }
        detailLines += 1
        let depth = line.prefix { $0 == "\t" }.count
        let body = line.drop { $0 == "\t" || $0 == " " }
        if depth <= 1 {
            readDetail(Substring(body), number: number)
        } else {
            readCapabilityDetail(Substring(body), number: number)
        }
    }

    // MARK: Header lines

    /// The parts of a header line.
    struct Header {
        var address: PCIAddress
        var className: String
        var classCode: UInt16
        var description: String
        var vendor: UInt16
        var device: UInt16
        var revision: UInt8?
        var progIf: UInt8?
    }

    private mutating func readHeader(_ line: String, number: Int) {
        guard let h = Self.header(line) else {
            let hint = Self.headerAddress(line) != nil && !line.contains("]:")
                ? ": no numeric class and IDs (run lspci with -nn)"
                : " (expected '[ssss:]bb:dd.f Class [cccc]: Device [vvvv:dddd]', as lspci -vvnn prints)"
            sink.error(ImportCheck.syntax, "cannot read this line as a PCI function header" + hint, at: at(line: number, column: 1, length: line.count))
            return
        }
        if let first = seen[h.address] {
            let note = functions[first].range.map { [DiagnosticNote("first described here", at: $0)] } ?? []
            sink.error(ImportCheck.conflict, "function \(h.address) is described twice", at: at(line: number, column: 1, length: 12), notes: note)
            return
        }
        var f = HostFunction(address: h.address, classCode: UInt32(h.classCode) << 8 | UInt32(h.progIf ?? 0),
                             vendor: h.vendor, device: h.device)
        f.className = h.className
        f.description = h.description
        f.revision = h.revision
        f.range = at(line: number, column: 1, length: line.count)
        // Until a capability line says otherwise: read, and no Express capability.
        f.portType = .conventional
        seen[h.address] = functions.count
        functions.append(f)
        capability = .other
    }

    /// The address at the start of a header line, and the rest of the line.
    static func headerAddress(_ line: String) -> (PCIAddress, Substring)? {
        guard let space = line.firstIndex(of: " ") else { return nil }
        let addr = line[..<space]
        let parts = addr.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3 else { return nil }
        var segment: UInt32 = 0
        if parts.count == 3 {
            // Four hex digits, or more for the domains Linux numbers above 0xffff (VMD).
            guard (1 ... 8).contains(parts[0].count), let s = UInt32(parts[0], radix: 16) else { return nil }
            segment = s
        }
        let busText = parts[parts.count - 2], df = parts[parts.count - 1].split(separator: ".", omittingEmptySubsequences: false)
        guard busText.count == 2, let bus = Int(busText, radix: 16), df.count == 2, df[0].count == 2, df[1].count == 1,
              let dev = Int(df[0], radix: 16), let fn = Int(df[1], radix: 16),
              let a = PCIAddress(segment: segment, bus: bus, device: dev, function: fn) else { return nil }
        return (a, line[line.index(after: space)...])
    }

    /// Parses a header line; nil when it is not one.
    static func header(_ line: String) -> Header? {
        guard let (address, rest) = headerAddress(line) else { return nil }
        // `Class name [cccc]: ` — the first `]: ` ends the class.
        guard let classEnd = rest.firstRange(of: "]: "), let open = rest[..<classEnd.lowerBound].lastIndex(of: "[") else { return nil }
        let classHex = rest[rest.index(after: open) ..< classEnd.lowerBound]
        guard classHex.count == 4, let classCode = UInt16(classHex, radix: 16) else { return nil }
        let className = rest[..<open].trimmingSpaces
        var tail = rest[classEnd.upperBound...]
        var progIf: UInt8?, revision: UInt8?
        if let r = tail.lastRange(of: " (prog-if ") {
            let hex = tail[r.upperBound...].prefix { $0.isHexDigit }
            guard hex.count == 2 else { return nil }
            progIf = UInt8(hex, radix: 16)
            tail = tail[..<r.lowerBound]
        }
        if let r = tail.lastRange(of: " (rev ") {
            let hex = tail[r.upperBound...].prefix { $0.isHexDigit }
            guard hex.count == 2 else { return nil }
            revision = UInt8(hex, radix: 16)
            tail = tail[..<r.lowerBound]
        }
        // The description ends with `[vvvv:dddd]`.
        guard tail.hasSuffix("]"), let idOpen = tail.lastIndex(of: "[") else { return nil }
        let ids = tail[tail.index(after: idOpen) ..< tail.index(before: tail.endIndex)].split(separator: ":")
        guard ids.count == 2, ids[0].count == 4, ids[1].count == 4,
              let vendor = UInt16(ids[0], radix: 16), let device = UInt16(ids[1], radix: 16) else { return nil }
        return Header(address: address, className: String(className), classCode: classCode,
                      description: String(tail.trimmingSpaces), vendor: vendor, device: device, revision: revision, progIf: progIf)
    }

    // MARK: Detail lines

    private mutating func readDetail(_ body: Substring, number: Int) {
        let i = functions.count - 1
        capability = .other
        if let v = body.after("IOMMU group: ") {
            guard let g = Int(v.trimmingSpaces), g >= 0 else { return bad("an IOMMU group number", number) }
            functions[i].observedGroup = g
        } else if let v = body.after("Kernel driver in use: ") {
            functions[i].driver = String(v.trimmingSpaces)
        } else if let v = body.after("Subsystem: ") {
            if let ids = Self.trailingIDs(v) { functions[i].subsystem = ids }
        } else if let v = body.after("Bus: ") {
            guard let b = Self.busNumbers(v) else { return bad("bridge bus numbers (primary=, secondary=, subordinate=)", number) }
            functions[i].buses = b
        } else if let v = body.after("Capabilities: ") {
            readCapability(v, number: number)
        }
    }

    private mutating func readCapability(_ v: Substring, number: Int) {
        let i = functions.count - 1
        if v.hasPrefix("<access denied>") {
            functions[i].capabilitiesRead = false
            functions[i].portType = nil
            return
        }
        guard v.hasPrefix("["), let close = v.firstIndex(of: "]") else { return bad("a capability ('[offset] name')", number) }
        let name = v[v.index(after: close)...].trimmingSpaces
        if let rest = name.after("Express") {
            // `Express (v2) Root Port (Slot+), MSI 00`; old pciutils print `Express Endpoint`.
            var t = rest.trimmingSpaces
            if t.hasPrefix("("), let e = t.firstIndex(of: ")") { t = t[t.index(after: e)...].trimmingSpaces }
            guard let type = Self.portType(t) else { return bad("the Express capability's port type", number) }
            functions[i].portType = type
        } else if name.hasPrefix("Access Control Services") {
            functions[i].acs = ACSCapability(capability: [], control: [])
            capability = .acs
        } else if name.hasPrefix("Alternative Routing-ID Interpretation") {
            functions[i].ari = true
        } else if name.hasPrefix("Single Root I/O Virtualization") {
            functions[i].sriov = SRIOVCapability(initialVFs: 0, totalVFs: 0, enabledVFs: 0, offset: 0, stride: 0, vfDevice: nil)
            capability = .sriov
        }
    }

    private mutating func readCapabilityDetail(_ body: Substring, number: Int) {
        let i = functions.count - 1
        switch capability {
        case .acs:
            if let v = body.after("ACSCap:") {
                guard let flags = Self.acsFlags(v) else { return bad("ACS flags", number) }
                functions[i].acs?.capability = flags
            } else if let v = body.after("ACSCtl:") {
                guard let flags = Self.acsFlags(v) else { return bad("ACS flags", number) }
                functions[i].acs?.control = flags
            }
        case .sriov:
            if body.hasPrefix("Initial VFs:") {
                let fields = Self.fields(body)
                guard let ini = fields["Initial VFs"], let total = fields["Total VFs"], let num = fields["Number of VFs"] else {
                    return bad("the SR-IOV VF counts", number)
                }
                functions[i].sriov?.initialVFs = ini
                functions[i].sriov?.totalVFs = total
                functions[i].sriov?.enabledVFs = num
            } else if body.hasPrefix("VF offset:") {
                let fields = Self.fields(body)
                guard let off = fields["VF offset"], let stride = fields["stride"] else { return bad("the SR-IOV VF offset and stride", number) }
                functions[i].sriov?.offset = off
                functions[i].sriov?.stride = stride
                if let r = body.firstRange(of: "Device ID: ") {
                    functions[i].sriov?.vfDevice = UInt16(body[r.upperBound...].prefix { $0.isHexDigit }, radix: 16)
                }
            }
        case .other:
            break
        }
    }

    private mutating func bad(_ what: String, _ number: Int) {
        sink.error(ImportCheck.syntax, "cannot read \(what) on this line", at: at(line: number, column: 1))
    }

    // MARK: Field parsers

    /// lspci's port type names (ls-caps.c `cap_express`).
    static func portType(_ t: Substring) -> PCIPortType? {
        let table: [(String, PCIPortType)] = [
            ("Root Complex Integrated Endpoint", .rcIntegratedEndpoint), ("Root Complex Event Collector", .rcEventCollector),
            ("Legacy Endpoint", .legacyEndpoint), ("Endpoint", .endpoint), ("Root Port", .rootPort),
            ("Upstream Port", .upstreamPort), ("Downstream Port", .downstreamPort),
            ("PCI-Express to PCI/PCI-X Bridge", .pcieToPCI), ("PCI/PCI-X to PCI-Express Bridge", .pciToPCIe),
        ]
        return table.first { t.hasPrefix($0.0) }?.1
    }

    /// `SrcValid+ TransBlk+ ReqRedir+ CmpltRedir+ UpstreamFwd- EgressCtrl- DirectTrans-`.
    static func acsFlags(_ v: Substring) -> ACSFlags? {
        let names: [(String, ACSFlags)] = [("SrcValid", .sv), ("TransBlk", .tb), ("ReqRedir", .rr), ("CmpltRedir", .cr),
                                           ("UpstreamFwd", .uf), ("EgressCtrl", .ec), ("DirectTrans", .dt)]
        var out: ACSFlags = []
        var found = 0
        for word in v.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
            guard let sign = word.last, sign == "+" || sign == "-" else { continue }
            guard let flag = names.first(where: { $0.0 == word.dropLast() })?.1 else { continue }
            found += 1
            if sign == "+" { out.insert(flag) }
        }
        return found == names.count ? out : nil
    }

    /// `primary=00, secondary=01, subordinate=01, sec-latency=0`.
    static func busNumbers(_ v: Substring) -> BridgeBuses? {
        var values: [String: UInt8] = [:]
        for part in v.split(separator: ",") {
            let kv = part.trimmingSpaces.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, kv[1].count == 2, let n = UInt8(kv[1], radix: 16) else { continue }
            values[String(kv[0])] = n
        }
        guard let p = values["primary"], let s = values["secondary"], let u = values["subordinate"] else { return nil }
        return BridgeBuses(primary: p, secondary: s, subordinate: u)
    }

    /// `Name: 64, Other: 2` as decimal numbers by name.
    static func fields(_ v: Substring) -> [String: Int] {
        var out: [String: Int] = [:]
        for part in v.split(separator: ",") {
            guard let colon = part.firstIndex(of: ":") else { continue }
            let key = part[..<colon].trimmingSpaces
            let digits = part[part.index(after: colon)...].trimmingSpaces.prefix { $0.isNumber }
            if !digits.isEmpty, digits.count <= 9, let n = Int(digits) { out[String(key)] = n }
        }
        return out
    }

    /// The `[vvvv:dddd]` that ends a line.
    static func trailingIDs(_ v: Substring) -> (vendor: UInt16, device: UInt16)? {
        let t = v.trimmingSpaces
        guard t.hasSuffix("]"), let open = t.lastIndex(of: "[") else { return nil }
        let ids = t[t.index(after: open) ..< t.index(before: t.endIndex)].split(separator: ":")
        guard ids.count == 2, ids[0].count == 4, ids[1].count == 4, let a = UInt16(ids[0], radix: 16), let b = UInt16(ids[1], radix: 16) else { return nil }
        return (a, b)
    }

    // MARK: Positions

    private func at(line: Int, column: Int, length: Int = 0) -> SourceRange {
        let l = UInt32(clamping: line), c = UInt32(clamping: column)
        return SourceRange(file: file, start: SourcePosition(line: l, column: c), end: SourcePosition(line: l, column: c &+ UInt32(clamping: length)))
    }

    /// The offset of the first byte that is not text: a NUL, another C0 control other than
    /// tab, CR and LF, or a byte that breaks UTF-8.
    func firstBinaryByte(_ bytes: [UInt8]) -> Int? {
        if let i = bytes.firstIndex(where: { $0 < 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }) { return i }
        return Self.firstInvalidUTF8(bytes)
    }

    /// The offset of the first byte that does not begin or continue a well-formed UTF-8
    /// sequence (Unicode 15, table 3-7), or nil.
    static func firstInvalidUTF8(_ b: [UInt8]) -> Int? {
        var i = 0
        while i < b.count {
            let c = b[i]
            let n: Int
            var lo: UInt8 = 0x80, hi: UInt8 = 0xBF
            switch c {
            case 0x00 ... 0x7F: i += 1; continue
            case 0xC2 ... 0xDF: n = 1
            case 0xE0: n = 2; lo = 0xA0
            case 0xE1 ... 0xEC, 0xEE ... 0xEF: n = 2
            case 0xED: n = 2; hi = 0x9F
            case 0xF0: n = 3; lo = 0x90
            case 0xF1 ... 0xF3: n = 3
            case 0xF4: n = 3; hi = 0x8F
            default: return i
            }
            for k in 1 ... n {
                guard i + k < b.count else { return i }
                let x = b[i + k]
                if k == 1 ? !(lo ... hi).contains(x) : !(0x80 ... 0xBF).contains(x) { return i }
            }
            i += n + 1
        }
        return nil
    }

    func lineOf(byte offset: Int, in bytes: [UInt8]) -> Int {
        Int(LineBreaks.position(ofByte: offset, in: bytes).line)
    }
}

/// The lines of a byte buffer, numbered from 1, split where the renderer of diagnostics
/// splits them (`LineBreaks`: LF, CR LF, a lone CR, NEL, LS, PS), so that the line a
/// diagnostic names is the line shown under it. lspci ends lines with LF; a file that went
/// through Windows has CR LF, and the CR is not part of the line.
struct Lines: Sequence {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    struct Iterator: IteratorProtocol {
        let bytes: [UInt8]
        var start = 0
        var number = 0

        mutating func next() -> (text: ArraySlice<UInt8>, number: Int)? {
            guard start < bytes.count else { return nil }
            var end = start
            var breakLength = 0
            while end < bytes.count {
                if let n = LineBreaks.breakLength(bytes, at: end) { breakLength = n; break }
                end += 1
            }
            defer { start = end + breakLength }
            number += 1
            return (bytes[start ..< end], number)
        }
    }

    func makeIterator() -> Iterator { Iterator(bytes: bytes) }
}

extension Substring {
    /// The text after `prefix`, when it starts with it.
    func after(_ prefix: String) -> Substring? { hasPrefix(prefix) ? dropFirst(prefix.count) : nil }

    /// The last occurrence of `needle`.
    func lastRange(of needle: String) -> Range<Index>? {
        var found: Range<Index>?
        var from = startIndex
        while from < endIndex, let r = self[from...].firstRange(of: needle) {
            found = r
            from = index(after: r.lowerBound)
        }
        return found
    }

    /// Without leading and trailing spaces and tabs.
    var trimmingSpaces: Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}
