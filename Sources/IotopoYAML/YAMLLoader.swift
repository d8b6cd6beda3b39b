import IotopoSource

/// Builds a `YAMLDocument` from bytes with libyaml's event parser, enforcing `YAMLLimits`.
///
/// Strict by design: one document per file, no duplicate keys, only the core schema's tags,
/// only UTF-8, bounded nesting and bounded alias expansion. Merge keys (`<<`) are supported
/// (YAML 1.1 merge semantics: keys written in the mapping win, then earlier merged mappings).
/// Every problem becomes a located diagnostic; the function never traps on input.
public enum YAMLLoader {
    /// Parses `bytes` (the contents of `file`). Returns nil when the file cannot be used;
    /// the reasons are in `sink`.
    public static func parse(_ bytes: [UInt8], file: FileID, limits: YAMLLimits = .default,
                             sink: inout DiagnosticSink) -> YAMLDocument? {
        if bytes.count > limits.maxFileSize {
            sink.error(YAMLCheck.limit,
                       "file is \(bytes.count) bytes, over the limit of \(limits.maxFileSize) bytes (raise it with --max-file-size)",
                       at: .fileStart(file))
            return nil
        }
        if let problem = encodingProblem(bytes) {
            sink.error(YAMLCheck.encoding, problem, at: .fileStart(file))
            return nil
        }
        // A UTF-8 byte-order mark is allowed (YAML 1.2, 5.2) and is no content. libyaml,
        // with its encoding forced to UTF-8, would count it as a column of line 1 and then
        // misread the indentation ("did not find expected <document start>"), so it is
        // skipped here; it is zero-width, so columns still match the line as shown.
        let bom = bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0
        return bytes.withUnsafeBufferPointer { whole in
            var builder = TreeBuilder(file: file, limits: limits, input: UnsafeBufferPointer(rebasing: whole[bom...]))
            return builder.run(sink: &sink)
        }
    }

    /// Detects UTF-16 and UTF-32 input up front: libyaml, told to read UTF-8, would report a
    /// confusing byte error instead.
    static func encodingProblem(_ b: [UInt8]) -> String? {
        if b.count >= 4, (b[0] == 0 && b[1] == 0 && b[2] == 0xFE && b[3] == 0xFF)
            || (b[0] == 0xFF && b[1] == 0xFE && b[2] == 0 && b[3] == 0) {
            return "file is UTF-32; iotopo reads UTF-8 only (convert it, e.g. with iconv -t UTF-8)"
        }
        if b.count >= 2, (b[0] == 0xFE && b[1] == 0xFF) || (b[0] == 0xFF && b[1] == 0xFE) {
            return "file is UTF-16 (it starts with a byte-order mark); iotopo reads UTF-8 only (convert it, e.g. with iconv -t UTF-8)"
        }
        if b.count >= 2, b[0] == 0 || b[1] == 0 {
            return "file looks like UTF-16 or binary (NUL among its first bytes); iotopo reads UTF-8 only"
        }
        return nil
    }
}

/// One open collection while events stream in.
private struct Frame {
    var kind: YAMLKind
    var node: Int
    var pendingStart: Int
    var anchor: [UInt8]?
    var expanded: Int
}

/// The event-to-tree state machine behind `YAMLLoader.parse`.
private struct TreeBuilder {
    let file: FileID
    let limits: YAMLLimits
    let input: UnsafeBufferPointer<UInt8>
    var nodes: [NodeRecord] = []
    var children: [UInt32] = []
    var arena: [UInt8] = []
    var pending: [UInt32] = []
    var frames: [Frame] = []
    var anchors: [[UInt8]: (node: UInt32, expanded: Int)] = [:]
    var aliasNodes = 0
    var root: YAMLNodeID?
    var documents = 0

    init(file: FileID, limits: YAMLLimits, input: UnsafeBufferPointer<UInt8>) {
        self.file = file
        self.limits = limits
        self.input = input
        parserEnd = EndOfInput(position: LineBreaks.position(ofByte: input.count, in: input))
        // Typical topologies hold one node per 7-9 bytes and half their bytes in scalars;
        // reserving up front avoids repeated growth (and its page faults) on large files.
        nodes.reserveCapacity(max(16, input.count / 7))
        children.reserveCapacity(max(16, input.count / 7))
        arena.reserveCapacity(input.count / 2)
    }

    /// Where the input ends: libyaml's marks at the end of a stream that does not end with a
    /// line break fall on the line after the last one; they are moved back to the end of
    /// the last line, so every range lies inside the file.
    let parserEnd: EndOfInput

    mutating func run(sink: inout DiagnosticSink) -> YAMLDocument? {
        let parser = LibYAMLParser(input: input, end: parserEnd)
        while true {
            guard let kind = parser.next() else {
                reportSyntax(parser.lastError, sink: &sink)
                return nil
            }
            switch kind {
            case .streamStart, .none:
                continue
            case .streamEnd:
                return YAMLDocument(file: file, nodes: nodes, children: children, arena: arena, root: root)
            case .documentStart:
                documents += 1
                if documents > 1 {
                    sink.error(YAMLCheck.multipleDocuments,
                               "a topology file holds one YAML document; this is a second one",
                               at: range(parser.start, parser.end))
                    return nil
                }
            case .documentEnd:
                continue
            case .scalar:
                guard checkTag(parser, sink: &sink) else { return nil }
                guard addScalar(parser, sink: &sink) else { return nil }
            case .alias:
                guard addAlias(parser, sink: &sink) else { return nil }
            case .sequenceStart, .mappingStart:
                guard checkTag(parser, sink: &sink) else { return nil }
                guard open(kind == .mappingStart ? .mapping : .sequence, parser, sink: &sink) else { return nil }
            case .sequenceEnd, .mappingEnd:
                guard close(parser, sink: &sink) else { return nil }
            }
        }
    }

    func range(_ a: SourcePosition, _ b: SourcePosition) -> SourceRange {
        SourceRange(file: file, start: a, end: b)
    }

    static let coreTags = ["str", "int", "bool", "null", "float", "map", "seq"].map { Array("tag:yaml.org,2002:\($0)".utf8) }

    /// Only the YAML core schema's tags are accepted; they carry no meaning here because the
    /// topology language types every scalar itself.
    mutating func checkTag(_ p: LibYAMLParser, sink: inout DiagnosticSink) -> Bool {
        guard let tag = p.tag else { return true }
        if Self.coreTags.contains(tag) { return true }
        let shown = String(decoding: tag, as: UTF8.self)
        sink.error(YAMLCheck.tag, "tag '\(shown)' is not supported; only the YAML core tags (!!str, !!int, !!bool, !!null, !!float, !!map, !!seq) are accepted",
                   at: range(p.start, p.end))
        return false
    }

    /// Appends a node ID to the currently open collection (or makes it the root).
    mutating func attach(_ id: UInt32, expanded: Int) {
        if frames.isEmpty {
            if root == nil { root = YAMLNodeID(Int32(id)) }
        } else {
            pending.append(id)
            frames[frames.count - 1].expanded &+= expanded
        }
    }

    mutating func newNode(_ r: NodeRecord, sink: inout DiagnosticSink, at start: SourcePosition) -> UInt32? {
        if nodes.count >= limits.maxNodes {
            sink.error(YAMLCheck.limit, "file holds more than \(limits.maxNodes) YAML nodes", at: range(start, start))
            return nil
        }
        nodes.append(r)
        return UInt32(nodes.count - 1)
    }

    mutating func addScalar(_ p: LibYAMLParser, sink: inout DiagnosticSink) -> Bool {
        let value = p.scalarValue
        let s = p.start, e = p.end
        let offset = UInt32(truncatingIfNeeded: arena.count)
        arena.append(contentsOf: value)
        let rec = NodeRecord(kind: .scalar, style: p.scalarStyle, startLine: s.line, startColumn: s.column,
                             endLine: e.line, endColumn: e.column, first: offset,
                             count: UInt32(truncatingIfNeeded: value.count))
        guard let id = newNode(rec, sink: &sink, at: s) else { return false }
        if let a = p.anchor { anchors[a] = (id, 1) }
        attach(id, expanded: 1)
        return true
    }

    mutating func addAlias(_ p: LibYAMLParser, sink: inout DiagnosticSink) -> Bool {
        let name = p.anchor ?? []
        guard let target = anchors[name] else {
            let shown = String(decoding: name, as: UTF8.self)
            let inside = frames.contains { $0.anchor == name }
            sink.error(YAMLCheck.unknownAnchor,
                       inside ? "alias '*\(shown)' refers to the node that contains it (a recursive alias)"
                              : "alias '*\(shown)' names no anchor defined before it",
                       at: range(p.start, p.end))
            return false
        }
        // go-yaml's rule since CVE-2019-11253: count the nodes aliases would produce if
        // expanded, and refuse the file past a fixed budget. Sharing keeps memory flat; the
        // budget keeps every consumer's walk over the tree bounded too.
        aliasNodes = aliasNodes > limits.maxAliasNodes ? aliasNodes : aliasNodes &+ target.expanded
        if aliasNodes > limits.maxAliasNodes || target.expanded > limits.maxAliasNodes {
            let shown = String(decoding: name, as: UTF8.self)
            sink.error(YAMLCheck.limit,
                       "aliases in this file would expand to more than \(limits.maxAliasNodes) nodes (alias '*\(shown)' alone stands for \(target.expanded)); refusing a possible alias bomb",
                       at: range(p.start, p.end))
            return false
        }
        attach(target.node, expanded: target.expanded)
        return true
    }

    mutating func open(_ kind: YAMLKind, _ p: LibYAMLParser, sink: inout DiagnosticSink) -> Bool {
        let s = p.start
        if frames.count >= limits.maxDepth {
            sink.error(YAMLCheck.limit, "nesting deeper than \(limits.maxDepth) levels", at: range(s, p.end))
            return false
        }
        let rec = NodeRecord(kind: kind, style: .none, startLine: s.line, startColumn: s.column,
                             endLine: s.line, endColumn: s.column, first: 0, count: 0)
        guard let id = newNode(rec, sink: &sink, at: s) else { return false }
        let anchor = p.anchor
        attach(id, expanded: 0)
        frames.append(Frame(kind: kind, node: Int(id), pendingStart: pending.count, anchor: anchor, expanded: 1))
        return true
    }

    mutating func close(_ p: LibYAMLParser, sink: inout DiagnosticSink) -> Bool {
        guard let frame = frames.popLast() else { return true }
        let e = p.end
        let first = UInt32(truncatingIfNeeded: children.count)
        var count = pending.count - frame.pendingStart
        if frame.kind == .mapping && hasMergeKey(from: frame.pendingStart) {
            // Merge keys are rare: only then build the merged pair list separately.
            guard let merged = finishMapping(Array(pending[frame.pendingStart...]), sink: &sink) else { return false }
            children.append(contentsOf: merged)
            count = merged.count
        } else if frame.kind == .mapping, let dups = duplicatePairs(pending[frame.pendingStart...], sink: &sink) {
            // Keep the first of duplicate keys, so later stages do not report the second again.
            var kept: [UInt32] = []
            var i = frame.pendingStart
            while i + 1 < pending.count {
                if !dups.contains(i - frame.pendingStart) { kept.append(pending[i]); kept.append(pending[i + 1]) }
                i += 2
            }
            children.append(contentsOf: kept)
            count = kept.count
        } else {
            children.append(contentsOf: pending[frame.pendingStart...])
        }
        pending.removeSubrange(frame.pendingStart...)
        nodes[frame.node].first = first
        nodes[frame.node].count = UInt32(truncatingIfNeeded: frame.kind == .mapping ? count / 2 : count)
        nodes[frame.node].endLine = e.line
        nodes[frame.node].endColumn = e.column
        if let a = frame.anchor { anchors[a] = (UInt32(frame.node), frame.expanded) }
        if !frames.isEmpty { frames[frames.count - 1].expanded &+= frame.expanded }
        return true
    }

    func hasMergeKey(from start: Int) -> Bool {
        var i = start
        while i + 1 < pending.count {
            if isMergeKey(pending[i]) { return true }
            i += 2
        }
        return false
    }

    /// Rejects duplicate keys (with a note at the first) and applies merge keys.
    mutating func finishMapping(_ items: [UInt32], sink: inout DiagnosticSink) -> [UInt32]? {
        var explicit: [UInt32] = []
        explicit.reserveCapacity(items.count)
        var merges: [(key: UInt32, value: UInt32)] = []
        var i = 0
        while i + 1 < items.count {
            let k = items[i], v = items[i + 1]
            if isMergeKey(k) { merges.append((k, v)) } else { explicit.append(k); explicit.append(v) }
            i += 2
        }
        explicit = withoutDuplicates(explicit[...], sink: &sink)
        if merges.isEmpty { return explicit }
        // `<<` is a key like any other: two in one mapping are a duplicate key (YAML 1.1's
        // merge type takes one value, a mapping or a list of mappings). The first is kept.
        if merges.count > 1 {
            for extra in merges.dropFirst() {
                sink.error(YAMLCheck.duplicateKey, "duplicate key '<<' (merge several mappings with one key: '<<: [*a, *b]')",
                           at: docRange(extra.key), notes: [DiagnosticNote("first given here", at: docRange(merges[0].key))])
            }
            merges = [merges[0]]
        }
        var result = explicit
        for (mergeKey, m) in merges {
            var sources: [UInt32] = []
            let rec = nodes[Int(m)]
            if rec.kind == .mapping {
                sources = [m]
            } else if rec.kind == .sequence {
                for j in 0 ..< Int(rec.count) {
                    let s = children[Int(rec.first) + j]
                    sources.append(s)
                }
            }
            if sources.isEmpty || sources.contains(where: { nodes[Int($0)].kind != .mapping }) {
                // Point at the '<<' written here; the value may be an alias defined far away.
                let valueRange = docRange(m)
                let keyRange = docRange(mergeKey)
                let notes = valueRange.start.line == keyRange.start.line ? [] : [DiagnosticNote("the merged value is defined here", at: valueRange)]
                sink.error(YAMLCheck.badMerge, "the value of a merge key '<<' must be a mapping or a list of mappings",
                           at: keyRange, notes: notes)
                return nil
            }
            for s in sources {
                let sr = nodes[Int(s)]
                for j in 0 ..< Int(sr.count) {
                    let k = children[Int(sr.first) + 2 * j], v = children[Int(sr.first) + 2 * j + 1]
                    if !containsKey(result, k) { result.append(k); result.append(v) }
                }
            }
        }
        return result
    }

    func isMergeKey(_ k: UInt32) -> Bool {
        let r = nodes[Int(k)]
        return r.kind == .scalar && r.style == .plain && r.count == 2
            && arena[Int(r.first)] == UInt8(ascii: "<") && arena[Int(r.first) + 1] == UInt8(ascii: "<")
    }

    func docRange(_ n: UInt32) -> SourceRange {
        let r = nodes[Int(n)]
        return SourceRange(file: file, start: SourcePosition(line: r.startLine, column: r.startColumn),
                           end: SourcePosition(line: r.endLine, column: r.endColumn))
    }

    func sameScalar(_ a: UInt32, _ b: UInt32) -> Bool {
        let ra = nodes[Int(a)], rb = nodes[Int(b)]
        guard ra.kind == .scalar, rb.kind == .scalar, ra.count == rb.count else { return false }
        return arena[Int(ra.first) ..< Int(ra.first + ra.count)] == arena[Int(rb.first) ..< Int(rb.first + rb.count)]
    }

    func containsKey(_ pairs: [UInt32], _ k: UInt32) -> Bool {
        var i = 0
        while i < pairs.count {
            if sameScalar(pairs[i], k) { return true }
            i += 2
        }
        return false
    }

    /// Small mappings compare keys pairwise; large ones sort key indices by their bytes.
    /// Reports duplicate keys; returns the offsets (within `pairs`) of the pairs to drop, or
    /// nil when there are none.
    func duplicatePairs(_ pairs: ArraySlice<UInt32>, sink: inout DiagnosticSink) -> Set<Int>? {
        let n = pairs.count / 2
        if n < 2 { return nil }
        let base = pairs.startIndex
        var drop = Set<Int>()
        if n <= 16 {
            for a in 1 ..< n {
                for b in 0 ..< a where sameScalar(pairs[base + 2 * b], pairs[base + 2 * a]) {
                    reportDuplicate(first: pairs[base + 2 * b], second: pairs[base + 2 * a], sink: &sink)
                    drop.insert(2 * a)
                    break
                }
            }
            return drop.isEmpty ? nil : drop
        }
        // Sort pair offsets by key bytes, then by position, so the first written wins.
        let offsets = (0 ..< n).map { 2 * $0 }.filter { nodes[Int(pairs[base + $0])].kind == .scalar }
        let sorted = offsets.sorted { a, b in
            let ra = nodes[Int(pairs[base + a])], rb = nodes[Int(pairs[base + b])]
            let sa = arena[Int(ra.first) ..< Int(ra.first + ra.count)], sb = arena[Int(rb.first) ..< Int(rb.first + rb.count)]
            if sa != sb { return sa.lexicographicallyPrecedes(sb) }
            return a < b
        }
        var first = 0
        for i in 1 ..< max(1, sorted.count) {
            if sameScalar(pairs[base + sorted[first]], pairs[base + sorted[i]]) {
                reportDuplicate(first: pairs[base + sorted[first]], second: pairs[base + sorted[i]], sink: &sink)
                drop.insert(sorted[i])
            } else {
                first = i
            }
        }
        return drop.isEmpty ? nil : drop
    }

    /// `pairs` without the duplicates `duplicatePairs` reports.
    func withoutDuplicates(_ pairs: ArraySlice<UInt32>, sink: inout DiagnosticSink) -> [UInt32] {
        guard let drop = duplicatePairs(pairs, sink: &sink) else { return Array(pairs) }
        var out: [UInt32] = []
        var i = 0
        while i + 1 < pairs.count {
            if !drop.contains(i) { out.append(pairs[pairs.startIndex + i]); out.append(pairs[pairs.startIndex + i + 1]) }
            i += 2
        }
        return out
    }

    func reportDuplicate(first: UInt32, second: UInt32, sink: inout DiagnosticSink) {
        let r = nodes[Int(second)]
        let name = String(decoding: arena[Int(r.first) ..< Int(r.first + r.count)], as: UTF8.self)
        sink.error(YAMLCheck.duplicateKey, "duplicate key '\(name)'", at: docRange(second),
                   notes: [DiagnosticNote("first given here", at: docRange(first))])
    }

    /// Turns libyaml's error into a diagnostic; a reader error gives a byte offset, which is
    /// converted to line:column here.
    func reportSyntax(_ e: LibYAMLParser.ParseError, sink: inout DiagnosticSink) {
        var start: SourcePosition
        if let off = e.byteOffset {
            start = position(ofByte: off)
        } else {
            start = parserEnd.clamp(SourcePosition(line: UInt32(truncatingIfNeeded: e.line + 1), column: UInt32(truncatingIfNeeded: e.column + 1)))
        }
        var notes: [DiagnosticNote] = []
        if let c = e.context, e.byteOffset == nil {
            let at = parserEnd.clamp(SourcePosition(line: UInt32(truncatingIfNeeded: e.contextLine + 1), column: UInt32(truncatingIfNeeded: e.contextColumn + 1)))
            notes.append(DiagnosticNote(c, at: range(at, SourcePosition(line: at.line, column: at.column + 1))))
        }
        if e.byteOffset != nil, e.message.contains("UTF-8"), let bad = firstInvalidUTF8() {
            // libyaml reports where it noticed; point at the offending byte and say what it is.
            let p = position(ofByte: bad)
            sink.error(YAMLCheck.encoding,
                       "byte 0x\(String(input[bad], radix: 16)) is not valid UTF-8; iotopo reads UTF-8 only (a Latin-1 or Windows-1252 file converts with iconv -f latin1 -t utf-8)",
                       at: range(p, SourcePosition(line: p.line, column: p.column + 1)))
            return
        }
        let id = e.message.contains("UTF-8") || e.message.contains("control characters") ? YAMLCheck.encoding : YAMLCheck.syntax
        var message = e.message
        if e.byteOffset != nil, e.message.contains("control characters") {
            message = "control characters are not allowed in YAML text (only tab, line feed and carriage return)"
        }
        sink.error(id, message, at: range(start, SourcePosition(line: start.line, column: start.column + 1)), notes: notes)
    }

    /// Offset of the first byte that does not belong to a valid UTF-8 sequence.
    func firstInvalidUTF8() -> Int? {
        var i = 0
        let n = input.count
        while i < n {
            let b = input[i]
            let len: Int
            switch b {
            case 0x00 ... 0x7F: i += 1; continue
            case 0xC2 ... 0xDF: len = 2
            case 0xE0 ... 0xEF: len = 3
            case 0xF0 ... 0xF4: len = 4
            default: return i
            }
            if i + len > n { return i }
            for k in 1 ..< len where input[i + k] & 0xC0 != 0x80 { return i }
            i += len
        }
        return nil
    }

    /// Line and column (in characters) of a byte offset in the input.
    func position(ofByte offset: Int) -> SourcePosition {
        LineBreaks.position(ofByte: offset, in: input)
    }
}

/// The position just past a file's last byte, and the clamp that keeps positions at or
/// before it.
struct EndOfInput {
    var position: SourcePosition

    func clamp(_ p: SourcePosition) -> SourcePosition {
        p.line > position.line || p.line == position.line && p.column > position.column ? position : p
    }
}
