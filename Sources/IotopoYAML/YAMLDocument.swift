import IotopoSource

/// Index of a node in a `YAMLDocument`.
public struct YAMLNodeID: Hashable, Sendable {
    /// Index into the document's node table.
    public let raw: Int32
    @inlinable init(_ raw: Int32) { self.raw = raw }
}

/// The three kinds of YAML node (aliases are resolved to the node they name).
public enum YAMLKind: UInt8, Sendable {
    case scalar, sequence, mapping
}

/// How a scalar was written; the language types scalars itself, but a quoted `"null"` is a
/// string, never a null.
public enum ScalarStyle: UInt8, Sendable {
    case plain, singleQuoted, doubleQuoted, literal, folded, none
}

/// One node record. Scalars keep `(offset, length)` into the byte arena; collections keep
/// `(first, count)` into the children table (mappings store key, value pairs).
@usableFromInline
struct NodeRecord: Sendable {
    @usableFromInline var kind: YAMLKind
    @usableFromInline var style: ScalarStyle
    @usableFromInline var startLine: UInt32
    @usableFromInline var startColumn: UInt32
    @usableFromInline var endLine: UInt32
    @usableFromInline var endColumn: UInt32
    @usableFromInline var first: UInt32
    @usableFromInline var count: UInt32
}

/// A parsed YAML file: a located node tree in flat arrays.
///
/// Every node, mapping keys included, keeps its start and end line:column (1-based). Aliases
/// share the node they name, so an alias costs one index, never a copy. Scalars are stored as
/// bytes with their length: a scalar may hold NUL, and nothing here reads it as a C string.
public struct YAMLDocument: Sendable {
    /// The file the document came from.
    public let file: FileID
    @usableFromInline var nodes: [NodeRecord]
    @usableFromInline var children: [UInt32]
    @usableFromInline var arena: [UInt8]
    /// The root node, nil for an empty file.
    public let root: YAMLNodeID?

    init(file: FileID, nodes: [NodeRecord], children: [UInt32], arena: [UInt8], root: YAMLNodeID?) {
        self.file = file
        self.nodes = nodes
        self.children = children
        self.arena = arena
        self.root = root
    }

    /// The same document attributed to another file ID (for a file first parsed on its own,
    /// then placed in a larger file table).
    public func withFile(_ id: FileID) -> YAMLDocument {
        YAMLDocument(file: id, nodes: nodes, children: children, arena: arena, root: root)
    }

    /// Number of distinct nodes stored.
    public var nodeCount: Int { nodes.count }

    /// The node's kind.
    @inlinable public func kind(_ n: YAMLNodeID) -> YAMLKind { nodes[Int(n.raw)].kind }

    /// A scalar's style (`.none` for collections).
    @inlinable public func style(_ n: YAMLNodeID) -> ScalarStyle { nodes[Int(n.raw)].style }

    /// The node's source range.
    @inlinable public func range(_ n: YAMLNodeID) -> SourceRange {
        let r = nodes[Int(n.raw)]
        return SourceRange(file: file,
                           start: SourcePosition(line: r.startLine, column: r.startColumn),
                           end: SourcePosition(line: r.endLine, column: r.endColumn))
    }

    /// Number of elements of a sequence, or of key/value pairs of a mapping; 0 for a scalar.
    @inlinable public func count(_ n: YAMLNodeID) -> Int {
        let r = nodes[Int(n.raw)]
        return r.kind == .scalar ? 0 : Int(r.count)
    }

    /// The `i`th element of a sequence.
    @inlinable public func element(_ n: YAMLNodeID, _ i: Int) -> YAMLNodeID {
        YAMLNodeID(Int32(children[Int(nodes[Int(n.raw)].first) + i]))
    }

    /// The key of the `i`th pair of a mapping.
    @inlinable public func key(_ n: YAMLNodeID, _ i: Int) -> YAMLNodeID {
        YAMLNodeID(Int32(children[Int(nodes[Int(n.raw)].first) + 2 * i]))
    }

    /// The value of the `i`th pair of a mapping.
    @inlinable public func value(_ n: YAMLNodeID, _ i: Int) -> YAMLNodeID {
        YAMLNodeID(Int32(children[Int(nodes[Int(n.raw)].first) + 2 * i + 1]))
    }

    /// Calls `body` with a scalar's bytes (empty for collections).
    @inlinable
    public func withScalarBytes<R>(_ n: YAMLNodeID, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let r = nodes[Int(n.raw)]
        if r.kind != .scalar { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
        return try arena.withUnsafeBufferPointer { buf in
            try body(UnsafeBufferPointer(rebasing: buf[Int(r.first) ..< Int(r.first) + Int(r.count)]))
        }
    }

    /// A scalar's bytes as a new array.
    public func scalarBytes(_ n: YAMLNodeID) -> [UInt8] {
        withScalarBytes(n) { Array($0) }
    }

    /// A scalar's text. Invalid UTF-8 cannot occur (libyaml validates its input), and NUL
    /// stays a NUL character rather than ending the string.
    public func string(_ n: YAMLNodeID) -> String {
        withScalarBytes(n) { String(decoding: $0, as: UTF8.self) }
    }

    /// Whether a scalar's bytes equal `text`.
    @inlinable public func scalarEquals(_ n: YAMLNodeID, _ text: StaticString) -> Bool {
        let r = nodes[Int(n.raw)]
        guard r.kind == .scalar, Int(r.count) == text.utf8CodeUnitCount else { return false }
        return arena.withUnsafeBufferPointer { buf in
            let p = text.utf8Start
            var i = 0
            let base = Int(r.first)
            while i < Int(r.count) {
                if buf[base + i] != p[i] { return false }
                i += 1
            }
            return true
        }
    }

    /// Whether two scalars have the same bytes.
    public func scalarsEqual(_ a: YAMLNodeID, _ b: YAMLNodeID) -> Bool {
        let ra = nodes[Int(a.raw)], rb = nodes[Int(b.raw)]
        guard ra.kind == .scalar, rb.kind == .scalar, ra.count == rb.count else { return false }
        return arena.withUnsafeBufferPointer { buf in
            buf[Int(ra.first) ..< Int(ra.first + ra.count)].elementsEqual(buf[Int(rb.first) ..< Int(rb.first + rb.count)])
        }
    }

    /// Whether the node is a null: a plain scalar that is empty, `~` or `null`.
    @inlinable public func isNull(_ n: YAMLNodeID) -> Bool {
        let r = nodes[Int(n.raw)]
        guard r.kind == .scalar, r.style == .plain else { return false }
        return r.count == 0 || scalarEquals(n, "~") || scalarEquals(n, "null")
    }
}
