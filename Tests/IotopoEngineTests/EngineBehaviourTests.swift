import IotopoCompiler
@testable import IotopoEngine
import IotopoModel
import XCTest

final class EngineBehaviourTests: XCTestCase {
    /// Two devices behind a bridge of `kind`, VT-d at the root complex.
    func bridged(_ kind: String, extraBridge: String = "") -> String {
        """
        platform: {name: t}
        memory:
          - {name: ram, base: 0x0, size: 16GiB}
        buses:
          - {name: system, kind: system}
          - {name: pcie0, kind: pcie, number: 0}
          - {name: pcie1, kind: pcie, number: 1}
          - {name: pci2, kind: pci, number: 2}
        bridges:
          - {name: rc, kind: root-complex, upstream: system, downstream: pcie0}
          - {name: rp, kind: root-port, rid: 00:01.0, upstream: pcie0, downstream: pcie1}
          - {name: br, kind: \(kind), rid: 01:00.0, upstream: pcie1, downstream: pci2\(extraBridge)}
        iommus:
          - {name: u, kind: intel-vtd, at: rc}
        devices:
          - {name: a, bus: pci2, rid: 02:01.0, dma-bits: 32}
          - {name: b, bus: pci2, rid: 02:02.0}
        domains:
          - name: dom
            iommu: u
            mappings:
              - {iova: 0x1000, phys: ram + 0x2_0000_0000, size: 4KiB}
        attachments:
          - {device: a, domain: dom}
        """
    }

    func testPCIeToPCIBridgeAliasesEveryDeviceToItsSecondaryBus() throws {
        let m = try XCTUnwrap(model(bridged("pcie-to-pci")))
        var e = Engine(model: m)
        // b was never attached, but shares a's context: both appear as 02:00.0.
        XCTAssertNil(e.dma(DeviceID(1), write: false, address: 0x1000, size: 4))
        let ex = e.explain(DeviceID(1), write: false, address: 0x1000, size: 4)
        XCTAssertTrue(ex.hops.contains { $0.lines.contains { $0.contains("stream ID 0x200") } }, "\(ex.hops)")
    }

    func testConventionalPCIBridgeAliasesToItsOwnID() throws {
        let m = try XCTUnwrap(model(bridged("pci-bridge")))
        var e = Engine(model: m)
        let ex = e.explain(DeviceID(0), write: false, address: 0x1000, size: 4)
        XCTAssertTrue(ex.hops.contains { $0.lines.contains { $0.contains("stream ID 0x100") } }, "\(ex.hops)")
        XCTAssertNil(ex.fault)
    }

    func testThirtyTwoBitDeviceReachesHighMemoryOnlyThroughItsIOMMU() throws {
        let m = try XCTUnwrap(model(bridged("pcie-to-pci")))
        var e = Engine(model: m)
        XCTAssertNil(e.dma(DeviceID(0), write: true, address: 0x1000, size: 64))
        XCTAssertEqual(e.lastSegments.first?.address, 0x2_0000_0000)
        XCTAssertEqual(e.dma(DeviceID(0), write: true, address: 0x2_0000_0000, size: 64), .dmaWidth)
    }

    func testUnmatchedRequesterIDAbortsOrBypasses() throws {
        for (policy, expected) in [("abort", Fault?.some(.badStreamID)), ("bypass", Fault?.none)] {
            let yaml = onePlatform(kind: "arm-smmuv3").replacingOccurrences(
                of: "output-bits: 48}",
                with: "output-bits: 48, id-map: [{rid-base: 0x200, output-base: 0x10, length: 0x100}], unmatched: \(policy)}")
            let m = try XCTUnwrap(model(yaml.replacingOccurrences(of: "attachments:\n  - {device: d, domain: dom}", with: "")))
            var e = Engine(model: m)
            XCTAssertEqual(e.dma(DeviceID(0), write: false, address: 0x1000, size: 4), expected, policy)
            if policy == "bypass" {
                XCTAssertEqual(e.lastSegments.first?.hazards, .bypass)
                XCTAssertEqual(e.lastSegments.first?.address, 0x1000, "untranslated")
            }
        }
    }

    func testStaleIOTLBHitIsFlaggedAndInvalidationClearsIt() throws {
        let m = try XCTUnwrap(model(onePlatform(kind: "intel-vtd")))
        var e = Engine(model: m)
        XCTAssertNil(e.map(DomainID(0), iova: 0x1000, phys: 0x5000, size: 4096))
        XCTAssertNil(e.dma(DeviceID(0), write: false, address: 0x1000, size: 4))
        XCTAssertEqual(e.lastSegments.first?.misses, 1)
        _ = e.unmap(domain: DomainID(0), iova: AddressRange(base: 0x1000, size: 4096)!)
        XCTAssertNil(e.dma(DeviceID(0), write: false, address: 0x1000, size: 4), "the stale entry still reaches memory")
        XCTAssertEqual(e.lastSegments.first?.hazards, .staleIOTLB)
        XCTAssertEqual(e.lastSegments.first?.address, 0x5000)
        // A remap to the same place is not stale any more.
        XCTAssertNil(e.map(DomainID(0), iova: 0x1000, phys: 0x5000, size: 4096))
        XCTAssertNil(e.dma(DeviceID(0), write: false, address: 0x1000, size: 4))
        XCTAssertEqual(e.lastSegments.first?.hazards, [])
        _ = e.unmap(domain: DomainID(0), iova: AddressRange(base: 0x1000, size: 4096)!)
        e.invalidate(iommu: IOMMUID(0), scope: .range(DomainID(0), AddressRange(base: 0x1000, size: 4096)!))
        XCTAssertEqual(e.dma(DeviceID(0), write: false, address: 0x1000, size: 4), .translation)
    }

    func testVirtioIOMMUErrorCases() throws {
        let yaml = onePlatform(kind: "generic").replacingOccurrences(of: "  - {name: dom, iommu: u}", with: "  - {name: dom, iommu: u}\n  - {name: other, iommu: u}")
        let m = try XCTUnwrap(model(yaml))
        var e = Engine(model: m)
        // Detach from the wrong domain.
        XCTAssertEqual(e.detach(device: DeviceID(0), domain: DomainID(1))?.reason, "not-attached")
        // Map into a domain no device uses.
        XCTAssertEqual(e.map(DomainID(1), iova: 0x1000, phys: 0, size: 4096)?.reason, "not-attached")
        // Overlapping map.
        XCTAssertNil(e.map(DomainID(0), iova: 0x1000, phys: 0, size: 0x2000))
        XCTAssertEqual(e.map(DomainID(0), iova: 0x2000, phys: 0x9000, size: 0x1000)?.reason, "overlap")
        // Unmap that would split a mapping.
        XCTAssertEqual(e.unmap(domain: DomainID(0), iova: AddressRange(base: 0x1000, size: 0x1000)!).refusal?.reason, "split")
        // Unmap of the whole mapping (and more) removes it.
        XCTAssertEqual(e.unmap(domain: DomainID(0), iova: AddressRange(base: 0, size: 0x10000)!).removed, 1)
        // Attach then detach.
        XCTAssertNil(e.attach(device: DeviceID(0), domain: DomainID(1)))
        XCTAssertEqual(e.domain(of: DeviceID(0), at: IOMMUID(0)), DomainID(1))
        XCTAssertNil(e.detach(device: DeviceID(0), domain: DomainID(1)))
        XCTAssertEqual(e.dma(DeviceID(0), write: false, address: 0x1000, size: 4), .badStreamID)
    }

    func testDomainTypes() throws {
        let m = try XCTUnwrap(model(onePlatform(kind: "intel-vtd")))
        var e = Engine(model: m)
        e.setType(domain: DomainID(0), type: .blocked)
        XCTAssertEqual(e.dma(DeviceID(0), write: false, address: 0x1000, size: 4), .blocked)
        e.setType(domain: DomainID(0), type: .identity)
        XCTAssertNil(e.dma(DeviceID(0), write: false, address: 0x1234, size: 4))
        XCTAssertEqual(e.lastSegments.first?.address, 0x1234)
    }

    func testDMAThroughTwoBridgesWithWindows() throws {
        let m = try XCTUnwrap(model("""
        platform: {name: t}
        memory:
          - {name: ram, base: 0x8000_0000, size: 1GiB}
        buses:
          - {name: system, kind: system}
          - {name: noc, kind: axi}
          - {name: periph, kind: ahb}
        bridges:
          - name: up
            kind: bus-bridge
            upstream: system
            downstream: noc
            windows: [{child: 0x0, parent: 0x8000_0000, size: 1GiB}]
          - name: down
            kind: bus-bridge
            upstream: noc
            downstream: periph
            windows: [{child: 0x1000_0000, parent: 0x0, size: 256MiB}]
        devices:
          - {name: d, bus: periph, dma-bits: 32}
        """))
        var e = Engine(model: m)
        // 0x1000_1000 -> 0x1000 on noc -> 0x8000_1000 in ram.
        XCTAssertNil(e.dma(DeviceID(0), write: true, address: 0x1000_1000, size: 64))
        XCTAssertEqual(e.lastSegments.first?.address, 0x8000_1000)
        XCTAssertEqual(e.dma(DeviceID(0), write: true, address: 0x100, size: 64), .unreachable)
        XCTAssertEqual(e.lastSegments.first?.faultBridge, BridgeID(1))
        // Across the end of the lower window: split, the rest unreachable.
        XCTAssertEqual(e.dma(DeviceID(0), write: false, address: 0x1FFF_FFF0, size: 32), .unreachable)
        XCTAssertEqual(e.lastSegments.count, 2)
        XCTAssertNil(e.lastSegments[0].fault)
        XCTAssertEqual(e.lastSegments[0].length, 16)
    }

    func testMSIRemappingHitMissAndSourceCheck() throws {
        let yaml = onePlatform(kind: "intel-vtd").replacingOccurrences(
            of: "  - {name: d, bus: pcie1, rid: 01:00.0}",
            with: "  - {name: d, bus: pcie1, rid: 01:00.0, msi: {vectors: 4, handle: 10}}\n  - {name: x, bus: pcie1, rid: 01:01.0, msi: {vectors: 1}}"
        ).replacingOccurrences(of: "output-bits: 48}", with: "output-bits: 48, remap-table: [{index: 11, source: d, cpu: 3, vector: 0x51}, {index: 12, source: x, cpu: 0, vector: 0x52}]}")
        let m = try XCTUnwrap(model(yaml))
        var e = Engine(model: m)
        let hit = e.msi(DeviceID(0), vector: 1)
        XCTAssertNil(hit.fault)
        XCTAssertEqual([hit.cpu, UInt32(hit.vector)], [3, 0x51])
        XCTAssertEqual(e.msi(DeviceID(0), vector: 0).detail.remapReason, 0x22, "no entry at handle 10")
        XCTAssertEqual(e.msi(DeviceID(0), vector: 2).detail.remapReason, 0x26, "entry 12 belongs to x")
        XCTAssertEqual(e.msi(DeviceID(1), vector: 0).detail.remapReason, 0x25, "x has no handle: compatibility format blocked")
        e.unremap(iommu: IOMMUID(0), index: 11)
        XCTAssertEqual(e.msi(DeviceID(0), vector: 1).fault, .interruptRemap)
    }

    func testAccessAcrossPagesIsSplitPerPhysicalRun() throws {
        let m = try XCTUnwrap(model(onePlatform(kind: "arm-smmuv3")))
        var e = Engine(model: m)
        XCTAssertNil(e.map(DomainID(0), iova: 0x1000, phys: 0x10000, size: 0x1000))
        XCTAssertNil(e.map(DomainID(0), iova: 0x2000, phys: 0x11000, size: 0x1000)) // contiguous
        XCTAssertNil(e.map(DomainID(0), iova: 0x3000, phys: 0x50000, size: 0x1000)) // scattered
        XCTAssertNil(e.dma(DeviceID(0), write: false, address: 0x1800, size: 0x2000))
        XCTAssertEqual(e.lastSegments.map(\.length), [0x1800, 0x800])
        XCTAssertEqual(e.lastSegments.map(\.address), [0x10800, 0x50000])
        XCTAssertEqual(e.lastSegments.map { Int($0.misses) }, [2, 1])
        XCTAssertEqual(e.lastSegments.reduce(0) { $0 + $1.length }, 0x2000, "segments add up to the requested size")
    }

    func testExplainAgreesWithTheDMAPathOnEveryBundledPlatform() throws {
        for p in ["x86-server", "arm-soc", "amd-desktop", "embedded-soc"] {
            let r = Compiler.compile(path: Package.path("topologies/\(p)/platform.yaml"))
            let m = try XCTUnwrap(r.model, p)
            var rng = SplitMix64(seed: 7)
            for _ in 0 ..< 400 {
                let d = DeviceID(Int(rng.next(below: UInt64(m.devices.count))))
                guard m.devices[d].dmaCapable else { continue }
                let bases: [UInt64] = m.domains.flatMap { $0.mappings.map(\.iova.base) } + [0, 0x1000_0000, 0x8000_0000, 0x1_0000_0000]
                let a = bases[Int(rng.next(below: UInt64(bases.count)))] &+ rng.next(below: 0x4000)
                let size = 1 + rng.next(below: 0x3000)
                let write = rng.next(below: 2) == 1
                var e1 = Engine(model: m), e2 = Engine(model: m)
                let f = e1.dma(d, write: write, address: a, size: size)
                let x = e2.explain(d, write: write, address: a, size: size)
                XCTAssertEqual(x.fault, f, "\(p) \(m.devices[d].name) \(a)")
                XCTAssertEqual(x.segments.map(\.address), e1.lastSegments.map(\.address), "\(p) \(m.devices[d].name) \(a)")
                XCTAssertEqual(e1.lastSegments.reduce(0) { $0 + $1.length }, size, "pieces add up: \(p)")
            }
        }
    }
}
