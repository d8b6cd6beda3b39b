import IotopoCompiler
@testable import IotopoEngine
import IotopoModel
import XCTest

/// The engine's answers held against the IOMMU specifications and Linux, point by point
/// (docs/translation.md): each case was wrong once.
final class SpecConformanceTests: XCTestCase {
    // MARK: Fault codes

    /// VT-d: the MGAW check (reason 4h) is on the input; an output above the host address
    /// width sets reserved bits of the second-stage entry (reason 0Ch).
    func testVTdOutputPastTheHostAddressWidthIsAReservedFieldFault() {
        let output = Fault.addressSize.nativeCode(.intelVTd, FaultDetail(inputRange: false))
        XCTAssertTrue(output.hasPrefix("VT-d reason 0xc:"), output)
        XCTAssertFalse(output.contains("MGAW"), output)
        let input = Fault.addressSize.nativeCode(.intelVTd, FaultDetail(inputRange: true))
        XCTAssertTrue(input.hasPrefix("VT-d reason 0x4:"), input)
    }

    /// VT-d legacy mode: Linux's blocking domain clears the context entry, so untranslated DMA
    /// faults as a not-present context entry (2h), not 0Dh.
    func testVTdBlockedDomainFaultsAsANotPresentContextEntry() throws {
        let m = try XCTUnwrap(model(onePlatform(kind: "intel-vtd")))
        var e = Engine(model: m)
        e.setType(domain: DomainID(0), type: .blocked)
        XCTAssertEqual(e.dma(DeviceID(0), write: false, address: 0x1000, size: 4), .blocked)
        let seg = try XCTUnwrap(e.lastSegments.first)
        let code = Fault.blocked.nativeCode(.intelVTd, seg.detail)
        XCTAssertTrue(code.hasPrefix("VT-d reason 0x2:"), code)
        let ex = e.explain(DeviceID(0), write: false, address: 0x1000, size: 4)
        XCTAssertTrue(ex.hops.contains { $0.lines.contains { $0.contains("reason 0x2") } }, "\(ex.hops)")
    }

    /// SMMUv3: a blocked domain and a detached device both get Linux's abort STE; the
    /// transaction is terminated and no event is recorded. Only an ID no id-map entry matched
    /// is C_BAD_STREAMID.
    func testSMMUv3BlockedAndDetachedAreTheAbortSTEWithNoEvent() throws {
        let m = try XCTUnwrap(model(onePlatform(kind: "arm-smmuv3")))
        var e = Engine(model: m)
        e.setType(domain: DomainID(0), type: .blocked)
        XCTAssertEqual(e.dma(DeviceID(0), write: false, address: 0x1000, size: 4), .blocked)
        var code = Fault.blocked.nativeCode(.armSMMUv3, try XCTUnwrap(e.lastSegments.first).detail)
        XCTAssertTrue(code.contains("abort STE") && code.contains("no event"), code)
        XCTAssertFalse(code.contains("F_STREAM_DISABLED"), code)

        e.setType(domain: DomainID(0), type: .translated)
        XCTAssertNil(e.detach(device: DeviceID(0), domain: DomainID(0)))
        XCTAssertEqual(e.dma(DeviceID(0), write: false, address: 0x1000, size: 4), .badStreamID)
        code = Fault.badStreamID.nativeCode(.armSMMUv3, try XCTUnwrap(e.lastSegments.first).detail)
        XCTAssertTrue(code.contains("abort STE") && code.contains("no event"), code)
        XCTAssertFalse(code.contains("C_BAD_STREAMID"), code)

        let unmatched = onePlatform(kind: "arm-smmuv3").replacingOccurrences(
            of: "output-bits: 48}", with: "output-bits: 48, id-map: [{rid-base: 0x200, output-base: 0x10, length: 0x100}]}")
        let m2 = try XCTUnwrap(model(unmatched.replacingOccurrences(of: "attachments:\n  - {device: d, domain: dom}", with: "")))
        var e2 = Engine(model: m2)
        XCTAssertEqual(e2.dma(DeviceID(0), write: false, address: 0x1000, size: 4), .badStreamID)
        code = Fault.badStreamID.nativeCode(.armSMMUv3, try XCTUnwrap(e2.lastSegments.first).detail)
        XCTAssertTrue(code.contains("C_BAD_STREAMID"), code)
    }

    // MARK: Page sizes (io-pgtable-arm arm_lpae_restrict_pgsizes)

    /// A 64 KiB granule with a 52-bit output (FEAT_LPA) has 4 TiB blocks at level 1; with a
    /// 48-bit output it has none.
    func testSixtyFourKiBGranuleWithLPAHasFourTiBBlocks() throws {
        let tib4: UInt64 = 1 << 42
        let wide = PageTableGeometry.possiblePageSizes(kind: .armSMMUv3, granuleShift: 16, inputBits: 52, outputBits: 52)
        XCTAssertEqual(wide, (1 << 16) | (1 << 29) | tib4)
        let narrow = PageTableGeometry.possiblePageSizes(kind: .armSMMUv3, granuleShift: 16, inputBits: 52, outputBits: 48)
        XCTAssertEqual(narrow, (1 << 16) | (1 << 29))
        XCTAssertEqual(PageTableGeometry.possiblePageSizes(kind: .armSMMUv3, granuleShift: 12, inputBits: 48, outputBits: 48),
                       (1 << 12) | (1 << 21) | (1 << 30))
        XCTAssertEqual(PageTableGeometry.possiblePageSizes(kind: .armSMMUv3, granuleShift: 14, inputBits: 48, outputBits: 48),
                       (1 << 14) | (1 << 25))

        // The engine maps and walks one: a single level-1 (top) entry.
        let yaml = onePlatform(kind: "arm-smmuv3", granule: "64KiB", inputBits: 52, outputBits: 52)
            .replacingOccurrences(of: "size: 1TiB}", with: "size: 8TiB}")
        let m = try XCTUnwrap(model(yaml))
        var e = Engine(model: m)
        XCTAssertNil(e.map(DomainID(0), iova: tib4, phys: 0, size: tib4, page: tib4))
        XCTAssertNil(e.dma(DeviceID(0), write: true, address: tib4 + 0x1234_5678, size: 8))
        XCTAssertEqual(e.lastSegments.first?.address, 0x1234_5678)
        let ex = e.explain(DeviceID(0), write: true, address: tib4 + 0x10, size: 8)
        XCTAssertNil(ex.fault)
    }

    /// 4 and 16 KiB granules past 48 bits need LPA2, which Linux's io-pgtable-arm lacks: the
    /// compiler refuses input and output widths there consistently; no SMMUv3 takes more
    /// than 52 bits.
    func testLPA2WidthsAreRefusedConsistently() {
        for (granule, bits, field) in [("4KiB", 52, "input-bits"), ("16KiB", 52, "input-bits"), ("4KiB", 49, "output-bits"),
                                       ("16KiB", 52, "output-bits"), ("64KiB", 53, "input-bits"), ("64KiB", 56, "output-bits")] {
            let yaml = onePlatform(kind: "arm-smmuv3", granule: granule,
                                   inputBits: field == "input-bits" ? bits : 48, outputBits: field == "output-bits" ? bits : 48)
            let r = withFile(yaml) { Compiler.compile(path: $0) }
            let errors = r.diagnostics.filter { $0.severity == .error }
            XCTAssertEqual(errors.map(\.id), ["value-out-of-range"], "\(granule) \(field) \(bits)")
            XCTAssertTrue(errors.first?.message.hasPrefix("\(field) \(bits)") ?? false, "\(errors)")
        }
        for granule in ["4KiB", "16KiB"] {
            XCTAssertNotNil(model(onePlatform(kind: "arm-smmuv3", granule: granule, inputBits: 48, outputBits: 48)))
        }
        XCTAssertNotNil(model(onePlatform(kind: "arm-smmuv3", granule: "64KiB", inputBits: 52, outputBits: 52)))
    }

    // MARK: dma-ranges with an IOMMU

    /// A host bridge's inbound window comes before the IOMMU placed at it: it bounds and moves
    /// the IOVA, and does not apply to the IOMMU's output.
    func testHostBridgeWindowsComeBeforeItsIOMMU() throws {
        let yaml = onePlatform(kind: "arm-smmuv3").replacingOccurrences(
            of: "{name: rc, kind: root-complex, upstream: system, downstream: pcie0}",
            with: "{name: rc, kind: root-complex, upstream: system, downstream: pcie0, windows: [{child: 0x0, parent: 0x1000_0000, size: 1GiB}]}")
        let m = try XCTUnwrap(model(yaml))
        var e = Engine(model: m)
        // The IOMMU sees bus address 0x0 as 0x1000_0000; its output (2^39, above the window's
        // parent range) is not cut by the window.
        XCTAssertNil(e.map(DomainID(0), iova: 0x1000_0000, phys: 0x80_0000_0000, size: 4096))
        XCTAssertNil(e.dma(DeviceID(0), write: false, address: 0x0, size: 64))
        XCTAssertEqual(e.lastSegments.first?.address, 0x80_0000_0000)
        // Outside the window: rejected at the bridge, before the IOMMU.
        XCTAssertEqual(e.dma(DeviceID(0), write: false, address: 0x4000_0000, size: 64), .unreachable)
        let ex = e.explain(DeviceID(0), write: false, address: 0x0, size: 64)
        let titles = ex.hops.map(\.title)
        let w = try XCTUnwrap(titles.firstIndex { $0.contains("rc") && !$0.contains("IOMMU") })
        let u = try XCTUnwrap(titles.firstIndex { $0.hasPrefix("IOMMU") })
        XCTAssertLessThan(w, u, "\(titles)")
    }

    // MARK: Memory decode

    /// Every address of an untranslated access decodes on its own: one segment per run of
    /// region or hole, whichever comes first.
    func testUntranslatedAccessDecodesEveryRun() throws {
        let m = try XCTUnwrap(model("""
        platform: {name: t}
        memory:
          - {name: a, base: 0x1000, size: 4KiB}
          - {name: b, base: 0x3000, size: 4KiB}
        buses:
          - {name: system, kind: system}
        devices:
          - {name: d, bus: system, stream-ids: [1]}
        """))
        var e = Engine(model: m)
        func runs(_ address: UInt64, _ size: UInt64) -> [String] {
            _ = e.dma(DeviceID(0), write: true, address: address, size: size)
            return e.lastSegments.map { s in
                "\(String(s.address, radix: 16))+\(String(s.length, radix: 16)):" + (s.region.map { m.regions[$0].name } ?? s.fault.map(\.description) ?? "?")
            }
        }
        // From a hole into a region.
        XCTAssertEqual(runs(0x800, 0x1000), ["800+800:no-target", "1000+800:a"])
        // Region, hole, region.
        XCTAssertEqual(runs(0x1800, 0x2000), ["1800+800:a", "2000+1000:no-target", "3000+800:b"])
        // Hole, region, hole, region, hole.
        XCTAssertEqual(runs(0x0, 0x5000), ["0+1000:no-target", "1000+1000:a", "2000+1000:no-target", "3000+1000:b", "4000+1000:no-target"])
        XCTAssertEqual(e.dma(DeviceID(0), write: true, address: 0x0, size: 0x5000), .noTarget, "the first fault is the access's")
    }

    // MARK: explain

    /// Levels are named as each architecture names them: Arm from 4 - levels to 3, VT-d
    /// PML5 to PT, AMD-Vi from the leaf (1) up.
    func testLevelNamesFollowTheArchitecture() {
        func names(_ k: IOMMUKind, _ g: UInt8, _ ias: UInt8) -> [String] {
            let geo = PageTableGeometry(kind: k, granuleShift: g, inputBits: ias)
            return (0 ..< Int(geo.levels)).map { geo.levelName(k, level: $0) }
        }
        XCTAssertEqual(names(.armSMMUv3, 12, 48), ["level 0", "level 1", "level 2", "level 3"])
        XCTAssertEqual(names(.armSMMUv3, 12, 39), ["level 1", "level 2", "level 3"])
        XCTAssertEqual(names(.armSMMUv3, 16, 48), ["level 1", "level 2", "level 3"])
        XCTAssertEqual(names(.armSMMUv3, 16, 52), ["level 1", "level 2", "level 3"])
        XCTAssertEqual(names(.armSMMU, 14, 36), ["level 2", "level 3"])
        XCTAssertEqual(names(.armSMMU, 14, 47), ["level 1", "level 2", "level 3"])
        XCTAssertEqual(names(.intelVTd, 12, 57), ["PML5", "PML4", "PDPT", "PD", "PT"])
        XCTAssertEqual(names(.intelVTd, 12, 48), ["PML4", "PDPT", "PD", "PT"])
        XCTAssertEqual(names(.intelVTd, 12, 39), ["PDPT", "PD", "PT"])
        XCTAssertEqual(names(.amdVi, 12, 48), ["level 4", "level 3", "level 2", "level 1"])
    }

    /// explain prints requester IDs with their segment, the walk with the level names, and
    /// never a wrapped end address.
    func testExplainNamesSegmentsAndLevelsAndNeverWraps() throws {
        let yaml = onePlatform(kind: "intel-vtd")
            .replacingOccurrences(of: "{name: pcie0, kind: pcie, number: 0}", with: "{name: pcie0, kind: pcie, number: 0x50, segment: 3}")
            .replacingOccurrences(of: "{name: pcie1, kind: pcie, number: 1}", with: "{name: pcie1, kind: pcie, number: 0x51, segment: 3}")
            .replacingOccurrences(of: "rid: 00:01.0", with: "rid: 50:01.0").replacingOccurrences(of: "rid: 01:00.0", with: "rid: 51:00.0")
        let m = try XCTUnwrap(model(yaml))
        var e = Engine(model: m)
        XCTAssertNil(e.map(DomainID(0), iova: 0x1000, phys: 0x5000, size: 4096))
        let lines = e.explain(DeviceID(0), write: false, address: 0x1000, size: 4).hops.flatMap(\.lines)
        XCTAssertTrue(lines.contains { $0.contains("requester ID 0003:51:00.0") }, "\(lines)")
        XCTAssertTrue(lines.contains { $0.hasPrefix("page walk: 4 levels from PML4") }, "\(lines)")
        XCTAssertEqual(lines.filter { $0.hasPrefix("  ") }.map { String($0.dropFirst(2).prefix(4)) }, ["PML4", "PDPT", "PD i", "PT i"])
        let wrapped = e.explain(DeviceID(0), write: false, address: 0xFFFF_FFFF_FFFF_FF00, size: 0x200).hops.flatMap(\.lines)
        XCTAssertTrue(wrapped.contains { $0.contains("runs past 2^64") }, "\(wrapped)")
        XCTAssertFalse(wrapped.contains { $0.contains("0xff\n") || $0.contains("cannot emit 0xff:") || $0.contains("cannot emit 0x100") }, "\(wrapped)")
    }

    // MARK: Workload map

    /// A map whose physical range passes the IOMMU's output width is refused, as io-pgtable
    /// refuses it (-ERANGE) and the compiler refuses such a mapping.
    func testMapPastTheOutputWidthIsRefused() throws {
        let m = try XCTUnwrap(model(onePlatform(kind: "arm-smmuv3", outputBits: 40)))
        var e = Engine(model: m)
        let refusal = e.map(DomainID(0), iova: 0x1000, phys: 0xFF_FFFF_F000, size: 0x2000)
        XCTAssertEqual(refusal?.reason, "phys-range")
        XCTAssertTrue(refusal?.message.contains("40-bit output width") ?? false, "\(String(describing: refusal))")
        XCTAssertNil(e.map(DomainID(0), iova: 0x1000, phys: 0xFF_FFFF_F000, size: 0x1000), "the last page below 2^40")
    }
}
