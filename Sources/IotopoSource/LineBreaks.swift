/// Where lines start, by YAML's rules as libyaml applies them (`IS_BREAK` in
/// yaml_private.h): a line feed, a carriage return, a CR LF pair (one break), and the
/// Unicode breaks NEL (U+0085), LS (U+2028) and PS (U+2029). Diagnostics take their line
/// numbers from libyaml, so every consumer of a line number (the source excerpt under a
/// diagnostic, the fuzzers' range check) must split lines the same way.
public enum LineBreaks {
    /// Byte offsets where each line starts (the first is 0).
    public static func starts(_ bytes: [UInt8]) -> [Int] {
        var out = [0]
        var i = 0
        while i < bytes.count {
            if let n = breakLength(bytes, at: i) {
                i += n
                out.append(i)
            } else {
                i += 1
            }
        }
        return out
    }

    /// The length in bytes of the line break at `i`, or nil when there is none.
    @inlinable public static func breakLength<C: RandomAccessCollection>(_ bytes: C, at i: Int) -> Int?
        where C.Element == UInt8, C.Index == Int {
        switch bytes[i] {
        case 0x0A: return 1
        case 0x0D: return i + 1 < bytes.endIndex && bytes[i + 1] == 0x0A ? 2 : 1
        case 0xC2 where i + 1 < bytes.endIndex && bytes[i + 1] == 0x85: return 2
        case 0xE2 where i + 2 < bytes.endIndex && bytes[i + 1] == 0x80 && (bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9): return 3
        default: return nil
        }
    }

    /// The 1-based line and column (in Unicode scalars, as libyaml counts them) of a byte
    /// offset; the offset just past the input is its end position.
    /// Inlinable so that callers in other modules get it specialised for their collection:
    /// unspecialised, the per-byte generic calls made parsing twice as slow.
    @inlinable public static func position<C: RandomAccessCollection>(ofByte offset: Int, in bytes: C) -> SourcePosition
        where C.Element == UInt8, C.Index == Int {
        var line: UInt32 = 1, column: UInt32 = 1
        var i = bytes.startIndex
        let end = min(bytes.startIndex + offset, bytes.endIndex)
        while i < end {
            if let n = breakLength(bytes, at: i) {
                line += 1
                column = 1
                i += n
            } else {
                if bytes[i] & 0xC0 != 0x80 { column += 1 }
                i += 1
            }
        }
        return SourcePosition(line: line, column: column)
    }

    /// The bytes of 1-based line `n` without its break, given `starts(bytes)`.
    public static func line(_ n: Int, starts: [Int], bytes: [UInt8]) -> ArraySlice<UInt8>? {
        guard n >= 1, n <= starts.count else { return nil }
        let from = starts[n - 1]
        var end = n < starts.count ? starts[n] : bytes.count
        // Drop the break that ends the line (1 to 3 bytes).
        if n < starts.count {
            var k = from
            while k < end, breakLength(bytes, at: k).map({ k + $0 != end }) ?? true { k += 1 }
            end = k
        }
        return bytes[from ..< max(from, end)]
    }
}
