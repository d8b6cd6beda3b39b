import Foundation
import IotopoCompiler
@testable import IotopoEngine
import IotopoModel
import IotopoSource
import XCTest

/// `body` of the path of a temporary file holding `text`, removed afterwards.
func withFile<T>(_ text: String, _ body: (String) -> T) -> T {
    let dir = NSTemporaryDirectory() + "iotopo-engine-" + UUID().uuidString
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/t.yaml"
    _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    return body(path)
}

/// Compiles topology text and returns the model (failing the test on errors).
func model(_ yaml: String, file: StaticString = #filePath, line: UInt = #line) -> SystemModel? {
    let r = withFile(yaml) { Compiler.compile(path: $0) }
    let errors = r.diagnostics.filter { $0.severity == .error }
    if !errors.isEmpty { XCTFail("topology has errors: \(errors)", file: file, line: line) }
    return r.model
}

/// A one-IOMMU platform: device `d` (01:00.0) behind root port rp, IOMMU `u` of `kind` at the
/// root complex, translated domain `dom` attached, RAM at [0, 2^40).
func onePlatform(kind: String, granule: String = "4KiB", inputBits: Int = 48, outputBits: Int = 48, extra: String = "") -> String {
    """
    platform: {name: t}
    memory:
      - {name: ram, base: 0x0, size: 1TiB}
    buses:
      - {name: system, kind: system}
      - {name: pcie0, kind: pcie, number: 0}
      - {name: pcie1, kind: pcie, number: 1}
    bridges:
      - {name: rc, kind: root-complex, upstream: system, downstream: pcie0}
      - {name: rp, kind: root-port, rid: 00:01.0, upstream: pcie0, downstream: pcie1}
    iommus:
      - {name: u, kind: \(kind), at: rc, granule: \(granule), input-bits: \(inputBits), output-bits: \(outputBits)}
    devices:
      - {name: d, bus: pcie1, rid: 01:00.0}
    domains:
      - {name: dom, iommu: u}
    attachments:
      - {device: d, domain: dom}
    \(extra)
    """
}

extension Engine {
    /// Maps with a default origin (tests).
    mutating func map(_ d: DomainID, iova: UInt64, phys: UInt64, size: UInt64, perm: Permissions = .readWrite, page: UInt64? = nil) -> Refusal? {
        map(domain: d, iova: AddressRange(base: iova, size: size)!, phys: phys, perm: perm, pageSize: page, origin: Origin(range: .fileStart(FileID(0))))
    }
}

/// The package root, for the bundled topologies.
enum Package {
    static let root: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        while let last = parts.last, last != "Tests" { parts.removeLast() }
        parts.removeLast()
        return parts.joined(separator: "/")
    }()

    static func path(_ relative: String) -> String { root + "/" + relative }
}
