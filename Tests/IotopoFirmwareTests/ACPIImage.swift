import IotopoFirmware

/// An ACPI table built field by field, little-endian, with its length and checksum fixed up
/// by `finish`: the hand-written fixtures of the firmware readers.
struct ACPIImage {
    var bytes: [UInt8] = []

    init(_ signature: String, revision: UInt8 = 1) {
        bytes = Array(signature.utf8.prefix(4))
        u32(0)               // length, set by finish
        u8(revision)
        u8(0)                // checksum, set by finish
        text("IOTOPO", 6)
        text("FIXTURE", 8)
        u32(1)
        text("TEST", 4)
        u32(1)
    }

    var count: Int { bytes.count }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { for i in 0 ..< 2 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt16(i)))) } }
    mutating func u32(_ v: UInt32) { for i in 0 ..< 4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
    mutating func u64(_ v: UInt64) { for i in 0 ..< 8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
    mutating func zeros(_ n: Int) { bytes += [UInt8](repeating: 0, count: n) }
    mutating func text(_ s: String, _ n: Int) {
        let u = Array(s.utf8.prefix(n))
        bytes += u + [UInt8](repeating: 0, count: n - u.count)
    }

    mutating func put16(_ at: Int, _ v: UInt16) {
        bytes[at] = UInt8(truncatingIfNeeded: v)
        bytes[at + 1] = UInt8(truncatingIfNeeded: v >> 8)
    }

    mutating func put32(_ at: Int, _ v: UInt32) {
        put16(at, UInt16(truncatingIfNeeded: v))
        put16(at + 2, UInt16(truncatingIfNeeded: v >> 16))
    }

    /// A DMAR remapping structure: type, then length back-patched after `body`.
    mutating func dmarStructure(_ type: UInt16, _ body: (inout ACPIImage) -> Void) {
        let start = count
        u16(type)
        u16(0)
        body(&self)
        put16(start + 2, UInt16(count - start))
    }

    /// A DMAR device scope: type, enumeration ID, start bus, path.
    mutating func scope(_ type: UInt8, bus: UInt8, path: [(UInt8, UInt8)], enumeration: UInt8 = 0) {
        u8(type)
        u8(UInt8(6 + 2 * path.count))
        u16(0)
        u8(enumeration)
        u8(bus)
        for (d, f) in path { u8(d); u8(f) }
    }

    /// An IVRS block: type, flags, length back-patched after `body`.
    mutating func ivrsBlock(_ type: UInt8, flags: UInt8 = 0, _ body: (inout ACPIImage) -> Void) {
        let start = count
        u8(type)
        u8(flags)
        u16(0)
        body(&self)
        put16(start + 2, UInt16(count - start))
    }

    /// An IORT node: type, length back-patched, revision, identifier, mappings at the end.
    /// Returns the node's offset.
    @discardableResult
    mutating func iortNode(_ type: UInt8, revision: UInt8 = 0, mappings: [(UInt32, UInt32, UInt32, UInt32, UInt32)] = [],
                           _ body: (inout ACPIImage) -> Void) -> Int {
        let start = count
        u8(type)
        u16(0)
        u8(revision)
        u32(0)
        u32(UInt32(mappings.count))
        u32(0)
        body(&self)
        if !mappings.isEmpty {
            put32(start + 12, UInt32(count - start))
            for m in mappings { u32(m.0); u32(m.1); u32(m.2); u32(m.3); u32(m.4) }
        }
        put16(start + 1, UInt16(count - start))
        return start
    }

    /// Sets the length and the checksum.
    func finish(checksumOK: Bool = true) -> [UInt8] {
        var b = self
        b.put32(4, UInt32(b.count))
        var sum: UInt8 = 0
        for x in b.bytes { sum &+= x }
        b.bytes[9] = (0 &- sum) &+ (checksumOK ? 0 : 1)
        return b.bytes
    }
}

extension Array where Element == FirmwareProblem {
    var errors: [FirmwareProblem] { filter { $0.severity == .error } }
    var warnings: [FirmwareProblem] { filter { $0.severity == .warning } }
    var texts: [String] { map(\.located) }
}
