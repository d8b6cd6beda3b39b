import IotopoCompiler
import IotopoWorkload
import IotopoSource
import XCTest

/// Finds the package root from this file's path, so tests read `topologies/` and `golden/`
/// from the checkout, never from bundle resources.
enum Package {
    static let root: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        while let last = parts.last, last != "Tests" { parts.removeLast() }
        parts.removeLast()
        return parts.joined(separator: "/")
    }()

    static func path(_ relative: String) -> String { root + "/" + relative }
}

/// One expected diagnostic: where its primary range starts and what it is.
struct Expectation: Hashable, CustomStringConvertible {
    var file: String
    var line: UInt32
    var severity: String
    var id: String
    var description: String { "\(file):\(line): \(severity) \(id)" }
}

/// The fixture harness: expectations written in the fixture, compared both ways.
///
/// `# expect: error duplicate-name` on a line expects that diagnostic to start on that line;
/// several are separated by `;`. `# expect@N: ...` names line N of the same file (line 0 for
/// a diagnostic with no location). A `NAME.expect` file beside a fixture holds `LINE: SEV ID`
/// lines, for fixtures that cannot hold comments (UTF-16 text, JSON). `# options: -Werror
/// --disable ID --max-file-size SIZE --max-generated N` sets compile options (`FixtureOptions`).
enum FixtureHarness {
    static func expectations(inFile path: String, text: String) -> [Expectation] {
        var out: [Expectation] = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard let r = line.range(of: "# expect") else { continue }
            var rest = line[r.upperBound...]
            var target = UInt32(n + 1)
            if rest.hasPrefix("@") {
                let digits = rest.dropFirst().prefix { $0.isNumber }
                target = UInt32(digits) ?? target
                rest = rest.dropFirst(1 + digits.count)
            }
            guard rest.hasPrefix(":") else { continue }
            for item in rest.dropFirst().split(separator: ";") {
                let w = item.split(separator: " ")
                if w.count >= 2 { out.append(Expectation(file: path, line: target, severity: String(w[0]), id: String(w[1]))) }
            }
        }
        return out
    }

    static func sidecar(_ root: String, display: String) -> [Expectation] {
        let path = (root as NSString).deletingPathExtension + ".expect"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        // `LINE: severity id`, or `PATH:LINE: severity id` for a file inside a snapshot
        // fixture (PATH relative to the fixture's folder).
        return text.split(separator: "\n").compactMap { line in
            guard let sep = line.range(of: ": ") else { return nil }
            let place = line[..<sep.lowerBound]
            var file = display
            var lineText = Substring(place)
            if let colon = place.lastIndex(of: ":") {
                file = display + "/" + place[..<colon]
                lineText = place[place.index(after: colon)...]
            }
            guard let n = UInt32(lineText.trimmingCharacters(in: .whitespaces)) else { return nil }
            let w = line[sep.upperBound...].split(separator: " ")
            guard w.count >= 2 else { return nil }
            return Expectation(file: file, line: n, severity: String(w[0]), id: String(w[1]))
        }
    }

    /// Compiles a fixture (path relative to the package root) and returns what was expected,
    /// what was found, and the result.
    static func run(_ relative: String) -> (expected: [Expectation], actual: [Expectation], files: SourceFiles) {
        let cwd = FileManager.default.currentDirectoryPath
        _ = FileManager.default.changeCurrentDirectoryPath(Package.root)
        defer { _ = FileManager.default.changeCurrentDirectoryPath(cwd) }
        let rootText = (try? String(contentsOfFile: relative, encoding: .utf8)) ?? ""
        // What `iotopo check` and the golden fixture cases do: a workload with its topology,
        // a model, or a topology, with the fixture's `# options:` line.
        let (options, problems) = FixtureOptions.read(rootText)
        XCTAssertEqual(problems, [], "\(relative): its # options: line")
        let c = Compiler.check(path: relative, options: options).compileResult
        let result = (files: c.files, diagnostics: c.diagnostics)
        var expected = sidecar(relative, display: relative)
        for f in result.files.files {
            // A file refused for its size was never loaded; its comments are still on disk.
            let bytes = f.bytes ?? (try? Array(Data(contentsOf: URL(fileURLWithPath: f.path))))
            if let b = bytes, let text = String(validating: b, as: UTF8.self) {
                expected += expectations(inFile: f.path, text: text)
            }
        }
        if !result.files.files.contains(where: { $0.path == relative }), !relative.hasSuffix(".json") {
            expected += expectations(inFile: relative, text: rootText)
        }
        let actual = result.diagnostics.map { d in
            Expectation(file: d.range.map { result.files.path($0.file) } ?? relative, line: d.range?.start.line ?? 0,
                        severity: d.severity.rawValue, id: d.id)
        }
        return (expected, actual, result.files)
    }

    /// Multiset difference: (missing, unexpected).
    static func compare(_ expected: [Expectation], _ actual: [Expectation]) -> (missing: [Expectation], unexpected: [Expectation]) {
        var counts: [Expectation: Int] = [:]
        for e in expected { counts[e, default: 0] += 1 }
        var unexpected: [Expectation] = []
        for a in actual {
            if let c = counts[a], c > 0 { counts[a] = c - 1 } else { unexpected.append(a) }
        }
        let missing = counts.flatMap { Array(repeating: $0.key, count: $0.value) }.sorted { $0.description < $1.description }
        return (missing, unexpected)
    }

    /// Every fixture root: `topologies/invalid/<id>/{fires,passes}*.{yaml,json}`.
    static func allFixtures() -> [(check: String, path: String, fires: Bool)] {
        let fm = FileManager.default
        let base = Package.path("topologies/invalid")
        guard let dirs = try? fm.contentsOfDirectory(atPath: base) else { return [] }
        var out: [(String, String, Bool)] = []
        for d in dirs.sorted() {
            guard let files = try? fm.contentsOfDirectory(atPath: base + "/" + d) else { continue }
            // YAML and JSON fixtures; for the import checks, lspci text (`.txt`) and snapshot
            // folders (holding the marker), with their expectations in a `.expect` sidecar.
            for f in files.sorted() where (f.hasPrefix("fires") || f.hasPrefix("passes"))
                && (f.hasSuffix(".yaml") || f.hasSuffix(".json") || f.hasSuffix(".txt") || f.hasSuffix(".dts") || f.hasSuffix(".dtb")
                    || fm.fileExists(atPath: base + "/" + d + "/" + f + "/iotopo-snapshot")) {
                out.append((d, "topologies/invalid/\(d)/\(f)", f.hasPrefix("fires")))
            }
        }
        return out
    }
}
