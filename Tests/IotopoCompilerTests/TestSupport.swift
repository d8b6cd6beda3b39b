import IotopoCompiler
import IotopoModel
import IotopoSource
import XCTest

/// A scratch directory with files in it, removed at deinit.
final class Scratch {
    let dir: String

    init() {
        dir = NSTemporaryDirectory() + "iotopo-test-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        write(name, Array(text.utf8))
    }

    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) -> String {
        let path = dir + "/" + name
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }
}

/// Compiles YAML text written to a scratch file.
func compile(_ text: String, options: CompileOptions = CompileOptions(), extra: [String: String] = [:]) -> CompileResult {
    let s = Scratch()
    for (name, body) in extra { s.write(name, body) }
    return Compiler.compile(path: s.write("root.yaml", text), options: options)
}

/// Check IDs of a result's diagnostics.
func ids(_ r: CompileResult) -> [String] { r.diagnostics.map(\.id) }

/// A small valid platform to extend in tests: system bus, one PCIe root port, VT-d.
let basePlatform = """
platform: {name: t}
memory:
  - {name: dram, base: 0x0, size: 2GiB}
  - {name: dram-high, base: 4GiB, size: 4GiB}
buses:
  - {name: system, kind: system}
  - {name: pcie0, kind: pcie, number: 0}
  - {name: pcie1, kind: pcie, number: 1}
bridges:
  - {name: rc0, kind: root-complex, upstream: system, downstream: pcie0}
  - {name: rp0, kind: root-port, rid: 00:1c.0, upstream: pcie0, downstream: pcie1, acs: [sv, rr, cr, uf]}
iommus:
  - {name: dmar0, kind: intel-vtd, at: rc0}
devices:
  - {name: nic0, bus: pcie0, rid: 00:02.0}

"""

/// The line number the next line appended to `basePlatform` gets.
let baseNextLine: UInt32 = UInt32(basePlatform.split(separator: "\n", omittingEmptySubsequences: false).count)
