/// A JSON value with ordered object keys, so output order is whatever the writer chose and
/// never hash order.
public indirect enum JSON: Hashable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    public static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    public func hash(into h: inout Hasher) {
        switch self {
        case .null: h.combine(0)
        case let .bool(b): h.combine(b)
        case let .int(i): h.combine(i)
        case let .string(s): h.combine(s)
        case let .array(a): h.combine(a)
        case let .object(o): for (k, v) in o { h.combine(k); h.combine(v) }
        }
    }

    /// Convenience for unsigned values that fit in 63 bits.
    public static func uint<T: BinaryInteger>(_ v: T) -> JSON { .int(Int64(clamping: v)) }

    /// Serializes: `indent` 0 gives one line; otherwise pretty, with that many spaces a level.
    /// Values nested `inlineFrom` levels deep or more are written on one line, so a table of
    /// entities reads (and diffs) one entity per line.
    public func serialized(indent: Int = 2, inlineFrom: Int = .max) -> String {
        var out = ""
        out.reserveCapacity(256)
        write(&out, indent: indent, level: 0, inlineFrom: inlineFrom)
        return out
    }

    private func write(_ out: inout String, indent: Int, level: Int, inlineFrom: Int) {
        let inline = level >= inlineFrom
        let indent = inline ? 0 : indent
        let comma = inline ? ", " : ","
        switch self {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .int(i): out += String(i)
        case let .string(s): JSON.escape(s, into: &out)
        case let .array(items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (i, v) in items.enumerated() {
                if i > 0 { out += comma }
                newline(&out, indent: indent, level: level + 1)
                v.write(&out, indent: indent, level: level + 1, inlineFrom: inlineFrom)
            }
            newline(&out, indent: indent, level: level)
            out += "]"
        case let .object(pairs):
            if pairs.isEmpty { out += "{}"; return }
            out += "{"
            for (i, (k, v)) in pairs.enumerated() {
                if i > 0 { out += comma }
                newline(&out, indent: indent, level: level + 1)
                JSON.escape(k, into: &out)
                out += indent > 0 || inline ? ": " : ":"
                v.write(&out, indent: indent, level: level + 1, inlineFrom: inlineFrom)
            }
            newline(&out, indent: indent, level: level)
            out += "}"
        }
    }

    private func newline(_ out: inout String, indent: Int, level: Int) {
        guard indent > 0 else { return }
        out += "\n"
        out += String(repeating: " ", count: indent * level)
    }

    /// Appends `s` as a JSON string literal; control characters become `\u00XX`, and so
    /// does every other character `TerminalText` shows escaped (C1, bidi controls, U+2028
    /// and U+2029, as `\u009b`, `\u202e`): the string a program decodes is the same, and
    /// a person reading the JSON in a terminal or a CI log sees them instead of having the
    /// text reordered or a sequence run (docs/security.md). U+2028 and U+2029 also end a
    /// line in JavaScript before ES2019.
    public static func escape(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 || TerminalText.isHidden(u) {
                    let h = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }
}
