/// Resource limits of the YAML front end, all in one place (docs/limits.md lists them).
///
/// Each limit turns hostile input (an alias bomb, 100,000-deep flow nesting, a huge file)
/// into a located error that costs milliseconds instead of a hang or an exhausted machine.
public struct YAMLLimits: Sendable, Equatable {
    /// Largest file accepted, in bytes (default 32 MiB; `--max-file-size` raises it).
    public var maxFileSize: Int
    /// Deepest nesting of mappings and sequences (default 64). Refused at the start event
    /// that crosses it, so libyaml's quadratic handling of very deep flow nesting never runs long.
    public var maxDepth: Int
    /// Most nodes that aliases may produce in one file, counted as if every alias were
    /// expanded (default 1,000,000). The rule go-yaml adopted after CVE-2019-11253.
    public var maxAliasNodes: Int
    /// Most nodes one file may hold (default 16,000,000, about 200,000 devices' worth).
    public var maxNodes: Int

    /// The documented defaults.
    public static let `default` = YAMLLimits(
        maxFileSize: 32 << 20, maxDepth: 64, maxAliasNodes: 1_000_000, maxNodes: 16_000_000)

    /// Creates a set of limits.
    public init(maxFileSize: Int, maxDepth: Int, maxAliasNodes: Int, maxNodes: Int) {
        self.maxFileSize = maxFileSize
        self.maxDepth = maxDepth
        self.maxAliasNodes = maxAliasNodes
        self.maxNodes = maxNodes
    }
}

/// The check IDs the YAML front end reports under.
public enum YAMLCheck {
    /// libyaml could not parse the text.
    public static let syntax = "yaml-syntax"
    /// A mapping has the same key twice.
    public static let duplicateKey = "yaml-duplicate-key"
    /// More than one document in a file.
    public static let multipleDocuments = "yaml-multiple-documents"
    /// An alias names no anchor defined before it (or its own enclosing node).
    public static let unknownAnchor = "yaml-unknown-anchor"
    /// A merge key (`<<`) whose value is not a mapping or a list of mappings.
    public static let badMerge = "yaml-bad-merge"
    /// A tag other than the YAML core schema's.
    public static let tag = "yaml-tag"
    /// The input is not UTF-8.
    public static let encoding = "yaml-encoding"
    /// A resource limit was crossed (file size, nesting depth, alias expansion, node count).
    public static let limit = "yaml-limit"

    /// Every ID above.
    public static let all = [syntax, duplicateKey, multipleDocuments, unknownAnchor, badMerge,
                             tag, encoding, limit]
}
