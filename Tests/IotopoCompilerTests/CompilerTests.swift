@testable import IotopoCompiler
import IotopoModel
import IotopoSource
import XCTest

final class CompilerTests: XCTestCase {
    func testBaseCompilesClean() {
        let r = compile(basePlatform)
        XCTAssertEqual(ids(r), [])
        XCTAssertNotNil(r.model)
    }

    func testEveryErrorIsReportedInOneRun() {
        let r = compile("""
        platform: {name: t, colour: red}
        memory:
          - {name: a, base: 0x0, size: 0}
          - {name: b, base: 017, size: 1KiB}
          - {name: c, base: 0x1000, size: 4KB, secure: yes}
        buses:
          - {name: system, kind: sytem}
        """)
        XCTAssertEqual(Set(ids(r)), ["unknown-key", "bad-size", "bad-number", "wrong-type", "invalid-value"])
        XCTAssertEqual(r.diagnostics.count, 6)
        XCTAssertNil(r.model)
    }

    func testUnknownKeySuggestsAndPointsAtTheKey() throws {
        let r = compile(basePlatform + "  - {name: d, bus: pcie1, rid: 01:00.0, dma-bit: 32}\n")
        let d = try XCTUnwrap(r.diagnostics.first)
        XCTAssertEqual(d.id, "unknown-key")
        XCTAssertTrue(d.message.contains("did you mean 'dma-bits'"), d.message)
        XCTAssertEqual(d.range?.start.line, baseNextLine)
        XCTAssertEqual(d.range?.start.column, 41)
    }

    func testDanglingReferenceSuggests() throws {
        let r = compile(basePlatform + "  - {name: d, bus: pcie2, rid: 01:00.0}\n")
        let d = try XCTUnwrap(r.diagnostics.first)
        XCTAssertEqual(d.id, "dangling-reference")
        XCTAssertTrue(d.message.contains("did you mean"), d.message)
    }

    func testWrongKindReferenceNotesTheDefinition() throws {
        let r = compile(basePlatform + "  - {name: d, bus: rp0, rid: 01:00.0}\n")
        let d = try XCTUnwrap(r.diagnostics.first)
        XCTAssertEqual(d.id, "dangling-reference")
        XCTAssertEqual(d.notes.first?.range?.start.line, 11)
    }

    func testOneMistakeDoesNotCascade() {
        // The bus has a bad kind: the device on it and the attachment naming the device must
        // not produce more diagnostics.
        let r = compile("""
        platform: {name: t}
        buses:
          - {name: system, kind: system}
          - {name: axi0, kind: axl}
        devices:
          - {name: d, bus: axi0}
        attachments:
          - {device: d, domain: nope}
        """)
        XCTAssertEqual(ids(r), ["invalid-value", "dangling-reference"])
    }

    func testAddressOverflowIsLocatedNotATrap() throws {
        let r = compile("platform: {name: t}\nmemory:\n  - {name: top, base: 0xffff_ffff_ffff_f000, size: 8KiB}\n")
        XCTAssertEqual(ids(r), ["address-overflow"])
        XCTAssertEqual(r.diagnostics.first?.range?.start.line, 3)
        XCTAssertEqual(ids(compile("platform: {name: t}\nmemory:\n  - {name: top, base: 0xffff_ffff_ffff_f000, size: 4KiB}\n")), [])
    }

    func testSizesOfTwoToThe64AndBeyond() {
        XCTAssertEqual(ids(compile("platform: {name: t}\nmemory:\n  - {name: m, base: 0, size: 18446744073709551616}\n")), ["bad-size"])
        XCTAssertEqual(ids(compile("platform: {name: t}\nmemory:\n  - {name: m, base: 0, size: 16777216TiB}\n")), ["bad-size"])
        XCTAssertEqual(ids(compile("platform: {name: t}\nmemory:\n  - {name: m, base: 0x1_0000_0000_0000_0000, size: 1}\n")), ["bad-number"])
    }

    func testControlCharactersInNamesAreRefused() {
        XCTAssertEqual(ids(compile("platform: {name: \"a\\0b\"}\n")), ["bad-name"])
        XCTAssertEqual(ids(compile("platform: {name: \"a\\eb\"}\n")), ["bad-name"])
        XCTAssertEqual(ids(compile("platform: {name: \"a b\"}\n")), ["bad-name"])
    }

    func testRepetitionExpandsNamesAndAddresses() throws {
        let r = compile(basePlatform + """
          - count: 16
            name: nvme{i}
            bus: pcie1
            rid: "01:{i:02x}.0"
        domains:
          - name: dom
            iommu: dmar0
            mappings:
              - count: 4
                iova: 0x10_0000 + {i} * 4KiB
                phys: dram + {i} * 8KiB
                size: 4KiB
        """)
        XCTAssertEqual(ids(r), [])
        let m = try XCTUnwrap(r.model)
        XCTAssertEqual(m.devices.map(\.name).prefix(4), ["nic0", "nvme0", "nvme1", "nvme2"])
        XCTAssertEqual(m.devices[16].rid?.description, "01:0f.0")
        XCTAssertEqual(m.devices[16].origin.instance, 15)
        XCTAssertEqual(m.domains[0].mappings.map(\.phys), [0, 0x2000, 0x4000, 0x6000])
    }

    func testDiagnosticInRepeatedEntryPointsAtTemplateAndNamesInstance() throws {
        let r = compile(basePlatform + """
          - count: 40
            name: nvme{i}
            bus: pcie1
            rid: "01:{i:02x}.0"
        """)
        // Devices 32..39 would need device numbers 0x20..0x27: one diagnostic at the template.
        XCTAssertEqual(ids(r), ["bad-requester-id"])
        let d = try XCTUnwrap(r.diagnostics.first)
        XCTAssertEqual(d.range?.start.line, baseNextLine + 3)
        XCTAssertTrue(d.notes.contains { $0.message.contains("instance i=32") }, "\(d.notes)")
        XCTAssertTrue(d.notes.contains { $0.message.contains("7 more instances") }, "\(d.notes)")
    }

    func testDuplicateRequesterIDFromATemplateNamesTheInstance() throws {
        let r = compile(basePlatform + """
          - count: 2
            name: nvme{i}
            bus: pcie1
            rid: "01:00.0"
        """)
        XCTAssertEqual(ids(r), ["duplicate-requester-id"])
        XCTAssertTrue(r.diagnostics[0].notes.contains { $0.message.contains("instance 1") })
    }

    func testHugeCountIsRefusedBeforeGenerating() {
        let start = DispatchTime.now().uptimeNanoseconds
        let r = compile(basePlatform + "  - {count: 10000000, name: \"d{i}\", bus: pcie1, rid: \"01:00.0\"}\n")
        XCTAssertEqual(ids(r), ["repetition-limit"])
        XCTAssertLessThan(DispatchTime.now().uptimeNanoseconds - start, 2_000_000_000)
    }

    func testRepetitionLimitAtAndPast() {
        var o = CompileOptions()
        o.maxGenerated = 4
        let text = "platform: {name: t}\nmemory:\n  - {count: 4, name: \"m{i}\", base: \"{i} * 4KiB\", size: 4KiB}\n"
        XCTAssertEqual(ids(compile(text, options: o)), [])
        o.maxGenerated = 3
        XCTAssertEqual(ids(compile(text, options: o)), ["repetition-limit"])
    }

    func testSuppressionsNeedAReasonAndAreUsedOrReported() {
        let warn = basePlatform + """
          - {name: d, bus: system, SUPPRESS}
        """
        let none = compile(warn.replacingOccurrences(of: ", SUPPRESS", with: ""))
        XCTAssertEqual(ids(none), ["dma-without-iommu"])
        XCTAssertEqual(ids(compile(warn.replacingOccurrences(of: "SUPPRESS", with: "suppress: {dma-without-iommu: \"a test master\"}"))), [])
        XCTAssertEqual(ids(compile(warn.replacingOccurrences(of: "SUPPRESS", with: "suppress: {dma-without-iommu: \"\"}"))), ["dma-without-iommu", "invalid-suppression"])
        XCTAssertEqual(ids(compile(warn.replacingOccurrences(of: "SUPPRESS", with: "suppress: {dma-without-iomu: \"x\"}"))), ["dma-without-iommu", "invalid-suppression"])
        XCTAssertEqual(ids(compile(warn.replacingOccurrences(of: "SUPPRESS", with: "suppress: {memory-overlap: \"x\"}"))), ["dma-without-iommu", "unused-suppression"])
    }

    func testWerrorAndDisable() {
        let text = basePlatform + "  - {name: d, bus: system}\n"
        var o = CompileOptions()
        o.policy.warningsAsErrors = true
        let r = compile(text, options: o)
        XCTAssertEqual(r.diagnostics.map(\.severity), [.error])
        XCTAssertNil(r.model)
        o.policy = DiagnosticPolicy(disabled: ["dma-without-iommu"], warningsAsErrors: true)
        XCTAssertEqual(ids(compile(text, options: o)), [])
    }
}

final class IncludeTests: XCTestCase {
    func testIncludesAreRelativeAndNamesAreGlobal() throws {
        let s = Scratch()
        s.write("sub/mem.yaml", "memory:\n  - {name: dram, base: 0, size: 1GiB}\n")
        s.write("sub/more.yaml", "include: [mem.yaml]\nbuses:\n  - {name: dram, kind: axi}\n")
        let root = s.write("root.yaml", "platform: {name: t}\ninclude: [sub/more.yaml, sub/mem.yaml]\n")
        let r = Compiler.compile(path: root)
        XCTAssertEqual(ids(r), ["duplicate-name"])
        let d = try XCTUnwrap(r.diagnostics.first)
        // The file included twice (directly and through more.yaml) is read once.
        XCTAssertEqual(r.files.files.count, 3)
        let here = try XCTUnwrap(d.range), there = try XCTUnwrap(d.notes.first?.range)
        // Depth-first load order: more.yaml (and its bus 'dram') comes before mem.yaml.
        XCTAssertTrue(r.files.path(here.file).hasSuffix("sub/mem.yaml"), r.files.path(here.file))
        XCTAssertTrue(r.files.path(there.file).hasSuffix("sub/more.yaml"), r.files.path(there.file))
        XCTAssertNotEqual(d.range?.file, d.notes.first?.range?.file, "the note points into the other file")
    }

    func testIncludeCycleIsReportedWithTheChain() throws {
        let s = Scratch()
        s.write("a.yaml", "include: [b.yaml]\n")
        s.write("b.yaml", "include: [a.yaml]\n")
        let root = s.write("root.yaml", "platform: {name: t}\ninclude: [a.yaml]\n")
        let r = Compiler.compile(path: root)
        XCTAssertEqual(ids(r), ["include-cycle"])
        XCTAssertTrue(r.diagnostics[0].message.contains("a.yaml -> "), r.diagnostics[0].message)
        XCTAssertFalse(r.diagnostics[0].notes.isEmpty)
    }

    func testSelfIncludeOfRootIsACycle() {
        let s = Scratch()
        let root = s.write("root.yaml", "platform: {name: t}\ninclude: [root.yaml]\n")
        XCTAssertEqual(ids(Compiler.compile(path: root)), ["include-cycle"])
    }

    func testMissingUnreadableAndDirectoryIncludes() throws {
        let s = Scratch()
        try FileManager.default.createDirectory(atPath: s.dir + "/adir", withIntermediateDirectories: true)
        let root = s.write("root.yaml", "platform: {name: t}\ninclude: [missing.yaml, adir]\n")
        let r = Compiler.compile(path: root)
        XCTAssertEqual(ids(r), ["io-error", "io-error"])
        XCTAssertEqual(r.diagnostics.map { $0.range?.start.line }, [2, 2])
        XCTAssertTrue(r.diagnostics[0].message.contains("no such file"))
        XCTAssertTrue(r.diagnostics[1].message.contains("directory"))
    }

    func testARepeatedEntryWithADanglingReferenceIsOneError() {
        // Found by FuzzCompile as a timeout: 9,801 instances each reported the same misspelt
        // bus, and each report scanned the whole name table (quadratic).
        let s = Scratch()
        let p = s.write("t.yaml", "platform: {name: t}\nmemory:\n  - {name: dram, base: 0, size: 1GiB}\nbuses:\n  - {name: axi0, kind: axi}\ndevices:\n  - count: 5000\n    name: uart{i}\n    kind: uart\n    bus: xai0\n    dma: false\n")
        let r = Compiler.compile(path: p)
        let dangling = r.diagnostics.filter { $0.id == "dangling-reference" }
        XCTAssertEqual(dangling.count, 1, dangling.map(\.message).joined(separator: "\n"))
        XCTAssertEqual(dangling.first?.message, "no bus named 'xai0' (did you mean 'axi0'?)")
        XCTAssertEqual(dangling.first?.range?.start.line, 10)
    }

    func testARepeatedEntrysMistakesAreReportedOnceWithTheirHints() {
        // Each instance decodes the template again; its hints are worked out once
        // (HintCache), and the sink folds the instances into one error each.
        let s = Scratch()
        let p = s.write("t.yaml", "platform: {name: t}\nmemory:\n  - {name: dram, base: 0, size: 1GiB}\nbuses:\n  - {name: axi0, kind: axi}\ndevices:\n  - count: 3000\n    name: uart{i}\n    kind: uart\n    bus: axi0\n    dma: false\n    buss: axi0\n    suppress: {dma-without-iommu-x: because}\n")
        let r = Compiler.compile(path: p)
        XCTAssertEqual(r.diagnostics.filter { $0.severity == .error }.map(\.message), [
            "unknown key 'buss' in a device (did you mean 'bus'?)",
            "suppression names unknown check 'dma-without-iommu-x' (did you mean 'dma-without-iommu'?)",
        ])
    }

    func testTheHintCacheWorksOutEachHintOnce() {
        var cache = HintCache()
        var searches = 0
        let checks = ["dma-without-iommu", "dangling-reference", "unknown-key"]
        for _ in 0 ..< 1000 {
            XCTAssertEqual(cache.hint(for: "dma-without-iommu-x", set: "checks") { searches += 1; return checks }, " (did you mean 'dma-without-iommu'?)")
            XCTAssertEqual(cache.hint(for: "zzz", set: "checks") { searches += 1; return checks }, "")
        }
        XCTAssertEqual(searches, 2)
        // Another set is another search, even for the same word.
        XCTAssertEqual(cache.hint(for: "zzz", set: "other") { searches += 1; return ["zzy"] }, " (did you mean 'zzy'?)")
        XCTAssertEqual(searches, 3)
    }

    func testTheHintSearchStopsAtItsBudget() {
        // At the limit: two searches of three candidates fit a budget of six.
        var cache = HintCache(budget: 6)
        let names = ["alpha", "bravo", "charlie"]
        XCTAssertEqual(cache.hint(for: "alpah", set: "s") { names }, " (did you mean 'alpha'?)")
        XCTAssertEqual(cache.hint(for: "bravp", set: "s") { names }, " (did you mean 'bravo'?)")
        // One past it: no search; the first miss says why, later ones say nothing.
        var searched = false
        XCTAssertEqual(cache.hint(for: "charlei", set: "s") { searched = true; return names }, HintCache.exhausted)
        XCTAssertEqual(cache.hint(for: "charlee", set: "s") { searched = true; return names }, "")
        XCTAssertFalse(searched)
        // A word already searched keeps its hint.
        XCTAssertEqual(cache.hint(for: "alpah", set: "s") { names }, " (did you mean 'alpha'?)")
        // A search that would cross the budget is not started.
        var small = HintCache(budget: 2)
        XCTAssertEqual(small.hint(for: "alpah", set: "s") { names }, HintCache.exhausted)
    }

    func testUnreadableFile() throws {
        try XCTSkipIf(getuid() == 0, "root reads every file")
        let s = Scratch()
        let p = s.write("secret.yaml", "platform: {name: t}\n")
        chmod(p, 0)
        XCTAssertEqual(ids(Compiler.compile(path: p)), ["io-error"])
    }

    func testRootMissingOrDirectory() {
        XCTAssertEqual(ids(Compiler.compile(path: "/nonexistent/x.yaml")), ["io-error"])
        XCTAssertEqual(ids(Compiler.compile(path: NSTemporaryDirectory())), ["io-error"])
    }

    func testPlatformOnlyInRoot() {
        let s = Scratch()
        s.write("a.yaml", "platform: {name: other}\n")
        let root = s.write("root.yaml", "platform: {name: t}\ninclude: [a.yaml]\n")
        XCTAssertEqual(ids(Compiler.compile(path: root)), ["invalid-include"])
    }
}

final class ModelJSONTests: XCTestCase {
    func testRoundTripOfEveryBundledPlatformIsIdentical() throws {
        let cwd = FileManager.default.currentDirectoryPath
        _ = FileManager.default.changeCurrentDirectoryPath(Package.root)
        defer { _ = FileManager.default.changeCurrentDirectoryPath(cwd) }
        let platforms = try FileManager.default.contentsOfDirectory(atPath: "topologies").filter {
            FileManager.default.fileExists(atPath: "topologies/\($0)/platform.yaml")
        }.sorted()
        XCTAssertGreaterThanOrEqual(platforms.count, 4)
        for p in platforms {
            let r = Compiler.compile(path: "topologies/\(p)/platform.yaml")
            let m = try XCTUnwrap(r.model, "\(p): \(r.diagnostics)")
            let json = ModelJSON.render(m)
            XCTAssertEqual(json, ModelJSON.render(Compiler.compile(path: "topologies/\(p)/platform.yaml").model!), "\(p): output is deterministic")
            let (back, diags) = ModelJSON.parse(json)
            XCTAssertEqual(diags, [], p)
            XCTAssertEqual(back, m, "\(p): JSON round trip")
            XCTAssertEqual(back.map(ModelJSON.render), json)
        }
    }

    func testTamperedModelIsRefusedWithALocation() throws {
        let r = compile(basePlatform + "  - {name: d, bus: pcie1, rid: 01:00.0}\n")
        let json = ModelJSON.render(try XCTUnwrap(r.model))
        for (from, to) in [("\"bus\": {\"id\": 2, \"name\": \"pcie1\"}", "\"bus\": {\"id\": 9, \"name\": \"pcie1\"}"),
                           ("\"kind\": \"intel-vtd\"", "\"kind\": \"intel-vt\""),
                           ("\"format\": \"iotopo-model\"", "\"format\": \"other\""),
                           ("\"dmaBits\": 64", "\"dmaBits\": 65")] {
            XCTAssertTrue(json.contains(from), from)
            let (m, diags) = ModelJSON.parse(json.replacingOccurrences(of: from, with: to))
            XCTAssertNil(m, to)
            XCTAssertEqual(diags.first?.id, "invalid-model", to)
            XCTAssertNotNil(diags.first?.range, to)
        }
    }
}
