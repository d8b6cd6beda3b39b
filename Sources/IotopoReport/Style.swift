/// Terminal styling: ANSI colour when enabled, plain text otherwise.
public struct TextStyle: Sendable {
    /// Whether to emit escape sequences.
    public let enabled: Bool

    /// Creates a style.
    public init(enabled: Bool) { self.enabled = enabled }

    /// No colour.
    public static let plain = TextStyle(enabled: false)

    func wrap(_ s: String, _ code: String) -> String { enabled ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }

    /// Bold.
    public func bold(_ s: String) -> String { wrap(s, "1") }
    /// Bold red.
    public func red(_ s: String) -> String { wrap(s, "1;31") }
    /// Bold magenta.
    public func magenta(_ s: String) -> String { wrap(s, "1;35") }
    /// Bold cyan.
    public func cyan(_ s: String) -> String { wrap(s, "1;36") }
    /// Bold green.
    public func green(_ s: String) -> String { wrap(s, "1;32") }
    /// Dim.
    public func dim(_ s: String) -> String { wrap(s, "2") }
}
