@_exported import IotopoCompiler
@_exported import IotopoWorkload
@_exported import IotopoEngine
@_exported import IotopoGolden
@_exported import IotopoModel
@_exported import IotopoSource
#if canImport(Glibc)
import Glibc
#endif

/// What every harness shares: a scratch folder in memory, and invariant failures that
/// crash loudly so libFuzzer records the input.
public enum Fuzz {
    /// A per-process folder under /dev/shm (or /tmp), created once.
    public static let scratch: String = {
        let base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
        let dir = "\(base)/iotopo-fuzz-\(getpid())"
        mkdir(dir, 0o700)
        return dir
    }()

    /// Writes bytes to a file in the scratch folder and returns its path.
    public static func write(_ name: String, _ bytes: UnsafeRawBufferPointer) -> String {
        let path = scratch + "/" + name
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        precondition(fd >= 0, "cannot write the fuzz scratch file")
        var done = 0
        while done < bytes.count, let base = bytes.baseAddress {
            let n = Glibc.write(fd, base + done, bytes.count - done)
            if n <= 0 { break }
            done += n
        }
        close(fd)
        return path
    }

    public static func write(_ name: String, _ text: String) -> String {
        var t = text
        return t.withUTF8 { write(name, UnsafeRawBufferPointer($0)) }
    }

    /// A line on standard error.
    public static func say(_ line: String) {
        var text = line + "\n"
        text.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }

    /// An invariant that must hold whatever the input: a violation aborts, and libFuzzer
    /// saves the input as a crash.
    public static func check(_ ok: Bool, _ message: @autoclosure () -> String) {
        if !ok {
            Fuzz.say("invariant violated: \(message())")
            abort()
        }
    }

    /// Diagnostics must point inside the files they name: lines from 1 to the file's line
    /// count (+1 for an end-of-file position), columns from 1.
    public static func checkRanges(_ diagnostics: [Diagnostic], _ files: SourceFiles) {
        guard !diagnostics.isEmpty else { return }
        // Each file's line count, counted once (not once per diagnostic).
        let lineCounts = files.files.map { $0.bytes.map { UInt32(LineBreaks.starts($0).count) } }
        func valid(_ r: SourceRange?) -> Bool {
            guard let r else { return true }
            guard Int(r.file.raw) < files.files.count else { return false }
            guard let lines = lineCounts[Int(r.file.raw)] else { return r.start.line <= 1 }
            return r.start.line >= 1 && r.start.line <= lines && r.start.column >= 1
                && (r.end.line > r.start.line || r.end.line == r.start.line && r.end.column >= r.start.column) && r.end.line <= lines
        }
        for d in diagnostics {
            check(valid(d.range), "diagnostic \(d.id) '\(d.message)' has a range outside its file: \(String(describing: d.range))")
            for n in d.notes { check(valid(n.range), "a note of \(d.id) has a range outside its file") }
        }
    }
}
