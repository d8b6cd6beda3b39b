#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one way iotopo writes a file: a temporary file in the same folder, write, fsync,
/// rename over the target, fsync of the folder. A reader sees the old file or the new one,
/// never half of either. An existing file keeps its mode; a symbolic link is written
/// through (its target is replaced, the link stays).
///
/// Only regular files are replaced (docs/security.md). A character device or a FIFO
/// (`-o /dev/null`, `--junit /dev/stderr`, a pipe from `>(...)`) is written in place, as a
/// shell's `>` would: renaming over it would turn `/dev/null` into a regular file for the
/// whole machine. A block device or a socket is refused. With `confinedTo` (goldens), the
/// file must be a regular file, or not exist yet, inside that folder with every link on
/// its path followed.
public enum AtomicWriter {
    /// The steps of a write, named so tests can inject a failure at each.
    public enum Step: String, Sendable, CaseIterable {
        case open, write, fsync, rename
    }

    /// Why a write failed, naming the file and the step.
    public struct Failure: Error, CustomStringConvertible {
        /// The file being written.
        public var path: String
        /// What failed and why.
        public var reason: String
        public var description: String { "cannot write '\(path)': \(reason)" }
    }

    /// A fault injected into every write of this process through the environment, so that
    /// end-to-end tests can fail or kill the real binary at each step (docs/limits.md):
    /// `IOTOPO_FAULT=fail-STEP` makes STEP fail as if its system call had;
    /// `IOTOPO_FAULT=kill-before-STEP` (or `kill-after-rename`) kills the process with
    /// SIGKILL at that point, as a power cut or `kill -9` would. STEP is open, write, fsync
    /// or rename. Unknown values are ignored.
    public struct Fault: Sendable, Equatable {
        public var fail: Step?
        public var killBefore: Step?
        public var killAfterRename = false

        public init?(_ text: String) {
            if text == "kill-after-rename" { killAfterRename = true; return }
            if text.hasPrefix("fail-"), let s = Step(rawValue: String(text.dropFirst(5))) { fail = s; return }
            if text.hasPrefix("kill-before-"), let s = Step(rawValue: String(text.dropFirst(12))) { killBefore = s; return }
            return nil
        }

        /// The fault `IOTOPO_FAULT` asks for, read once.
        public static let environment: Fault? = {
            Environment.value("IOTOPO_FAULT").flatMap(Fault.init)
        }()
    }

    private static func killIfAsked(before step: Step) {
        if Fault.environment?.killBefore == step { kill(getpid(), SIGKILL) }
    }

    /// Writes `bytes` to `path` atomically. `failing` makes the named step fail as if the
    /// system call had (fault-injection tests only; `IOTOPO_FAULT` does the same for a
    /// whole process).
    public static func write(_ bytes: [UInt8], to path: String, confinedTo scope: PathConfinement? = nil, failing: Step? = nil) throws(Failure) {
        let failing = failing ?? Fault.environment?.fail
        var st = stat()
        // What the path is, links followed: only a regular file is replaced.
        if stat(path, &st) == 0 {
            switch st.st_mode & S_IFMT {
            case S_IFREG: break
            case S_IFDIR: throw Failure(path: path, reason: "is a directory")
            case S_IFCHR, S_IFIFO:
                let kind = (st.st_mode & S_IFMT) == S_IFCHR ? "a character device" : "a FIFO"
                if scope != nil { throw Failure(path: path, reason: "is \(kind), not a regular file; a golden must be a regular file") }
                try writeInPlace(bytes, to: path, failing: failing)
                return
            default:
                let kind = (st.st_mode & S_IFMT) == S_IFBLK ? "a block device" : "a socket"
                throw Failure(path: path, reason: "is \(kind); iotopo writes regular files, or in place to a character device or a FIFO")
            }
        }
        let target = resolveLinks(path)
        if let scope, !scope.contains(target) {
            throw Failure(path: path, reason: "it leads outside the project root (a symbolic link out of the repository), so it is not written")
        }
        let dir = directory(of: target)
        var mode: mode_t
        if stat(target, &st) == 0 {
            if (st.st_mode & S_IFMT) == S_IFDIR { throw Failure(path: path, reason: "is a directory") }
            mode = st.st_mode & 0o7777
        } else {
            let mask = umask(0)
            umask(mask)
            mode = 0o666 & ~mask
        }
        let base = target.split(separator: "/").last.map(String.init) ?? "out"
        let prefix = dir == "." ? "" : dir + "/"
        var template = Array((prefix + "." + base + ".tmp-XXXXXX").utf8CString)
        killIfAsked(before: .open)
        let fd: Int32 = template.withUnsafeMutableBufferPointer { buf in
            guard let p = buf.baseAddress else { return -1 }
            return mkstemp(p)
        }
        if fd < 0 {
            throw Failure(path: path, reason: "cannot create a temporary file in '\(dir)': \(errorText(errno))")
        }
        // From here on the temporary file exists: every way out either renames it or removes it.
        let tmp = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var done = false
        defer { if !done { unlink(tmp) } }
        if failing == .open {
            close(fd)
            throw Failure(path: path, reason: "cannot create a temporary file in '\(dir)': \(errorText(EACCES))")
        }
        killIfAsked(before: .write)
        if let e = writeAll(fd, bytes, failing: failing == .write) {
            close(fd)
            throw Failure(path: path, reason: "write failed: \(errorText(e))")
        }
        _ = fchmod(fd, mode)
        killIfAsked(before: .fsync)
        if fsync(fd) != 0 || failing == .fsync {
            let e = failing == .fsync ? EIO : errno
            close(fd)
            throw Failure(path: path, reason: "fsync failed: \(errorText(e))")
        }
        close(fd)
        killIfAsked(before: .rename)
        if failing == .rename || rename(tmp, target) != 0 {
            let e = failing == .rename ? EXDEV : errno
            throw Failure(path: path, reason: "rename failed: \(errorText(e))")
        }
        done = true
        if Fault.environment?.killAfterRename == true { kill(getpid(), SIGKILL) }
        let dfd = open(dir, O_RDONLY | O_DIRECTORY)
        if dfd >= 0 {
            _ = fsync(dfd)
            close(dfd)
        }
    }

    /// Writes a string as UTF-8.
    public static func write(_ text: String, to path: String, confinedTo scope: PathConfinement? = nil, failing: Step? = nil) throws(Failure) {
        try write(Array(text.utf8), to: path, confinedTo: scope, failing: failing)
    }

    /// Writes to a character device or a FIFO through the path as given (so `/dev/stdout`
    /// and `/dev/fd/N` reach the open file they stand for), without creating, truncating or
    /// renaming anything. Opening a FIFO waits for a reader, as a shell's `>` does.
    static func writeInPlace(_ bytes: [UInt8], to path: String, failing: Step?) throws(Failure) {
        var fd: Int32
        repeat { fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY) } while fd < 0 && errno == EINTR
        if fd < 0 || failing == .open {
            let e = failing == .open ? EACCES : errno
            if fd >= 0 { close(fd) }
            throw Failure(path: path, reason: "cannot open: \(errorText(e))")
        }
        defer { close(fd) }
        if let e = writeAll(fd, bytes, failing: failing == .write) {
            throw Failure(path: path, reason: "write failed: \(errorText(e))")
        }
    }

    /// Writes every byte, retrying on EINTR; returns an errno on failure.
    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], failing: Bool) -> Int32? {
        if failing { return ENOSPC }
        var written = 0
        return bytes.withUnsafeBytes { raw -> Int32? in
            guard let base = raw.baseAddress else { return nil }
            while written < raw.count {
                let n = Glibc.write(fd, base + written, raw.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                if n == 0 { return ENOSPC }
                written += n
            }
            return nil
        }
    }

    /// Follows symbolic links so the link itself survives the rename.
    static func resolveLinks(_ path: String) -> String {
        var p = path
        for _ in 0 ..< 40 {
            var buf = [CChar](repeating: 0, count: 4096)
            let n = readlink(p, &buf, buf.count - 1)
            guard n > 0 else { return p }
            let target = String(decoding: buf[0 ..< n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            p = target.hasPrefix("/") ? target : directory(of: p) + "/" + target
        }
        return p
    }

    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Whether a file name is one of this writer's temporary files (`.NAME.tmp-XXXXXX`, as
    /// `mkstemp` fills the six X's from letters and digits): a process killed between the
    /// write and the rename leaves one behind.
    public static func isTemporary(name: String) -> Bool {
        let b = Array(name.utf8)
        let marker = Array(".tmp-".utf8)
        guard b.count > 1 + marker.count + 6, b[0] == UInt8(ascii: "."),
              Array(b[(b.count - 6 - marker.count) ..< (b.count - 6)]) == marker else { return false }
        return b.suffix(6).allSatisfy { (0x30 ... 0x39).contains($0) || (0x41 ... 0x5A).contains($0) || (0x61 ... 0x7A).contains($0) }
    }

    /// `strerror` text.
    public static func errorText(_ e: Int32) -> String {
        guard let s = strerror(e) else { return "error \(e)" }
        let n = strlen(s)
        return s.withMemoryRebound(to: UInt8.self, capacity: n) {
            String(decoding: UnsafeBufferPointer(start: $0, count: n), as: UTF8.self)
        }
    }
}
