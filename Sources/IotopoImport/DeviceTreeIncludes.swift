import IotopoSource
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The files a device tree source has dtc read, checked before dtc runs (docs/security.md).
///
/// dtc opens what `/include/ "FILE"` and `/incbin/("FILE")` name: an absolute path as it is,
/// a relative one from the folder of the file naming it (dtc's `srcfile_relative_open`;
/// iotopo gives no `-i` search path). What it reads reaches the import:
/// `model = /incbin/("../outside/secret")` became the imported topology's header comment,
/// which `iotopo import` and an import case's golden print, and `/include/` of a FIFO made
/// dtc wait for a writer for ever (found by the FuzzPaths harness, RELIABILITY.md). So a
/// source's named files follow the rule for a topology's includes: each must lie inside the
/// confinement (with every link followed) and be a regular file, or not exist (dtc then says
/// it cannot open it); the sources it includes are searched in turn.
///
/// The search is conservative, never looser than dtc's lexer: every occurrence of the two
/// keywords counts, in a comment or a string too, and a name holding a backslash (which dtc
/// would read escapes in, for `/incbin/`) is refused rather than decoded.
enum DeviceTreeIncludes {
    /// The check the refusals report under: the one for a topology's includes.
    static let checkID = "invalid-include"

    /// Most source files searched for one root (dtc itself nests at most 200 deep).
    static let maxFiles = 200

    /// A file a source names for dtc to read.
    struct Named: Equatable {
        /// `/include/` or `/incbin/`.
        var keyword: String
        /// The name as written; nil when it holds a backslash.
        var name: String?
    }

    /// Why dtc must not run on the source `path` (whose bytes are `bytes`): a file it or a
    /// source it includes names that leads outside `scope` (nil: anywhere), described by
    /// `scopeText` ("the git repository holding 'x.dts'"), or that is not a regular file.
    /// Nil when dtc may run.
    static func problem(_ path: String, bytes: [UInt8], confinedTo scope: PathConfinement?, scopeText: String) -> String? {
        var todo: [(path: String, bytes: [UInt8])] = [(path, bytes)]
        // A source and the folder its names are resolved from: the same pair twice reads
        // the same files (a cycle of includes, which dtc rejects itself), so once is enough.
        var seen: Set<String> = []
        var searched = 0
        while let (file, text) = todo.popLast() {
            searched += 1
            if searched > maxFiles {
                return "'\(path)' includes more than \(maxFiles) device tree sources to check, so dtc is not run on it"
            }
            let dir = dtcDirectory(of: file)
            for n in named(in: text) {
                guard let name = n.name else {
                    return "a name given to \(n.keyword) in '\(file)' holds a backslash, which iotopo does not decode to check it, so dtc is not run on it"
                }
                let target = name.hasPrefix("/") || dir == nil ? name : (dir ?? "") + "/" + name
                if let scope, !scope.contains(target) {
                    return "'\(name)' (named by \(n.keyword) in '\(file)') leads outside \(scopeText), so dtc is not run on it; pass --allow-include-outside to allow it"
                }
                var st = stat()
                // stat, not open: it follows links and never blocks on a FIFO. A name that
                // does not exist is dtc's to report.
                guard stat(target, &st) == 0 else { continue }
                guard (st.st_mode & S_IFMT) == S_IFREG else {
                    let what = (st.st_mode & S_IFMT) == S_IFDIR ? "a folder" : FileReader.kind(st.st_mode)
                    return "'\(name)' (named by \(n.keyword) in '\(file)') is \(what), not a regular file, so dtc is not run on it"
                }
                guard n.keyword == "/include/" else { continue }
                let key = (PathConfinement.canonical(target) ?? target) + "\u{0}" + (PathConfinement.canonical(dtcDirectory(of: target) ?? ".") ?? "")
                guard seen.insert(key).inserted else { continue }
                switch FileReader.read(target, limit: 32 << 20) {
                case let .success(b): todo.append((target, b))
                case let .failure(f): return "cannot read '\(name)' (named by \(n.keyword) in '\(file)') to check what it names: \(f.reason), so dtc is not run on it"
                }
            }
        }
        return nil
    }

    /// The folder dtc resolves a file's relative names from: its path up to the last slash
    /// (`get_dirname`), nil for a bare name (then dtc opens names as given, from the working
    /// directory).
    static func dtcDirectory(of path: String) -> String? {
        guard let slash = path.lastIndex(of: "/") else { return nil }
        return String(path[..<slash])
    }

    /// Every `/include/ "NAME"` and `/incbin/ ( "NAME"` in the bytes, as dtc's lexer and
    /// grammar take them: whitespace between `/include/` and its string (dtc's `{WS}*`), and
    /// whitespace and comments around `/incbin/`'s parenthesis (its tokens). An occurrence
    /// not followed so is no directive to dtc (a syntax error at worst) and is skipped.
    static func named(in b: [UInt8]) -> [Named] {
        var out: [Named] = []
        let include = Array("/include/".utf8), incbin = Array("/incbin/".utf8)
        var i = 0
        while i < b.count {
            let isInclude = b[i...].starts(with: include)
            guard isInclude || b[i...].starts(with: incbin) else { i += 1; continue }
            var j = i + (isInclude ? include.count : incbin.count)
            if isInclude {
                j = skipSpace(b, j)
            } else {
                j = skipSpaceAndComments(b, j)
                guard j < b.count, b[j] == UInt8(ascii: "(") else { i = j; continue }
                j = skipSpaceAndComments(b, j + 1)
            }
            guard j < b.count, b[j] == UInt8(ascii: "\"") else { i = j; continue }
            // The string runs to the next quote; a backslash (an escape, and `\"` does not
            // end it) makes the name one iotopo does not decode.
            var k = j + 1, escaped = false
            while k < b.count, b[k] != UInt8(ascii: "\"") {
                if b[k] == UInt8(ascii: "\\") { escaped = true; k += 1 }
                k += 1
            }
            guard k < b.count else { break }
            out.append(Named(keyword: isInclude ? "/include/" : "/incbin/",
                             name: escaped ? nil : String(decoding: b[(j + 1) ..< k], as: UTF8.self)))
            i = k + 1
        }
        return out
    }

    /// Past blanks (`[[:space:]]`).
    static func skipSpace(_ b: [UInt8], _ from: Int) -> Int {
        var j = from
        while j < b.count, b[j] == 0x20 || (0x09 ... 0x0D).contains(b[j]) { j += 1 }
        return j
    }

    /// Past blanks, `/* ... */` and `// ...` comments.
    static func skipSpaceAndComments(_ b: [UInt8], _ from: Int) -> Int {
        var j = skipSpace(b, from)
        while j + 1 < b.count, b[j] == UInt8(ascii: "/") {
            if b[j + 1] == UInt8(ascii: "*") {
                var k = j + 2
                while k + 1 < b.count, !(b[k] == UInt8(ascii: "*") && b[k + 1] == UInt8(ascii: "/")) { k += 1 }
                j = skipSpace(b, min(b.count, k + 2))
            } else if b[j + 1] == UInt8(ascii: "/") {
                var k = j + 2
                while k < b.count, b[k] != UInt8(ascii: "\n") { k += 1 }
                j = skipSpace(b, k)
            } else {
                break
            }
        }
        return j
    }
}
