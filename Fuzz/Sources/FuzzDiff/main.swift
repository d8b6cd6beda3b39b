import FuzzSupport

/// `iotopo test`'s golden diff on two inputs (split at the first NUL byte). Invariants: the
/// diff is empty exactly when the texts are equal byte for byte; rendering never traps; the hunk
/// headers count the lines they show.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDiff(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: count)
    let cut = bytes.firstIndex(of: 0) ?? count
    let old = String(decoding: bytes[0 ..< cut], as: UTF8.self)
    let new = String(decoding: bytes[min(count, cut + 1)...], as: UTF8.self)
    let d = TextDiff(old: old, new: new, maxEdits: 200)
    let same = old.utf8.elementsEqual(new.utf8)
    Fuzz.check(d.isEmpty == same, "diff empty \(d.isEmpty) but texts byte-equal \(same)")
    let text = d.render(oldName: "golden", newName: "output")
    // Rendered once: after the two name lines, each hunk is an `@@` line and its lines, each
    // `OLD NEW | body` (a body line starts with its gutter, never with `@@`): two numbers
    // for a context line, one for a line only in one text, none for the "no newline" note.
    var shown: [(olds: Int, news: Int)] = []
    for line in text.utf8.split(separator: UInt8(ascii: "\n")).dropFirst(2) {
        if line.starts(with: "@@ ".utf8) { shown.append((0, 0)); continue }
        guard !shown.isEmpty, let bar = line.firstIndex(of: UInt8(ascii: "|")) else { continue }
        let numbers = line[..<bar].split(separator: UInt8(ascii: " ")).count
        let marker = line[line.index(bar, offsetBy: 2)]
        if numbers == 2 { shown[shown.count - 1].olds += 1; shown[shown.count - 1].news += 1 }
        else if numbers == 1 && marker == UInt8(ascii: "-") { shown[shown.count - 1].olds += 1 }
        else if numbers == 1 && marker == UInt8(ascii: "+") { shown[shown.count - 1].news += 1 }
    }
    Fuzz.check(shown.count == d.hunks.count, "\(d.hunks.count) hunks but \(shown.count) @@ lines")
    for (h, s) in zip(d.hunks, shown) {
        Fuzz.check(s.olds == h.oldCount && s.news == h.newCount, "hunk header -\(h.oldCount) +\(h.newCount) but \(s.olds)/\(s.news) lines shown")
    }
    Fuzz.check(text.isEmpty == d.isEmpty, "render of an empty diff is not empty")
    return 0
}
