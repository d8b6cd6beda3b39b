import IotopoCompiler
import IotopoWorkload
import IotopoEngine
import XCTest

/// The workload front end: every bad input is a located error, never a crash.
final class WorkloadCompilerTests: XCTestCase {
    /// `basePlatform` with a GPU attached to a domain and a UART.
    static let platform = basePlatform + "  - {name: gpu, bus: pcie1, rid: 01:00.0, msi: {vectors: 2}}\n  - {name: uart, bus: system, dma: false}\ndomains:\n  - {name: dom, iommu: dmar0}\nattachments:\n  - {device: gpu, domain: dom}\n"

    /// Compiles `steps` as a workload on `platform`.
    func compileWorkload(_ steps: String, header: String? = nil, platform: String = WorkloadCompilerTests.platform) -> WorkloadResult {
        let s = Scratch()
        s.write("platform.yaml", platform)
        let text = (header ?? "workload: {name: w, topology: platform.yaml}\n") + "steps:\n" + steps
        return WorkloadCompiler.compile(path: s.write("w.yaml", text))
    }

    func ids(_ r: WorkloadResult) -> [String] { r.diagnostics.filter { $0.severity == .error }.map(\.id) }

    func testACleanWorkloadCompiles() {
        let r = compileWorkload("  - dma: {device: gpu, op: read, address: 0x1000, size: 4KiB}\n    expect: translation\n")
        XCTAssertEqual(ids(r), [])
        XCTAssertEqual(r.workload?.steps.count, 1)
    }

    func testAWorkloadOnAPrecompiledTopologyIsTheSameAsOneThatCompilesIt() throws {
        let s = Scratch()
        let platform = s.write("platform.yaml", basePlatform + "  - {name: gpu, bus: pcie1, rid: 01:00.0}\ndomains:\n  - {name: dom, iommu: dmar0}\nattachments:\n  - {device: gpu, domain: dom}\n")
        let topo = Compiler.compile(path: platform)
        for steps in ["  - dma: {device: gpu, op: read, address: 0x1000, size: 4KiB}\n", "  - dma: {device: gpo, op: read, address: 0x1000, size: 4KiB}\n", "  - [unbalanced\n"] {
            let w = s.write("w.yaml", "workload: {name: w, topology: platform.yaml}\nsteps:\n" + steps)
            let direct = WorkloadCompiler.compile(path: w)
            let shared = WorkloadCompiler.compile(path: w, on: topo, topologyPath: platform)
            XCTAssertEqual(shared.diagnostics, direct.diagnostics, steps)
            XCTAssertEqual(shared.workload?.name, direct.workload?.name, steps)
            XCTAssertEqual(shared.workload?.steps.count, direct.workload?.steps.count, steps)
            XCTAssertEqual(shared.workload?.instanceCount, direct.workload?.instanceCount, steps)
            XCTAssertEqual(shared.files.files.map(\.path), direct.files.files.map(\.path), steps)
        }
        // A topology with errors hands its diagnostics on and no workload.
        let broken = Compiler.compile(path: s.write("broken.yaml", "platform: {name: [\n"))
        let r = WorkloadCompiler.compile(path: s.write("w2.yaml", "workload: {name: w, topology: broken.yaml}\nsteps: []\n"), on: broken, topologyPath: "broken.yaml")
        XCTAssertNil(r.workload)
        XCTAssertEqual(r.diagnostics, broken.diagnostics)
    }

    func testUnknownDeviceOrDomainIsLocatedWithASuggestion() throws {
        let r = compileWorkload("  - dma: {device: gpo, op: read, address: 0x1000, size: 64}\n  - unmap: {domain: dmo, iova: 0, size: 4KiB}\n")
        XCTAssertEqual(ids(r), ["dangling-reference", "dangling-reference"])
        XCTAssertTrue(r.diagnostics[0].message.contains("did you mean 'gpu'"), r.diagnostics[0].message)
        let range = try XCTUnwrap(r.diagnostics[0].range)
        XCTAssertTrue(r.files.path(range.file).hasSuffix("w.yaml"))
        XCTAssertEqual(range.start.line, 3)
        XCTAssertEqual(ids(compileWorkload("  - attach: {device: dom, domain: gpu}\n")), ["dangling-reference", "dangling-reference"])
    }

    func testOverflowZeroSizeAndBadGenerators() {
        XCTAssertEqual(ids(compileWorkload("  - dma: {device: gpu, op: read, address: 0xffff_ffff_ffff_fff0, size: 32}\n")), ["address-overflow"])
        XCTAssertEqual(ids(compileWorkload("  - dma: {device: gpu, op: read, address: 0x1000, size: 0}\n")), ["bad-size"])
        XCTAssertEqual(ids(compileWorkload("  - dma: {device: gpu, op: read, size: 64}\n    stride: {from: 0x2000, to: 0x1000, step: 64}\n")), ["invalid-step"])
        XCTAssertEqual(ids(compileWorkload("  - dma: {device: gpu, op: read, size: 64}\n    random: {from: 0xffff_ffff_ffff_f000, to: 0xffff_ffff_ffff_ffff, count: 10, seed: 1}\n")), ["address-overflow"])
        XCTAssertEqual(ids(compileWorkload("  - unmap: {domain: dom, iova: 0xffff_ffff_ffff_f000, size: 8KiB}\n")), ["address-overflow"])
    }

    func testGeneratorLimitAtAndPast() {
        let at = "  - dma: {device: gpu, op: read, address: 0x1000, size: 64}\n    repeat: 50_000_000\n  - dma: {device: gpu, op: read, address: 0x1000, size: 64}\n    repeat: 50_000_000\n"
        XCTAssertEqual(ids(compileWorkload(at)), [])
        let past = at + "  - dma: {device: gpu, op: read, address: 0x1000, size: 64}\n"
        XCTAssertEqual(ids(compileWorkload(past)), ["workload-limit"])
        XCTAssertEqual(ids(compileWorkload("  - dma: {device: gpu, op: read, size: 64}\n    random: {from: 0, to: 0x1000, count: 100_000_001, seed: 1}\n")), ["value-out-of-range"])
    }

    func testStepsThePlatformCannotPerform() {
        XCTAssertEqual(ids(compileWorkload("  - dma: {device: uart, op: read, address: 0x1000, size: 64}\n")), ["invalid-step"])
        XCTAssertEqual(ids(compileWorkload("  - msi: {device: gpu, vector: 2}\n")), ["invalid-step"])
        XCTAssertEqual(ids(compileWorkload("  - msi: {device: nic0, vector: 0}\n")), ["invalid-step"])
        XCTAssertEqual(ids(compileWorkload("  - dma: {device: gpu, op: read, address: 0x1000, size: 64}\n    map: {domain: dom, iova: 0, phys: 0, size: 4KiB}\n")), ["invalid-step"])
        XCTAssertEqual(ids(compileWorkload("  - invalidate: {iommu: dmar0, iova: 0x1000, size: 4KiB}\n")), ["invalid-step"])
        XCTAssertEqual(ids(compileWorkload("  - expect: ok\n")), ["missing-key"])
        XCTAssertEqual(ids(compileWorkload("  - dma: {device: gpu, op: read, address: 0x1000, size: 64}\n    expect: permision\n")), ["invalid-value"])
    }

    func testMissingTopologyAndBrokenTopology() {
        let noTopology = compileWorkload("  - dma: {device: gpu, op: read, address: 0x1000, size: 64}\n", header: "workload: {name: w}\n")
        XCTAssertTrue(ids(noTopology).contains("missing-key"))
        let missing = compileWorkload("  - dma: {device: gpu, op: read, address: 0x1000, size: 64}\n", header: "workload: {name: w, topology: nope.yaml}\n")
        XCTAssertEqual(ids(missing), ["io-error"])
    }

    func testDevicePatternsAndCountExpand() throws {
        let r = compileWorkload("""
          - dma: {device: {each: "d{i}", count: 4}, op: read, address: 0x1000, size: 64}
            repeat: 3
          - count: 2
            dma: {device: "d{i}", op: write, address: 0x1000, size: 64}

        """, platform: basePlatform + "  - {count: 4, name: \"d{i}\", bus: pcie1, rid: \"01:{i:02x}.0\"}\n")
        XCTAssertEqual(ids(r), [])
        let wl = try XCTUnwrap(r.workload)
        XCTAssertEqual(wl.steps.count, 3)
        XCTAssertEqual(wl.instanceCount, 4 * 3 + 2)
    }

    func testAStepTemplateMissingAtEveryInstanceIsOneErrorWithTheFirstHint() throws {
        // Each instance misses with another name (x0, x1...); only the first searches the
        // devices for a hint (Decoder.firstMiss: searching for all was quadratic).
        let r = compileWorkload("""
          - count: 2000
            dma: {device: "x{i}", op: read, address: 0x1000, size: 64}
          - count: 2
            map: {domain: nodom, iova: 0, phys: 0, size: 4KiB}

        """, platform: basePlatform + "  - {count: 2000, name: \"d{i}\", bus: system, dma: false}\n")
        let errors = r.diagnostics.filter { $0.severity == .error }
        XCTAssertEqual(errors.map(\.message), ["the topology has no device named 'x0' (did you mean 'd0'?)", "the topology has no domain named 'nodom'"])
        XCTAssertEqual(errors.first?.notes.map(\.message), ["in instance i=0 of this repeated entry", "the same problem occurs in 1999 more instances"])
    }
}
