/// One shard of a run spread over several CI machines.
///
/// A case belongs to shard `fnv1a64(name) mod count`: the assignment depends on nothing but
/// the name, so every machine agrees without talking, adding a case moves no other case,
/// and the union of all shards is every case exactly once. Obsolete goldens are shared out
/// the same way, by path, so each is reported by exactly one shard.
public struct Shard: Sendable, Equatable {
    /// 0-based index.
    public let index: Int
    public let count: Int

    public init?(index: Int, count: Int) {
        guard count >= 1, index >= 0, index < count else { return nil }
        self.index = index
        self.count = count
    }

    /// Parses the 1-based `i/n` of `--shard`.
    public init?(oneBased text: String) {
        let p = text.split(separator: "/", omittingEmptySubsequences: false)
        guard p.count == 2, let i = Int(p[0]), let n = Int(p[1]) else { return nil }
        self.init(index: i - 1, count: n)
    }

    /// Whether a case (or an obsolete golden) of this name belongs to this shard.
    public func contains(_ name: String) -> Bool {
        Int(Self.fnv1a64(name) % UInt64(count)) == index
    }

    /// `i/n`, 1-based, as users write it.
    public var description: String { "\(index + 1)/\(count)" }

    /// FNV-1a, 64-bit, over the UTF-8 bytes: stable across runs, machines and versions
    /// (Swift's own hashing is seeded per process).
    public static func fnv1a64(_ s: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in s.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        return h
    }
}
