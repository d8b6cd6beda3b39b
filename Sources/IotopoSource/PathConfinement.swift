#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One folder that a repository's own references may not lead out of (docs/security.md).
///
/// A pull request can carry any file, name or symbolic link. What a repository names
/// itself (an include, a workload's `topology:`, a golden file, a case's input) is read or
/// written only when the path, with every symbolic link on it followed, stays inside this
/// folder. Paths a user types on the command line are the user's choice and are not
/// confined; `--allow-include-outside` lifts the rule for includes.
///
/// Paths are resolved component by component with `lstat` and `readlink` (as `realpath`
/// does, but also for a path whose last components do not exist yet, such as a golden about
/// to be created), so a link to a link to `/etc`, a `..` after a link, or a folder link on
/// the way all resolve where the kernel would take them. The folder is compared as a
/// canonical absolute path, which is never printed: output stays free of absolute paths.
/// The check and the later open are two steps; this guards a repository's static contents,
/// not a file system changed by a concurrent attacker between them.
public struct PathConfinement: Sendable, Equatable, CustomStringConvertible {
    /// The folder, canonical and absolute.
    public let root: String

    /// The folder `path` names (which must exist), resolved; nil when it cannot be.
    public init?(folder path: String) {
        guard let r = Self.canonical(path), FileReader.isDirectory(r) else { return nil }
        root = r
    }

    public var description: String { root }

    /// Whether the folder is a git repository's top (it holds a `.git` entry), rather than
    /// a root file's folder outside any repository.
    public var isRepository: Bool {
        var st = stat()
        return lstat(root == "/" ? "/.git" : root + "/.git", &st) == 0
    }

    /// Whether `path` (absolute, or relative to the working directory), with its links
    /// followed, is the folder itself or lies under it. A path that cannot be resolved (a
    /// loop of links) is outside.
    public func contains(_ path: String) -> Bool {
        guard let c = Self.canonical(path) else { return false }
        return Self.isUnder(c, root)
    }

    /// Whether the canonical path `c` is `root` or below it.
    static func isUnder(_ c: String, _ root: String) -> Bool {
        if root == "/" { return true }
        return c == root || c.hasPrefix(root + "/")
    }

    /// The confinement for files a root file names: the git repository holding it (the
    /// nearest folder above the file, links followed, with a `.git` entry: a folder, or the
    /// file a worktree has), else the root file's own folder.
    public static func repository(holding file: String) -> PathConfinement? {
        guard file != "-", let c = canonical(file) else { return nil }
        return repository(from: PathText.directory(c))
    }

    /// The git repository holding `folder` (the nearest folder at or above it with a
    /// `.git` entry), else `folder` itself.
    public static func repository(from folder: String) -> PathConfinement? {
        guard let c = canonical(folder) else { return nil }
        var dir = c
        while true {
            var st = stat()
            if lstat(dir == "/" ? "/.git" : dir + "/.git", &st) == 0 { return PathConfinement(folder: dir) }
            if dir == "/" { break }
            dir = PathText.directory(dir)
        }
        return PathConfinement(folder: c)
    }

    /// The most links followed in one path before it counts as a loop (Linux's MAXSYMLINKS).
    static let maxLinks = 40

    /// `path` made absolute with every symbolic link followed and `.` and `..` applied in
    /// the order the kernel applies them; components that do not exist are kept as written.
    /// Nil for a loop of links or an unreadable working directory.
    public static func canonical(_ path: String) -> String? {
        guard path != "-", !path.isEmpty else { return nil }
        var todo: [Substring] = []
        if !path.hasPrefix("/") {
            guard let cwd = workingDirectory() else { return nil }
            todo = cwd.split(separator: "/")
        }
        todo += path.split(separator: "/")
        todo.reverse()  // a stack: the next component is the last
        var done: [Substring] = []
        var links = 0
        var missing = false
        while let c = todo.popLast() {
            if c == "." { continue }
            if c == ".." {
                if !done.isEmpty { done.removeLast() }
                continue
            }
            done.append(c)
            if missing { continue }
            let here = "/" + done.joined(separator: "/")
            var st = stat()
            guard lstat(here, &st) == 0 else {
                // Nothing past a missing component can be a link: the rest is lexical.
                missing = true
                continue
            }
            guard (st.st_mode & S_IFMT) == S_IFLNK else { continue }
            links += 1
            guard links <= maxLinks, let target = readLink(here) else { return nil }
            done.removeLast()
            if target.hasPrefix("/") { done.removeAll() }
            todo += target.split(separator: "/").reversed()
        }
        return "/" + done.joined(separator: "/")
    }

    /// Where a symbolic link points, as written in it.
    static func readLink(_ path: String) -> String? {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buf, buf.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buf[0 ..< n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func workingDirectory() -> String? {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buf, buf.count) != nil else { return nil }
        let bytes = buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The first path at or under `path` (a file, or a folder walked without following
    /// links out of it) that leads outside: `path` itself, or `path/a/b` as reached. Nil
    /// when everything stays inside. Folders are walked once each (a link back up is not a
    /// loop), at most `limit` entries.
    public func firstEscape(at path: String, limit: Int = 100_000) -> String? {
        guard let c = Self.canonical(path), Self.isUnder(c, root) else { return path }
        var seen: Set<String> = []
        var queue: [(shown: String, canonical: String)] = [(path, c)]
        var visited = 0
        while let (shown, canon) = queue.popLast() {
            guard FileReader.isDirectory(canon), seen.insert(canon).inserted else { continue }
            for name in FileReader.list(canon) {
                visited += 1
                if visited > limit { return nil }
                let child = shown + "/" + name
                guard let cc = Self.canonical(canon + "/" + name) else { return child }
                guard Self.isUnder(cc, root) else { return child }
                queue.append((child, cc))
            }
        }
        return nil
    }
}

extension PathConfinement {
    /// A repository rule in words, for a refusal: "the git repository holding SHOWN", or
    /// "the folder of SHOWN (it is in no git repository)" when the root file is in none.
    public static func words(_ c: PathConfinement?, holding shown: String) -> String {
        c?.isRepository == true ? "the git repository holding \(shown)" : "the folder of \(shown) (it is in no git repository)"
    }
}

/// Which files a topology may pull in by naming them (docs/security.md). A repository can
/// carry any include path or symbolic link, and diagnostics quote the lines they read, so
/// an include of `/etc/shadow`, `../../token` or `/proc/self/environ` would print it.
/// The same rule holds for the files a device tree source has dtc read (`/include/`,
/// `/incbin/`), which is why it lives here, below both the compiler and the importer.
public enum IncludeScope: Sendable, Equatable {
    /// Inside the git repository holding the root file (the nearest folder above it with a
    /// `.git`), else inside the root file's folder: the default.
    case repository
    /// Inside this folder, the root file included (`iotopo test`: the project root), which
    /// `name` names in the refusal ("the project root").
    case folder(PathConfinement, name: String)
    /// Anywhere (`--allow-include-outside`).
    case anywhere

    /// This scope in words for a refusal, the root file shown as `shown`: the folder's
    /// name, or the confinement's words (`PathConfinement.words(holding:)`), for the root
    /// file `path`.
    public func words(forRoot path: String, shown: String, inMemory: Bool = false) -> String {
        if case let .folder(_, name) = self { return name }
        return PathConfinement.words(confinement(forRoot: path, inMemory: inMemory), holding: shown)
    }

    /// The folder files named from the root file `path` must stay in; nil: anywhere.
    /// Standard input and a topology made in memory have no file of their own: the folder
    /// the tool runs in stands for it.
    public func confinement(forRoot path: String, inMemory: Bool = false) -> PathConfinement? {
        switch self {
        case .anywhere: return nil
        case let .folder(c, _): return c
        case .repository:
            return inMemory || path == "-" ? PathConfinement.repository(from: ".") : PathConfinement.repository(holding: path)
        }
    }
}
