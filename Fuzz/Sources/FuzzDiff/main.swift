import FuzzSupport

/// `iotopo test`'s golden diff on two inputs (split at the first NUL byte). Invariants: the
/// diff is empty exactly when the texts are equal; rendering never traps; the hunk
/// headers count the lines they show.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDiff(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: count)
    let cut = bytes.firstIndex(of: 0) ?? count
    let old = String(decoding: bytes[0 ..< cut], as: UTF8.self)
    let new = String(decoding: bytes[min(count, cut + 1)...], as: UTF8.self)
    let d = TextDiff(old: old, new: new, maxEdits: 200)
    Fuzz.check(d.isEmpty == (old == new), "diff empty \(d.isEmpty) but texts equal \(old == new)")
    let text = d.render(oldName: "golden", newName: "output")
    for h in d.hunks {
        // Each line is `OLD NEW | body`: two numbers for a context line, one for a line
        // only in one text, none for the "no newline" note.
        var olds = 0, news = 0
        for line in d.render(h).utf8.split(separator: UInt8(ascii: "\n")).dropFirst() {
            guard let bar = line.firstIndex(of: UInt8(ascii: "|")) else { continue }
            let numbers = line[..<bar].split(separator: UInt8(ascii: " ")).count
            let marker = line[line.index(bar, offsetBy: 2)]
            if numbers == 2 { olds += 1; news += 1 }
            else if numbers == 1 && marker == UInt8(ascii: "-") { olds += 1 }
            else if numbers == 1 && marker == UInt8(ascii: "+") { news += 1 }
        }
        Fuzz.check(olds == h.oldCount && news == h.newCount, "hunk header -\(h.oldCount) +\(h.newCount) but \(olds)/\(news) lines shown")
    }
    Fuzz.check(text.isEmpty == d.isEmpty, "render of an empty diff is not empty")
    return 0
}
