import Foundation
import IotopoCompiler
import IotopoWorkload
import IotopoSource
import XCTest

/// Replays every input the fuzzers (Fuzz/, `make fuzz`) found, minimised, with the
/// harnesses' invariants: Regressions/compile-*.yaml through the compiler, workload-*.yaml
/// through the workload front end. Each file holds the bytes libFuzzer saved (minimised with
/// `-minimize_crash`), or, for the timeouts, those bytes as found beside a `-minimised` form
/// reduced by hand and checked on the code before the fix (its comment says how);
/// RELIABILITY.md says what each one found.
final class FuzzRegressionTests: XCTestCase {
    static let folder = Package.path("Tests/IotopoCompilerTests/Regressions")

    /// The range check of the compile harness: every diagnostic and note points inside its
    /// file, lines counted as libyaml counts them.
    static func rangesInside(_ r: CompileResult) -> [String] {
        var bad: [String] = []
        func check(_ range: SourceRange?, _ what: String) {
            guard let range else { return }
            guard Int(range.file.raw) < r.files.files.count else { bad.append("\(what): no such file"); return }
            guard let bytes = r.files.files[Int(range.file.raw)].bytes else { return }
            let lines = UInt32(LineBreaks.starts(bytes).count)
            if range.start.line < 1 || range.start.line > lines || range.end.line > lines || range.start.column < 1 {
                bad.append("\(what) at \(range.start.line):\(range.start.column) in a file of \(lines) lines")
            }
        }
        for d in r.diagnostics {
            check(d.range, d.id)
            for n in d.notes { check(n.range, d.id + " note") }
        }
        return bad
    }

    func testEveryCompileRegressionKeepsItsInvariants() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder).filter { $0.hasPrefix("compile-") }.sorted()
        XCTAssertFalse(files.isEmpty)
        for f in files {
            let r = Compiler.compile(path: Self.folder + "/" + f)
            XCTAssertEqual(Self.rangesInside(r), [], f)
            if let m = r.model, !r.diagnostics.contains(where: { $0.severity == .error }) {
                let dir = NSTemporaryDirectory() + "iotopo-regression-" + UUID().uuidString
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(atPath: dir) }
                try ModelJSON.render(m).write(toFile: dir + "/m.json", atomically: true, encoding: .utf8)
                var back = try XCTUnwrap(ModelJSON.load(path: dir + "/m.json").model, f)
                back.sources = m.sources
                XCTAssertEqual(back, m, f)
            }
        }
    }

    /// Regressions/workload-*.yaml through the workload front end on the bundled x86-server,
    /// as the workload harness runs them.
    func testEveryWorkloadRegressionKeepsItsInvariants() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder).filter { $0.hasPrefix("workload-") }.sorted()
        XCTAssertFalse(files.isEmpty)
        let platform = Package.path("topologies/x86-server/platform.yaml")
        let topology = Compiler.compile(path: platform)
        for f in files {
            let w = WorkloadCompiler.compile(path: Self.folder + "/" + f, on: topology, topologyPath: platform)
            XCTAssertEqual(Self.rangesInside(CompileResult(files: w.files, model: w.model, diagnostics: w.diagnostics)), [], f)
        }
    }

    func testLineBreaksFollowLibYAML() {
        XCTAssertEqual(LineBreaks.starts(Array("a\nb\r\nc\rd".utf8)), [0, 2, 5, 7])
        XCTAssertEqual(LineBreaks.starts(Array("a\u{85}b\u{2028}c\u{2029}".utf8)), [0, 3, 7, 11])
        let bytes = Array("x\r\ny\rz".utf8)
        let starts = LineBreaks.starts(bytes)
        XCTAssertEqual(LineBreaks.line(1, starts: starts, bytes: bytes).map { Array($0) }, Array("x".utf8))
        XCTAssertEqual(LineBreaks.line(2, starts: starts, bytes: bytes).map { Array($0) }, Array("y".utf8))
        XCTAssertEqual(LineBreaks.line(3, starts: starts, bytes: bytes).map { Array($0) }, Array("z".utf8))
        XCTAssertNil(LineBreaks.line(4, starts: starts, bytes: bytes))
    }
}
