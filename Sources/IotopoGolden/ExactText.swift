/// A text compared and hashed by its UTF-8 bytes.
///
/// A golden file passes only when its bytes are the output's bytes (Go's golden tests use
/// `bytes.Equal`). Swift's `String` equality is Unicode canonical equivalence instead: `é`
/// as U+00E9 equals `e` followed by U+0301, so comparing `String`s would pass a golden whose
/// bytes differ from the output, and count two runs as one output when they differ only in
/// normalisation.
struct ExactText: Hashable, Sendable {
    let text: String

    init(_ text: String) { self.text = text }

    static func == (l: ExactText, r: ExactText) -> Bool { l.text.utf8.elementsEqual(r.text.utf8) }

    func hash(into h: inout Hasher) { Self.hashBytes(text.utf8, into: &h) }

    /// Hashes UTF-8 bytes in one call where they are contiguous (any native string), else
    /// byte by byte; the length goes first so that concatenations do not collide.
    static func hashBytes<U: Collection>(_ bytes: U, into h: inout Hasher) where U.Element == UInt8 {
        h.combine(bytes.count)
        let done: Void? = bytes.withContiguousStorageIfAvailable { h.combine(bytes: UnsafeRawBufferPointer($0)) }
        if done == nil { for b in bytes { h.combine(b) } }
    }
}
