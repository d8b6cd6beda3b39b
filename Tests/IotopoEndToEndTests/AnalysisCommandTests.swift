import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

/// `iotopo groups`, `reach` and `graph` as users run them.
final class AnalysisCommandTests: XCTestCase {
    static let platforms = ["x86-server", "arm-soc", "amd-desktop", "embedded-soc"]

    /// Every bundled platform renders to SVG through Graphviz, and the result parses as an
    /// SVG document.
    func testEveryBundledPlatformRendersAsSVG() throws {
        guard ["/usr/bin/dot", "/bin/dot"].contains(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            if ProcessInfo.processInfo.environment["CI"] != nil { XCTFail("Graphviz's dot is missing: make test installs Debian's graphviz") }
            throw XCTSkip("Graphviz's dot is not installed; make test installs it")
        }
        for p in Self.platforms {
            let r = try CLI.run(["graph", "--format", "svg", "topologies/\(p)/platform.yaml"])
            XCTAssertEqual(r.status, 0, "\(p): \(r.stderr)")
            let parser = XMLParser(data: Data(r.stdout.utf8))
            final class Root: NSObject, XMLParserDelegate {
                var name: String?
                func parser(_ parser: XMLParser, didStartElement e: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
                    if name == nil { name = e }
                }
            }
            let root = Root()
            parser.delegate = root
            parser.shouldResolveExternalEntities = false
            XCTAssertTrue(parser.parse(), "\(p): \(parser.parserError.map { "\($0)" } ?? "")")
            XCTAssertEqual(root.name, "svg", p)
            XCTAssertTrue(r.stdout.contains("group 0") || p == "embedded-soc", "\(p): groups are drawn as clusters")
        }
    }

    func testGraphSourceIsDeterministicAndHighlights() throws {
        let a = try CLI.run(["graph", "topologies/amd-desktop/platform.yaml"])
        let b = try CLI.run(["graph", "topologies/amd-desktop/platform.yaml"])
        XCTAssertEqual(a.status, 0, a.stderr)
        XCTAssertEqual(a.stdout, b.stdout)
        XCTAssertTrue(a.stdout.contains("\"device:usb0\" -> \"bus:pcie4\" [color=red, penwidth=2, label=\"untranslated\"]"), a.stdout)
        let v = try CLI.run(["graph", "topologies/invalid/policy-violation/fires.yaml"])
        XCTAssertEqual(v.status, 0, "a policy violation is drawn, not fatal: \(v.stderr)")
        XCTAssertTrue(v.stdout.contains("violates no-dma-reads-of-smm\", shape=ellipse, style=filled, fillcolor=orange"), v.stdout)
    }

    func testGroupsAndPassthrough() throws {
        let r = try CLI.run(["groups", "--passthrough", "--why", "topologies/x86-server/platform.yaml"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("legacy-sata: no, group 12 also holds 'legacy-audio'"), r.stdout)
        XCTAssertTrue(r.stdout.contains("why: PCIe-to-PCI bridge 'p2p' above it presents its DMA to the IOMMU as 0000:08:00.0, so the two share a group"), r.stdout)
        // A function whose own ID is the bridge's alias is told so once, not its ID twice.
        let imported = try CLI.run(["groups", "--why", "topologies/import/intel-desktop.txt"])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        XCTAssertTrue(imported.stdout.contains("as 0000:08:00.0, which is also this function's own requester ID, so the two share a group"), imported.stdout)
        let j = try CLI.run(["groups", "--format", "json", "--passthrough", "topologies/arm-soc/platform.yaml"])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])
        XCTAssertEqual((object["groups"] as? [Any])?.count, 8)
        XCTAssertEqual(try CLI.run(["groups", "--acs-policy", "bogus", "topologies/arm-soc/platform.yaml"]).status, 64)
    }

    func testReachFilters() throws {
        let r = try CLI.run(["reach", "--device", "gpu0", "--region", "nvme0-bar0", "topologies/x86-server/platform.yaml"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("0x200000000-0x200003fff -> 0xde000000-0xde003fff  nvme0-bar0  rw"), r.stdout)
        XCTAssertTrue(r.stdout.contains("read:  gpu0 (all)"), r.stdout)
        XCTAssertFalse(r.stdout.contains("nvme1"), r.stdout)
        let bad = try CLI.run(["reach", "--device", "gpu9", "topologies/x86-server/platform.yaml"])
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderr.contains("did you mean 'gpu0'"), bad.stderr)
        let j = try CLI.run(["reach", "--format", "json", "topologies/embedded-soc/platform.yaml"])
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)))
    }
}

final class DiffCommandTests: XCTestCase {
    func testExitStatusGatesOnGrowth() throws {
        let grew = try CLI.run(["diff", "topologies/arm-soc/platform.yaml", "topologies/arm-soc/variants/add-isp.yaml"])
        XCTAssertEqual(grew.status, 1, grew.stdout + grew.stderr)
        XCTAssertTrue(grew.stdout.contains("+ isp0 can write dram-high: 16MiB more (0x890000000-0x890ffffff)"), grew.stdout)
        let shrank = try CLI.run(["diff", "topologies/arm-soc/variants/add-isp.yaml", "topologies/arm-soc/platform.yaml"])
        XCTAssertEqual(shrank.status, 0, shrank.stdout)
        XCTAssertTrue(shrank.stdout.contains("- isp0"), shrank.stdout)
        let same = try CLI.run(["diff", "--format", "json", "topologies/x86-server/platform.yaml", "topologies/x86-server/platform.yaml"])
        XCTAssertEqual(same.status, 0)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(same.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["reachGrew"] as? Bool, false)
        let broken = try CLI.run(["diff", "topologies/x86-server/platform.yaml", "topologies/invalid/bad-size/fires.yaml"])
        XCTAssertEqual(broken.status, 2, "a version with errors cannot be compared")
        XCTAssertTrue(broken.stderr.contains("[bad-size]"), broken.stderr)
    }
}
