#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads input files with POSIX calls so every failure has a precise cause, and never reads
/// more than the size limit. Only regular files are read (and `-`, standard input): a FIFO
/// with no writer would block forever, a device may never end, so both are refused, and
/// opened without blocking to find out (O_NONBLOCK, then fstat).
public enum FileReader {
    /// Why a file could not be read.
    public struct Failure: Error, Equatable, CustomStringConvertible {
        /// The cause, phrased for a user ("no such file", "is a directory").
        public var reason: String
        /// True when the file exists but is over the size limit.
        public var tooLarge: Bool
        public var description: String { reason }
    }

    /// Reads `path` (`-` is standard input), refusing files over `limit` bytes.
    public static func read(_ path: String, limit: Int) -> Result<[UInt8], Failure> {
        let fd: Int32
        if path == "-" {
            fd = 0
        } else {
            // O_NONBLOCK: opening a FIFO that has no writer returns at once instead of waiting.
            fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            if fd < 0 { return .failure(Failure(reason: describe(errno), tooLarge: false)) }
        }
        defer { if fd != 0 { close(fd) } }
        var st = stat()
        if fstat(fd, &st) == 0 {
            if (st.st_mode & S_IFMT) == S_IFDIR {
                return .failure(Failure(reason: "is a directory, not a file", tooLarge: false))
            }
            if path != "-", (st.st_mode & S_IFMT) != S_IFREG {
                return .failure(Failure(reason: "is \(kind(st.st_mode)), not a regular file (give '-' to read standard input)", tooLarge: false))
            }
            if (st.st_mode & S_IFMT) == S_IFREG, st.st_size > limit {
                return .failure(Failure(reason: "is \(st.st_size) bytes, over the limit of \(limit) bytes (raise it with --max-file-size)", tooLarge: true))
            }
        }
        var out: [UInt8] = []
        if (st.st_mode & S_IFMT) == S_IFREG { out.reserveCapacity(Int(st.st_size)) }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(Failure(reason: describe(errno), tooLarge: false))
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0 ..< n])
            if out.count > limit {
                return .failure(Failure(reason: "is over the limit of \(limit) bytes (raise it with --max-file-size)", tooLarge: true))
            }
        }
        return .success(out)
    }

    /// At most the first `count` bytes of a regular file (nil for anything else, or when it
    /// cannot be opened): enough to tell a format by its first line without reading it all.
    public static func readPrefix(_ path: String, count: Int) -> [UInt8]? {
        guard path != "-" else { return nil }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        var out = [UInt8](repeating: 0, count: max(0, count))
        var got = 0
        while got < out.count {
            let n = out.withUnsafeMutableBytes { buf -> Int in
                guard let base = buf.baseAddress else { return -1 }
                return Glibc.read(fd, base + got, buf.count - got)
            }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            got += n
        }
        return Array(out[..<got])
    }

    /// The names in a folder, sorted by their bytes (never in readdir's order), without `.`
    /// and `..`; empty when it cannot be read.
    public static func list(_ dir: String) -> [String] {
        guard let d = opendir(dir) else { return [] }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { out.append(name) }
        }
        return out.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    /// Whether `path` names a directory (following links).
    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return path != "-" && stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// What a non-regular file is, for the refusal.
    public static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        default: return "a special file"
        }
    }

    /// A short phrase for an errno value.
    public static func describe(_ e: Int32) -> String {
        switch e {
        case ENOENT: return "no such file"
        case EACCES, EPERM: return "permission denied"
        case EISDIR: return "is a directory, not a file"
        case ENOTDIR: return "a component of the path is not a directory"
        case ELOOP: return "too many levels of symbolic links"
        case ENAMETOOLONG: return "file name too long"
        case EIO: return "input/output error"
        default:
            return "error \(e)"
        }
    }

    /// The canonical absolute path of an existing file, used only to recognise the same file
    /// reached by two spellings (never printed).
    public static func canonicalPath(_ path: String) -> String? {
        guard path != "-", let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        let n = strlen(p)
        return p.withMemoryRebound(to: UInt8.self, capacity: n) {
            String(decoding: UnsafeBufferPointer(start: $0, count: n), as: UTF8.self)
        }
    }
}

/// Lexical path helpers: display paths stay relative to where the user ran the tool.
public enum PathText {
    /// `a/./b/../c` becomes `a/c`; leading `..` are kept; an absolute path stays absolute.
    public static func normalize(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for p in path.split(separator: "/", omittingEmptySubsequences: true) {
            if p == "." { continue }
            if p == "..", let last = parts.last, last != ".." { parts.removeLast(); continue }
            if p == "..", absolute, parts.isEmpty { continue }
            parts.append(p)
        }
        let joined = parts.joined(separator: "/")
        if absolute { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    /// The directory part of a path (`.` for a bare file name).
    public static func directory(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// `relative` resolved against the directory of `file`.
    public static func resolve(_ relative: String, from file: String) -> String {
        if relative.hasPrefix("/") { return normalize(relative) }
        let dir = directory(file)
        return normalize(dir == "." ? relative : dir + "/" + relative)
    }
}
