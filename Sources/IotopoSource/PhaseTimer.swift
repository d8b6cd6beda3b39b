#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock phase timings for diagnosing performance, printed to standard error when the
/// environment sets `IOTOPO_TIMINGS=1`. Never part of any output a test or golden reads.
public struct PhaseTimer: Sendable {
    private let enabled: Bool
    private var last: Double

    /// Starts timing (a no-op unless `IOTOPO_TIMINGS=1`).
    public init() {
        if let v = getenv("IOTOPO_TIMINGS") { enabled = v.pointee == UInt8(ascii: "1") } else { enabled = false }
        last = PhaseTimer.now()
    }

    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Reports the time since the previous mark under `name`.
    public mutating func mark(_ name: String) {
        guard enabled else { return }
        let t = PhaseTimer.now()
        let ms = Int((t - last) * 1000)
        let line = "iotopo timing: \(name) \(ms) ms\n"
        var text = line
        text.withUTF8 { buf in _ = write(2, buf.baseAddress, buf.count) }
        last = t
    }
}
