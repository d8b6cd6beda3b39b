/// One loaded source file: the path shown to users and its bytes.
public struct SourceFile: Sendable {
    /// The path as displayed in diagnostics: relative to the directory the user ran the tool
    /// from when the user gave a relative path, never made absolute by the tool.
    public let path: String
    /// The file's bytes, when they were read; nil for files known only by path (a model read
    /// back from JSON names its YAML sources without loading them).
    public let bytes: [UInt8]?

    /// Creates a file record.
    public init(path: String, bytes: [UInt8]?) {
        self.path = path
        self.bytes = bytes
    }
}

/// The table of every file a run has loaded, indexed by `FileID`.
///
/// Files are appended in load order, so IDs (and every order derived from them) are the same
/// on every run over the same input.
public struct SourceFiles: Sendable {
    /// The files, in load order.
    public private(set) var files: [SourceFile] = []

    /// Creates an empty table.
    public init() {}

    /// Adds a file and returns its ID.
    public mutating func add(path: String, bytes: [UInt8]?) -> FileID {
        files.append(SourceFile(path: path, bytes: bytes))
        return FileID(UInt32(files.count - 1))
    }

    /// The file with the given ID.
    public subscript(id: FileID) -> SourceFile { files[Int(id.raw)] }

    /// The display path of a file.
    public func path(_ id: FileID) -> String { files[Int(id.raw)].path }

    /// The ID of an already loaded file with this display path, if any.
    public func id(forPath path: String) -> FileID? {
        files.firstIndex { $0.path == path }.map { FileID(UInt32($0)) }
    }

    /// Replaces the bytes of a file known only by path (used when a renderer wants a snippet).
    public mutating func setBytes(_ bytes: [UInt8], for id: FileID) {
        let old = files[Int(id.raw)]
        files[Int(id.raw)] = SourceFile(path: old.path, bytes: bytes)
    }
}
