import IotopoSource

/// The compile options a fixture asks for in a comment near its top:
/// `# options: -Werror --disable ID --max-file-size SIZE --max-generated N`.
public enum FixtureOptions {
    /// The options in `text` (defaults when it has no `# options:` line), and what in that
    /// line could not be understood: an unknown word, a missing or bad value.
    public static func read(_ text: String) -> (options: CompileOptions, problems: [String]) {
        var o = CompileOptions()
        let marker = Array("# options:".utf8)
        var words: [String] = []
        for line in text.utf8.split(separator: UInt8(ascii: "\n")) {
            let bytes = Array(line)
            guard bytes.count >= marker.count,
                  let at = (0 ... bytes.count - marker.count).first(where: { Array(bytes[$0 ..< $0 + marker.count]) == marker }) else { continue }
            // Spaces, tabs and a CRLF file's carriage return all separate words.
            words = bytes[(at + marker.count)...].split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D })
                .map { String(decoding: $0, as: UTF8.self) }
            break
        }
        var problems: [String] = []
        var i = 0
        var disabled = Set<String>()
        /// The value after option `words[i]`, or nil (and a problem) when there is none.
        func value() -> String? {
            i += 1
            if i < words.count { return words[i] }
            problems.append("'\(words[i - 1])' needs a value")
            return nil
        }
        while i < words.count {
            switch words[i] {
            case "-Werror": o.policy.warningsAsErrors = true
            case "--disable": if let v = value() { disabled.insert(v) }
            case "--max-file-size":
                if let v = value() {
                    if case let .success(n) = IntegerSyntax.evaluate(v) { o.limits.maxFileSize = Int(clamping: n) } else { problems.append("'--max-file-size \(v)' is not a size") }
                }
            case "--max-generated":
                if let v = value() {
                    if let n = Int(v), n >= 0 { o.maxGenerated = n } else { problems.append("'--max-generated \(v)' is not a count") }
                }
            default: problems.append("unknown option '\(words[i])' (known: -Werror, --disable ID, --max-file-size SIZE, --max-generated N)")
            }
            i += 1
        }
        o.policy.disabled = disabled
        return (o, problems)
    }
}
