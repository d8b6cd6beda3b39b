import Foundation
import IotopoCompiler
import IotopoWorkload
import IotopoEngine
import XCTest

final class RunnerTests: XCTestCase {
    static let platformPath = Package.path("topologies/x86-server/platform.yaml")
    /// The bundled x86-server, compiled once for every workload of these tests.
    static let platform = Compiler.compile(path: platformPath)

    /// Compiles workload steps on x86-server (failing the test on errors).
    func workload(_ steps: String, file: StaticString = #filePath, line: UInt = #line) throws -> WorkloadResult {
        let r = withFile("workload: {name: t, topology: \(Self.platformPath)}\nsteps:\n" + steps) {
            WorkloadCompiler.compile(path: $0, on: Self.platform, topologyPath: Self.platformPath)
        }
        XCTAssertFalse(r.hasErrors, "\(r.diagnostics)", file: file, line: line)
        return r
    }

    /// A stride whose step is near 2^64 counted its instances as `to - from + step - 1`, which
    /// trapped in check, run and test (issue 17, point 7). ceil((to - from) / step) now.
    func testAStrideWithAHugeStepCountsWithoutOverflow() throws {
        for (from, to, step, expected) in [("0x0", "0x100", "0xffff_ffff_ffff_ffff", 1), ("0x1000", "0x1_0000_0000", "0x8000_0000_0000_0000", 1),
                                           ("0x4000_0000", "0x4000_3000", "4KiB", 3), ("0x4000_0000", "0x4000_3001", "4KiB", 4)] {
            let r = try workload("  - dma: {device: nvme0, op: read, size: 64}\n    stride: {from: \(from), to: \(to), step: \(step)}\n")
            let w = try XCTUnwrap(r.workload)
            XCTAssertEqual(w.steps.first?.baseCount, UInt64(expected), "\(from) \(to) \(step)")
            let m = try XCTUnwrap(r.model)
            var engine = Engine(model: m)
            let s = Runner().run(w, on: &engine, detailed: false, poll: { _ in false }, observe: { _ in })
            XCTAssertEqual(s.instances, UInt64(expected))
        }
    }

    /// The runner polls before each step and after every 65,536th instance, inside `repeat`
    /// loops too, so Ctrl-C stops one step of millions of instances (a DMA, in both the
    /// detailed and the volume loop, an MSI and an operation).
    func testEveryRepeatLoopPollsEvery65536Instances() throws {
        let steps = [
            "- dma: {device: nvme0, op: read, address: 0x4000_0000, size: 64}",
            "- dma: {device: nvme0, op: read, address: 0x4000_0000, size: 64}\n    expect: ok",
            "- msi: {device: nvme0, vector: 1}",
            "- invalidate: {iommu: dmar0, domain: nic-dom, iova: 0x200_0000, size: 2MiB}",
        ]
        for step in steps {
            for detailed in [false, true] {
                let r = try workload("  " + step + "\n    repeat: 1_000_000\n")
                let (model, w) = try (XCTUnwrap(r.model), XCTUnwrap(r.workload))
                var engine = Engine(model: model)
                var polled: [UInt64] = []
                var observed: UInt64 = 0
                let s = Runner().run(w, on: &engine, detailed: detailed, poll: { n in
                    polled.append(n)
                    return polled.count == 3
                }, observe: { _ in observed += 1 })
                let what = "\(step), detailed: \(detailed)"
                XCTAssertEqual(polled, [0, 65536, 131_072], what)
                XCTAssertTrue(s.interrupted, what)
                XCTAssertEqual(s.instances, 131_072, what)
                XCTAssertEqual(observed, detailed ? 131_072 : 0, what)
            }
        }
    }

    /// Not interrupted, a run polls at each step and at each multiple of 65,536 and runs
    /// every instance.
    func testAnUninterruptedRunPollsAndRunsEverything() throws {
        let r = try workload("""
          - msi: {device: nvme0, vector: 1}
            repeat: 70000
          - dma: {device: nvme0, op: read, address: 0x4000_0000, size: 64}
            repeat: 70000

        """)
        var engine = try Engine(model: XCTUnwrap(r.model))
        var polled: [UInt64] = []
        let s = try Runner().run(XCTUnwrap(r.workload), on: &engine, detailed: false, poll: { polled.append($0); return false }, observe: { _ in })
        XCTAssertEqual(polled, [0, 65536, 70000, 131_072])
        XCTAssertFalse(s.interrupted)
        XCTAssertEqual(s.instances, 140_000)
    }
}
