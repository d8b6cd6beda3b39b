#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Environment variables, read without Foundation.
public enum Environment {
    /// The value of `name`, or nil when unset. `getenv` returns a string the C runtime
    /// keeps NUL-terminated (POSIX), so `strlen` bounds it; the bytes are decoded as UTF-8,
    /// with invalid sequences replaced, never trusted as valid.
    public static func value(_ name: String) -> String? {
        guard let p = getenv(name) else { return nil }
        let n = strlen(p)
        return p.withMemoryRebound(to: UInt8.self, capacity: n) { String(decoding: UnsafeBufferPointer(start: $0, count: n), as: UTF8.self) }
    }
}
