import IotopoModel
import IotopoSource
import IotopoYAML

/// Reads the root file and everything it includes, parses and decodes each, in a
/// deterministic depth-first order.
///
/// Includes are relative to the including file. A file reached twice (a diamond) is loaded
/// once; a file that includes itself, directly or not, is an `include-cycle` error with a
/// note at every include on the cycle. A root file that `extends` another topology has that
/// topology's entries (and its includes, and what it extends) placed before its own, so
/// the base's entities keep their order; the platform is the root's.
package struct SourceLoader {
    package var files = SourceFiles()
    package var sink = DiagnosticSink()
    package var decls: [FileDecl] = []
    package var suppressions: [Suppression] = []
    /// The root file's platform (the one an `extends` chain ends at is ignored).
    package var rootPlatform: PlatformDecl?
    package let options: CompileOptions
    package let knownChecks: Set<String>
    private var loaded: [String: FileID] = [:]
    private var stack: [(key: String, site: SourceRange?)] = []
    private var generated = 0

    package init(options: CompileOptions, knownChecks: Set<String>) {
        self.options = options
        self.knownChecks = knownChecks
    }

    /// Loads `path` and its includes; `bytes` are the root's text when it was made in memory
    /// (an import), shown under `path`.
    package mutating func load(root path: String, bytes: [UInt8]? = nil) {
        confinement = options.includes.confinement(forRoot: path, inMemory: bytes != nil)
        if case let .folder(c, name) = options.includes {
            scope = name
            if bytes == nil, path != "-", !c.contains(path) {
                sink.error(CheckID.invalidInclude, "'\(path)' leads outside \(name), so it is not read: files a repository names must stay inside it; pass --allow-include-outside to allow it", at: nil)
                return
            }
        } else {
            let shown = path == "-" || bytes != nil ? "the working directory" : "'\(path)'"
            scope = PathConfinement.words(confinement, holding: shown)
        }
        load(path, site: nil, isRoot: true, given: bytes)
    }

    /// Where included files must resolve; nil: anywhere (`--allow-include-outside`).
    private var confinement: PathConfinement?
    /// The confinement in words, for the refusal.
    private var scope = ""

    /// The deepest chain of files loaded, the root counting as the first (docs/limits.md).
    /// Loading recurses once per file of the chain; 8,000 deep overflowed the stack.
    package static let maxIncludeDepth = 64

    private mutating func load(_ path: String, site: SourceRange?, isRoot: Bool, isBase: Bool = false, given: [UInt8]? = nil) {
        if stack.count >= Self.maxIncludeDepth {
            sink.error(CheckID.invalidInclude, "'\(path)' would be file \(stack.count + 1) of a chain of includes; chains are at most \(Self.maxIncludeDepth) files deep",
                       at: site, notes: stack.first?.site.map { [DiagnosticNote("the chain starts here", at: $0)] } ?? [])
            return
        }
        let key = FileReader.canonicalPath(path) ?? path
        if let i = stack.firstIndex(where: { $0.key == key }) {
            var notes: [DiagnosticNote] = []
            for entry in stack[(i + 1)...] {
                if let s = entry.site { notes.append(DiagnosticNote("included from here", at: s)) }
            }
            let chain = (stack[i...].map { displayName($0.key) } + [displayName(key)]).joined(separator: " -> ")
            sink.error(CheckID.includeCycle, "include cycle: \(chain)", at: site, notes: notes)
            return
        }
        if loaded[key] != nil { return }
        // docs/security.md: a repository may name any path, and diagnostics quote what they
        // read, so a file outside (`/etc/shadow`, `../../token`, a link to
        // `/proc/self/environ`) is refused before it is opened.
        if !isRoot, let c = confinement, !c.contains(path) {
            sink.error(CheckID.invalidInclude, "'\(path)' leads outside \(scope), so it is not read; pass --allow-include-outside to allow it",
                       at: site)
            return
        }
        let bytes: [UInt8]
        switch given.map({ .success($0) }) ?? FileReader.read(path, limit: options.limits.maxFileSize) {
        case let .success(b): bytes = b
        case let .failure(f):
            let id = f.tooLarge ? files.add(path: path, bytes: nil) : nil
            if let id, f.tooLarge {
                sink.error(YAMLCheck.limit, "'\(path)' \(f.reason)", at: site ?? .fileStart(id))
            } else {
                sink.error(CheckID.ioError, "cannot read '\(path)': \(f.reason)", at: site)
            }
            return
        }
        let id = files.add(path: path == "-" ? "<stdin>" : path, bytes: bytes)
        loaded[key] = id
        var timer = PhaseTimer()
        guard let doc = YAMLLoader.parse(bytes, file: id, limits: options.limits, sink: &sink) else { return }
        timer.mark("parse \(files.path(id))")
        var decoder = Decoder(doc: doc, knownChecks: knownChecks, generatedBefore: generated, maxGenerated: options.maxGenerated)
        let decl = decoder.file(isRoot: isRoot, isBase: isBase)
        timer.mark("decode \(files.path(id))")
        generated += decoder.generated
        sink.absorb(decoder.sink)
        suppressions += decoder.suppressions
        if isRoot { rootPlatform = decl.platform }
        stack.append((key, site))
        if let base = decl.extends {
            load(PathText.resolve(base.path, from: files.path(id)), site: base.range, isRoot: false, isBase: true)
        }
        decls.append(decl)
        for inc in decl.includes {
            load(PathText.resolve(inc.path, from: files.path(id)), site: inc.range, isRoot: false)
        }
        stack.removeLast()
    }

    private func displayName(_ key: String) -> String {
        if let id = loaded[key] { return files.path(id) }
        return key.split(separator: "/").last.map(String.init) ?? key
    }
}
