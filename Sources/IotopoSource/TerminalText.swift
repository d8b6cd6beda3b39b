/// Text from a repository (a file name, a device's `kind`, a malformed number) made safe to
/// show on a terminal, in a CI log or in an annotation: the characters that act instead of
/// showing are shown as visible escapes.
///
/// The rule, the one every text sink of iotopo applies (docs/security.md, "Output a
/// repository cannot forge"):
/// - C0 controls (U+0000 to U+001F) except tab, and DEL (U+007F), in caret notation as
///   `cat -v` and git show them: ESC is `^[`, CR `^M`, LF `^J`, NUL `^@`, DEL `^?`. A line
///   feed is kept only where the caller says the text is several lines iotopo itself laid
///   out (`keepingNewlines`); a CR never is, since a terminal returns to the start of the
///   line at it and GitHub's runner ends a line at it.
/// - C1 controls (U+0080 to U+009F: U+009B is CSI, U+009D OSC, U+0085 NEL), the bidi
///   controls (U+202A to U+202E, U+2066 to U+2069, U+200E, U+200F, U+061C) and the line and
///   paragraph separators (U+2028, U+2029) as `<U+XXXX>`, four hex digits or more.
/// - Tab stays a tab: it only moves the cursor forward, and source snippets keep it so the
///   caret under them lines up (`DiagnosticTextRenderer`).
/// - `##[` is shown as `#<U+0023>[`: GitHub's runner still reads its legacy command form
///   (`##[stop-commands]`, `##[add-mask]`, `##[warning]`) anywhere in a line, not only at
///   its start (actions/runner, `ActionCommand.TryParse`, which looks for the prefix with
///   `IndexOf`).
///
/// Why: ESC and the C1 controls start terminal sequences (colour, cursor moves, the window
/// title by OSC, and in some terminals clipboard writes and hyperlinks), so a file name or
/// a value could repaint or hide what a reviewer reads. A newline or a CR in a file name
/// would start a line of its own in a CI log, where GitHub Actions takes a line beginning
/// `::` as a workflow command (`::stop-commands::`, `::error ...::`). The bidi controls
/// reorder what is shown without changing what is there, the Trojan Source attack
/// (CVE-2021-42574): they are made visible, not removed, so a reviewer sees them.
///
/// Escaped text is plain printable ASCII where it changed, so escaping twice gives the
/// same text. A literal `^[` or `<U+202E>` in the input stays as it is: the forms are for
/// people to read, not to be decoded back.
public enum TerminalText {
    /// Whether `u` is one of the characters the rule shows escaped (tab and line feed
    /// excluded: callers decide on those).
    @inlinable
    public static func isHidden(_ u: Unicode.Scalar) -> Bool {
        let v = u.value
        if v < 0x80 { return v < 0x20 && v != 0x09 && v != 0x0A || v == 0x7F }
        if v <= 0x9F { return true }
        if v < 0x061C { return false }
        return v == 0x061C || v == 0x200E || v == 0x200F || (0x2028 ... 0x202E).contains(v) || (0x2066 ... 0x2069).contains(v)
    }

    /// The visible form of a scalar the rule escapes (`^[`, `<U+202E>`), or nil when it is
    /// shown as it is. A line feed is `^J` here; whether one is kept is `visible`'s choice.
    public static func escaped(_ u: Unicode.Scalar) -> String? {
        let v = u.value
        if v == 0x0A { return "^J" }
        guard isHidden(u) else { return nil }
        if v < 0x20 { return "^" + String(UnicodeScalar(UInt8(v + 0x40))) }
        if v == 0x7F { return "^?" }
        let h = String(v, radix: 16, uppercase: true)
        return "<U+" + String(repeating: "0", count: max(0, 4 - h.count)) + h + ">"
    }

    /// The visible form of `scalars[i]` in its line, or nil when it is shown as it is: as
    /// `escaped`, and the second `#` of `##[` as `<U+0023>`. For callers that lay a line
    /// out scalar by scalar (a source snippet, whose caret counts each form's width).
    public static func escaped(in scalars: [Unicode.Scalar], at i: Int) -> String? {
        let u = scalars[i]
        if u == "#", i > 0, i + 1 < scalars.count, scalars[i - 1] == "#", scalars[i + 1] == "[" { return "<U+0023>" }
        return escaped(u)
    }

    /// `s` with every character the rule names shown escaped; line feeds too, unless
    /// `keepingNewlines` (for text iotopo laid out in lines, each line's outside parts
    /// already escaped). Returns `s` itself when nothing needs escaping, which a byte scan
    /// decides: that is almost every line a diagnostic prints.
    public static func visible<S: StringProtocol>(_ s: S, keepingNewlines: Bool = false) -> String {
        let clean = s.utf8.withContiguousStorageIfAvailable { isClean($0, keepingNewlines: keepingNewlines) }
            ?? isClean(Array(s.utf8), keepingNewlines: keepingNewlines)
        if clean { return String(s) }
        var out = ""
        out.reserveCapacity(s.utf8.count + 16)
        var previous: Unicode.Scalar = "\0", pending: Unicode.Scalar = "\0"
        for u in s.unicodeScalars {
            // `##[`: the second `#` is held until the next scalar shows whether a `[` follows.
            if pending == "#" {
                out += u == "[" ? "<U+0023>" : "#"
                pending = "\0"
            }
            defer { previous = u }
            if u == "#" && previous == "#" {
                pending = u
                continue
            }
            if u == "\n" && keepingNewlines {
                out.unicodeScalars.append(u)
            } else if let e = escaped(u) {
                out += e
            } else {
                out.unicodeScalars.append(u)
            }
        }
        if pending == "#" { out += "#" }
        return out
    }

    /// A file path as `visible` shows it, and never at the start of a line in a form GitHub
    /// would read as a workflow command: a relative path that starts with `:` or with
    /// whitespace (the runner trims leading whitespace before it looks for `::`) is shown
    /// as `./` and the path, which names the same file.
    public static func path(_ p: String) -> String {
        let v = visible(p)
        guard let first = v.unicodeScalars.first, first == ":" || first.properties.isWhitespace else { return v }
        return "./" + v
    }

    /// Whether the UTF-8 bytes hold nothing the rule escapes. Each escaped scalar has a
    /// distinct encoding: C0 and DEL are single bytes; C1 is C2 80..9F; U+061C is D8 9C;
    /// U+200E/F are E2 80 8E/8F; U+2028..U+202E are E2 80 A8..AE; U+2066..U+2069 are
    /// E2 81 A6..A9. Any other byte is part of a character shown as it is.
    @usableFromInline
    static func isClean<C: RandomAccessCollection>(_ b: C, keepingNewlines: Bool) -> Bool where C.Element == UInt8, C.Index == Int {
        var i = b.startIndex
        let end = b.endIndex
        while i < end {
            let x = b[i]
            if x == 0x23, i + 2 < end, b[i + 1] == 0x23, b[i + 2] == 0x5B { return false }  // ##[
            if x >= 0x20 && x < 0x7F { i += 1; continue }
            if x == 0x09 || x == 0x0A && keepingNewlines { i += 1; continue }
            if x < 0x80 { return false }  // C0 or DEL
            switch x {
            case 0xC2:
                if i + 1 < end, (0x80 ... 0x9F).contains(b[i + 1]) { return false }
            case 0xD8:
                if i + 1 < end, b[i + 1] == 0x9C { return false }
            case 0xE2:
                if i + 2 < end {
                    let (y, z) = (b[i + 1], b[i + 2])
                    if y == 0x80 && (z == 0x8E || z == 0x8F || (0xA8 ... 0xAE).contains(z)) { return false }
                    if y == 0x81 && (0xA6 ... 0xA9).contains(z) { return false }
                }
            default:
                break
            }
            i += 1
        }
        return true
    }
}
