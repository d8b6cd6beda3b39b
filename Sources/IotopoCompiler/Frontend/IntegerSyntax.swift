/// The language's integer syntax, applied by the language rather than by YAML 1.1 guessing.
///
/// A literal is decimal (no leading zero), `0x` hex or `0b` binary, with optional `_`
/// separators, optionally followed by a binary unit `KiB`, `MiB`, `GiB` or `TiB`. Literals
/// combine with `+`, `-`, `*` and parentheses (`0x1_0000_0000 + {i} * 2MiB`). Every step
/// uses overflow-reporting arithmetic: a value past 2^64 - 1 or below 0 is an error.
public enum IntegerSyntax {
    /// Why a scalar is not a valid integer.
    public enum Failure: Error, Equatable {
        /// Not an integer at all; the message says what was wrong.
        case malformed(String)
        /// A result or intermediate value above 2^64 - 1.
        case overflow
        /// A subtraction that goes below zero.
        case negative
    }

    /// Parses and evaluates an integer expression.
    public static func evaluate(_ text: UnsafeBufferPointer<UInt8>) -> Result<UInt64, Failure> {
        // Fast path: one plain decimal or hex literal, the overwhelmingly common case.
        if let v = fastLiteral(text) { return .success(v) }
        var p = Parser(bytes: text)
        p.skipSpaces()
        if p.atEnd { return .failure(.malformed("empty value where an integer is expected")) }
        let r = p.expression()
        if case .success = r {
            p.skipSpaces()
            if !p.atEnd {
                if let unit = Parser.unitHint(text[p.i...]) {
                    return .failure(.malformed("write the unit right after the number, with no space (e.g. 4\(unit))"))
                }
                return .failure(.malformed("unexpected '\(p.rest)' after the value"))
            }
        }
        return r
    }

    /// Evaluates a Swift string (tests and command-line options).
    public static func evaluate(_ text: String) -> Result<UInt64, Failure> {
        var s = text
        return s.withUTF8 { evaluate($0) }
    }

    /// One literal from bytes with no allocation: optional `0x`/`0b` prefix, digits with `_`
    /// separators, optional binary unit. Returns nil for anything else (including overflow);
    /// callers then take the slow path, which words the error.
    @inlinable
    package static func fastLiteral(_ t: UnsafeBufferPointer<UInt8>) -> UInt64? {
        let n = t.count
        if n == 0 { return nil }
        var i = 0
        var radix: UInt64 = 10
        if n > 2, t[0] == 0x30, t[1] == 0x78 || t[1] == 0x58 { radix = 16; i = 2 }
        else if n > 2, t[0] == 0x30, t[1] == 0x62 || t[1] == 0x42 { radix = 2; i = 2 }
        else if n > 1, t[0] == 0x30, t[1] >= 0x30 && t[1] <= 0x39 { return nil } // leading zero
        if t[i] == 0x5F { return nil }
        var v: UInt64 = 0
        var digits = 0
        var last: UInt8 = 0
        while i < n {
            let c = t[i]
            var d: UInt64
            switch c {
            case 0x30 ... 0x39: d = UInt64(c &- 0x30)
            case 0x61 ... 0x66 where radix == 16: d = UInt64(c &- 0x61 &+ 10)
            case 0x41 ... 0x46 where radix == 16: d = UInt64(c &- 0x41 &+ 10)
            case 0x5F:
                last = c
                i += 1
                continue
            default:
                d = 99
            }
            if d == 99 { break }
            if d >= radix { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: radix)
            let (a, o2) = m.addingReportingOverflow(d)
            if o1 || o2 { return nil }
            v = a
            digits += 1
            last = c
            i += 1
        }
        if digits == 0 || last == 0x5F { return nil }
        if i == n { return v }
        // A unit: exactly KiB, MiB, GiB or TiB.
        guard n - i == 3, t[i + 1] == 0x69, t[i + 2] == 0x42 else { return nil }
        let shift: UInt64
        switch t[i] {
        case 0x4B: shift = 10
        case 0x4D: shift = 20
        case 0x47: shift = 30
        case 0x54: shift = 40
        default: return nil
        }
        guard v >> (64 - shift) == 0 else { return nil }
        return v << shift
    }

    /// A recursive-descent evaluator: `expr := term (('+'|'-') term)*`,
    /// `term := atom ('*' atom)*`, `atom := literal | '(' expr ')'`.
    package struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var i = 0
        var depth = 0

        var atEnd: Bool { i >= bytes.count }
        var rest: String { String(decoding: bytes[i...], as: UTF8.self) }

        mutating func skipSpaces() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 { i += 1 }
        }

        mutating func expression() -> Result<UInt64, Failure> {
            var acc: UInt64
            switch term() {
            case let .success(v): acc = v
            case let .failure(f): return .failure(f)
            }
            while true {
                skipSpaces()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") else { return .success(acc) }
                let plus = bytes[i] == UInt8(ascii: "+")
                i += 1
                switch term() {
                case let .success(v):
                    let (r, o) = plus ? acc.addingReportingOverflow(v) : acc.subtractingReportingOverflow(v)
                    if o { return .failure(plus ? .overflow : .negative) }
                    acc = r
                case let .failure(f): return .failure(f)
                }
            }
        }

        mutating func term() -> Result<UInt64, Failure> {
            var acc: UInt64
            switch atom() {
            case let .success(v): acc = v
            case let .failure(f): return .failure(f)
            }
            while true {
                skipSpaces()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "*") else { return .success(acc) }
                i += 1
                switch atom() {
                case let .success(v):
                    let (r, o) = acc.multipliedReportingOverflow(by: v)
                    if o { return .failure(.overflow) }
                    acc = r
                case let .failure(f): return .failure(f)
                }
            }
        }

        mutating func atom() -> Result<UInt64, Failure> {
            skipSpaces()
            guard i < bytes.count else { return .failure(.malformed("expression ends where a number is expected")) }
            if bytes[i] == UInt8(ascii: "(") {
                depth += 1
                if depth > 32 { return .failure(.malformed("parentheses nested too deeply")) }
                i += 1
                let r = expression()
                skipSpaces()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ")") else { return .failure(.malformed("missing ')'")) }
                i += 1
                depth -= 1
                return r
            }
            if bytes[i] == UInt8(ascii: "-") { return .failure(.malformed("negative numbers are not allowed")) }
            let start = i
            while i < bytes.count, Self.isWordByte(bytes[i]) { i += 1 }
            if start == i { return .failure(.malformed("unexpected '\(rest)' where a number is expected")) }
            return literal(UnsafeBufferPointer(rebasing: bytes[start ..< i]))
        }

        /// The canonical spelling of a binary unit written in any case (`kib` -> `KiB`).
        static func unitHint<C: Collection>(_ w: C) -> String? where C.Element == UInt8 {
            let s = String(decoding: w, as: UTF8.self).lowercased()
            return ["kib": "KiB", "mib": "MiB", "gib": "GiB", "tib": "TiB"][s]
        }

        static func isWordByte(_ c: UInt8) -> Bool {
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || c == 0x2E
        }

        /// One literal with an optional unit.
        func literal(_ w: UnsafeBufferPointer<UInt8>) -> Result<UInt64, Failure> {
            if let v = IntegerSyntax.fastLiteral(w) { return .success(v) }
            let text = String(decoding: w, as: UTF8.self)
            var digits = Substring(text)
            var multiplier: UInt64 = 1
            for (suffix, shift) in [("KiB", 10), ("MiB", 20), ("GiB", 30), ("TiB", 40)] where digits.hasSuffix(suffix) {
                digits = digits.dropLast(3)
                multiplier = UInt64(1) << UInt64(shift)
                break
            }
            if multiplier == 1, let first = digits.firstIndex(where: { !$0.isNumber && $0 != "_" }), digits.first?.isNumber == true,
               !digits.hasPrefix("0x"), !digits.hasPrefix("0b"), let unit = Self.unitHint(Array(digits[first...].utf8)) {
                return .failure(.malformed("unit '\(digits[first...])' is spelled \(unit) (binary units are KiB, MiB, GiB, TiB)"))
            }
            if multiplier == 1 {
                for bad in ["KB", "MB", "GB", "TB", "K", "M", "G", "T", "k", "kB", "B", "PiB", "EiB"] where digits.hasSuffix(bad) && digits.count > bad.count {
                    let first = digits.first ?? "x"
                    if first.isNumber {
                        return .failure(.malformed("unknown unit '\(bad)' in '\(text)': sizes take the binary units KiB, MiB, GiB and TiB"))
                    }
                }
            }
            var radix: UInt64 = 10
            if digits.hasPrefix("0x") || digits.hasPrefix("0X") { radix = 16; digits = digits.dropFirst(2) }
            else if digits.hasPrefix("0b") || digits.hasPrefix("0B") { radix = 2; digits = digits.dropFirst(2) }
            else if digits.hasPrefix("0o") { return .failure(.malformed("octal '\(text)' is not accepted; write it in decimal or 0x hex")) }
            else if digits.count > 1, digits.first == "0", digits.dropFirst().first?.isNumber == true {
                return .failure(.malformed("'\(text)' has a leading zero (YAML 1.1 would read it as octal); write it without the zero or as 0x hex"))
            }
            if digits.isEmpty || digits.first == "_" || digits.last == "_" {
                return .failure(.malformed("'\(text)' is not a number"))
            }
            var v: UInt64 = 0
            for ch in digits.utf8 {
                if ch == UInt8(ascii: "_") { continue }
                let d: UInt64
                switch ch {
                case 0x30 ... 0x39: d = UInt64(ch - 0x30)
                case 0x61 ... 0x66: d = UInt64(ch - 0x61 + 10)
                case 0x41 ... 0x46: d = UInt64(ch - 0x41 + 10)
                default: return .failure(.malformed(text.contains(".") ? "'\(text)' is not an integer" : "'\(text)' is not a number"))
                }
                if d >= radix { return .failure(.malformed("'\(text)' is not a valid base-\(radix) number")) }
                let (m, o1) = v.multipliedReportingOverflow(by: radix)
                let (a, o2) = m.addingReportingOverflow(d)
                if o1 || o2 { return .failure(.overflow) }
                v = a
            }
            let (r, o) = v.multipliedReportingOverflow(by: multiplier)
            return o ? .failure(.overflow) : .success(r)
        }
    }
}
