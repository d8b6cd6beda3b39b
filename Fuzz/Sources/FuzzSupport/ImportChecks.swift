import IotopoSource

extension Fuzz {
    /// Each diagnostic and note in a file the run holds the bytes of must lie inside the line
    /// it names, with lines split as the diagnostic renderer and `checkRanges` split them
    /// (`LineBreaks`): the start column at most one past the line's last scalar and, on one
    /// line, the end column too. (`checkRanges` checks the line numbers only.) A range that
    /// overruns its line means the reader counted lines or columns another way than the
    /// renderer, so the excerpt under the message shows another line than the one meant.
    public static func checkRangesInsideLines(_ diagnostics: [Diagnostic], _ files: SourceFiles) {
        guard !diagnostics.isEmpty else { return }
        var starts: [Int: [Int]] = [:]
        func check(_ r: SourceRange?, _ what: @autoclosure () -> String) {
            guard let r, Int(r.file.raw) < files.files.count, let bytes = files.files[Int(r.file.raw)].bytes else { return }
            let key = Int(r.file.raw)
            if starts[key] == nil { starts[key] = LineBreaks.starts(bytes) }
            guard let s = starts[key], let line = LineBreaks.line(Int(r.start.line), starts: s, bytes: bytes) else {
                Fuzz.check(false, "\(what()): line \(r.start.line) is not in the file")
                return
            }
            let scalars = UInt32(String(decoding: line, as: UTF8.self).unicodeScalars.count)
            Fuzz.check(r.start.column <= scalars + 1,
                       "\(what()): starts at column \(r.start.column) of line \(r.start.line), which has \(scalars) characters as the renderer splits lines")
            if r.end.line == r.start.line {
                Fuzz.check(r.end.column <= scalars + 1,
                           "\(what()): ends at column \(r.end.column) of line \(r.start.line), which has \(scalars) characters as the renderer splits lines")
            }
        }
        for d in diagnostics {
            check(d.range, "diagnostic \(d.id) '\(d.message)'")
            for n in d.notes { check(n.range, "a note of \(d.id) '\(n.message)'") }
        }
    }
}
