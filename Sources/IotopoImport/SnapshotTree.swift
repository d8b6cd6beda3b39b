import IotopoSource
#if canImport(Glibc)
import Glibc
#endif

/// The files of a snapshot, by relative path (`sys/bus/pci/devices/0000:00:1f.0/config`):
/// collected from a live host into memory, or read back from a folder.
public struct SnapshotTree: Sendable {
    /// Files by relative path.
    public private(set) var files: [String: [UInt8]] = [:]

    public init() {}

    public subscript(path: String) -> [UInt8]? { files[path] }

    public mutating func set(_ path: String, _ bytes: [UInt8]) { files[path] = bytes }

    /// The text of a file without its trailing newline.
    public func text(_ path: String) -> String? {
        guard let b = files[path] else { return nil }
        var s = String(decoding: b, as: UTF8.self)
        while s.hasSuffix("\n") || s.hasSuffix("\r") { s.removeLast() }
        return s
    }

    /// The names directly under a folder, sorted.
    public func children(_ dir: String) -> [String] {
        let prefix = dir.isEmpty ? "" : dir + "/"
        var out = Set<String>()
        for k in files.keys where k.hasPrefix(prefix) {
            let rest = k.dropFirst(prefix.count)
            if let name = rest.split(separator: "/", maxSplits: 1).first { out.insert(String(name)) }
        }
        return out.sorted()
    }

    /// Every path, sorted (the order files are written in).
    public var paths: [String] { files.keys.sorted() }
}

/// Why a snapshot folder could not be read.
public struct SnapshotProblem: Error, Sendable {
    public var path: String
    public var id: String
    public var message: String
}

extension SnapshotTree {
    /// Reads a snapshot folder: regular files only. A link anywhere in it is refused (a
    /// snapshot holds files, and a link could lead outside it, to a secret or a device); so
    /// are FIFOs and devices, which are never opened. At most `maxFiles` files and
    /// `maxBytes` bytes in all.
    public static func read(folder: String, maxFiles: Int = 200_000, maxBytes: Int = 256 << 20) -> Result<SnapshotTree, SnapshotProblem> {
        var tree = SnapshotTree()
        var total = 0
        var stack: [(String, String)] = [(folder, "")]
        var count = 0
        while let (dir, rel) = stack.popLast() {
            for name in listFolder(dir) {
                let full = dir.hasSuffix("/") ? dir + name : dir + "/" + name
                let relPath = rel.isEmpty ? name : rel + "/" + name
                var st = stat()
                guard lstat(full, &st) == 0 else { continue }
                switch st.st_mode & S_IFMT {
                case S_IFDIR:
                    stack.append((full, relPath))
                case S_IFREG:
                    count += 1
                    guard count <= maxFiles else {
                        return .failure(SnapshotProblem(path: full, id: ImportCheck.unreadable, message: "the snapshot holds more than \(maxFiles) files"))
                    }
                    switch FileReader.read(full, limit: 1 << 20) {
                    case let .success(b):
                        total += b.count
                        guard total <= maxBytes else {
                            return .failure(SnapshotProblem(path: full, id: ImportCheck.unreadable, message: "the snapshot holds more than \(maxBytes) bytes"))
                        }
                        tree.set(relPath, b)
                    case let .failure(f):
                        return .failure(SnapshotProblem(path: full, id: ImportCheck.unreadable, message: "cannot read '\(full)': \(f.reason)"))
                    }
                case S_IFLNK:
                    let target = readLink(full) ?? "?"
                    return .failure(SnapshotProblem(path: full, id: ImportCheck.linkOutside,
                                                    message: "'\(full)' is a link (to '\(target)'): a snapshot holds plain files only, and a link may lead outside it"))
                default:
                    return .failure(SnapshotProblem(path: full, id: ImportCheck.unreadable,
                                                    message: "'\(full)' is not a regular file (a FIFO, socket or device): a snapshot holds plain files only"))
                }
            }
        }
        return .success(tree)
    }

    /// Writes the tree under `folder`, which must not exist or be empty; every file through
    /// the atomic writer.
    public func write(folder: String) -> Result<Void, SnapshotProblem> {
        var st = stat()
        if stat(folder, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFDIR, listFolder(folder).isEmpty else {
                return .failure(SnapshotProblem(path: folder, id: ImportCheck.unreadable, message: "'\(folder)' exists and is not an empty folder"))
            }
        } else if mkdir(folder, 0o755) != 0 {
            return .failure(SnapshotProblem(path: folder, id: ImportCheck.unreadable, message: "cannot create '\(folder)': \(FileReader.describe(errno))"))
        }
        var made = Set<String>()
        for p in paths {
            let parts = p.split(separator: "/")
            var dir = folder
            for part in parts.dropLast() {
                dir += "/" + part
                if made.insert(dir).inserted, mkdir(dir, 0o755) != 0, errno != EEXIST {
                    return .failure(SnapshotProblem(path: dir, id: ImportCheck.unreadable, message: "cannot create '\(dir)': \(FileReader.describe(errno))"))
                }
            }
            do {
                try AtomicWriter.write(files[p] ?? [], to: folder + "/" + p)
            } catch {
                return .failure(SnapshotProblem(path: p, id: ImportCheck.unreadable, message: "\(error)"))
            }
        }
        return .success(())
    }
}

/// The entries of a folder, sorted, without `.` and `..`.
func listFolder(_ dir: String) -> [String] {
    guard let d = opendir(dir) else { return [] }
    defer { closedir(d) }
    var out: [String] = []
    while let e = readdir(d) {
        let name = withUnsafeBytes(of: e.pointee.d_name) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
        if name != "." && name != ".." { out.append(name) }
    }
    return out.sorted()
}

/// A link's target, as text.
func readLink(_ path: String) -> String? {
    var buf = [UInt8](repeating: 0, count: 4096)
    let n = buf.withUnsafeMutableBytes { raw -> Int in
        guard let base = raw.baseAddress else { return -1 }
        return readlink(path, base.assumingMemoryBound(to: CChar.self), raw.count - 1)
    }
    guard n >= 0 else { return nil }
    return String(decoding: buf[..<n], as: UTF8.self)
}
