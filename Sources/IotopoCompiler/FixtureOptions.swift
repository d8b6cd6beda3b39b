import IotopoSource

/// The compile options a fixture asks for in a comment near its top:
/// `# options: -Werror --disable ID --max-file-size SIZE --max-generated N`.
public enum FixtureOptions {
    /// The options in `text` (defaults when it has no `# options:` line).
    public static func parse(_ text: String) -> CompileOptions {
        var o = CompileOptions()
        let marker = Array("# options:".utf8)
        var words: [String] = []
        for line in text.utf8.split(separator: UInt8(ascii: "\n")) {
            let bytes = Array(line)
            guard bytes.count >= marker.count,
                  let at = (0 ... bytes.count - marker.count).first(where: { Array(bytes[$0 ..< $0 + marker.count]) == marker }) else { continue }
            words = bytes[(at + marker.count)...].split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
            break
        }
        guard !words.isEmpty else { return o }
        var i = 0
        var disabled = Set<String>()
        while i < words.count {
            switch words[i] {
            case "-Werror": o.policy.warningsAsErrors = true
            case "--disable": i += 1; if i < words.count { disabled.insert(words[i]) }
            case "--max-file-size": i += 1; if i < words.count, case let .success(v) = IntegerSyntax.evaluate(words[i]) { o.limits.maxFileSize = Int(clamping: v) }
            case "--max-generated": i += 1; if i < words.count { o.maxGenerated = Int(words[i]) ?? o.maxGenerated }
            default: break
            }
            i += 1
        }
        o.policy.disabled = disabled
        return o
    }
}
