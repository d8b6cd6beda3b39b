/// A position in a source file: 1-based line and 1-based column.
///
/// Columns count Unicode scalars (what libyaml calls characters), not bytes, so a caret
/// printed under a line of non-ASCII text lands where the user expects.
public struct SourcePosition: Hashable, Comparable, Sendable {
    /// 1-based line number.
    public var line: UInt32
    /// 1-based column, in Unicode scalars.
    public var column: UInt32

    /// Creates a position from 1-based line and column.
    public init(line: UInt32, column: UInt32) {
        self.line = line
        self.column = column
    }

    public static func < (a: SourcePosition, b: SourcePosition) -> Bool {
        a.line != b.line ? a.line < b.line : a.column < b.column
    }
}

/// Identifies one file in a `SourceFiles` table.
public struct FileID: Hashable, Comparable, Sendable {
    /// Index into the table.
    public let raw: UInt32

    /// Creates an ID from a table index.
    public init(_ raw: UInt32) { self.raw = raw }

    public static func < (a: FileID, b: FileID) -> Bool { a.raw < b.raw }
}

/// A half-open range `[start, end)` in one file.
public struct SourceRange: Hashable, Sendable {
    /// The file the range lies in.
    public var file: FileID
    /// The first character of the range.
    public var start: SourcePosition
    /// One past the last character of the range.
    public var end: SourcePosition

    /// Creates a range.
    public init(file: FileID, start: SourcePosition, end: SourcePosition) {
        self.file = file
        self.start = start
        self.end = end
    }

    /// A range covering the first position of a file, for diagnostics about the file as a whole.
    public static func fileStart(_ file: FileID) -> SourceRange {
        let p = SourcePosition(line: 1, column: 1)
        return SourceRange(file: file, start: p, end: p)
    }

    /// Whether `other` lies entirely inside this range (same file).
    public func contains(_ other: SourceRange) -> Bool {
        file == other.file && start <= other.start && other.end <= end
    }
}

extension SourceRange: Comparable {
    public static func < (a: SourceRange, b: SourceRange) -> Bool {
        if a.file != b.file { return a.file < b.file }
        if a.start != b.start { return a.start < b.start }
        return a.end < b.end
    }
}
