import CFDT

/// A flattened device tree (Devicetree Specification 0.4, chapter 5), read with libfdt into
/// plain values: nodes with their paths, properties and phandles. The header is checked here
/// first, each field at its offset; then `fdt_check_full` walks the structure block before
/// any other libfdt call, so every offset and length libfdt hands back lies inside the blob
/// (and is checked again before its bytes are copied).
public struct DeviceTree: Sendable {
    public struct Property: Sendable, Hashable {
        public var name: String
        /// The value's bytes, a slice of the blob (no copy per property).
        public var value: ArraySlice<UInt8>
    }

    public struct Node: Sendable {
        public var name: String
        public var path: String
        public var parent: Int?
        public var children: [Int] = []
        public var properties: [Property] = []
        public var depth: Int

        public func property(_ name: String) -> ArraySlice<UInt8>? { properties.first { $0.name == name }?.value }
        public func has(_ name: String) -> Bool { properties.contains { $0.name == name } }
    }

    public var nodes: [Node] = []
    /// Node index by phandle.
    public var byPhandle: [UInt32: Int] = [:]
    /// The blob's total size, as its header says.
    public var totalSize = 0

    /// How deep nodes may nest: dtc itself allows any depth, libfdt counts it in an int; 64
    /// is far beyond any real tree (the kernel's deepest are under 10) and keeps every walk
    /// of the tree short.
    public static let maxDepth = 64

    static let magic: UInt32 = 0xD00D_FEED

    /// Reads a blob. Problems are errors at a byte offset of the header, or at a node path.
    public static func read(_ bytes: [UInt8], problems: inout [FirmwareProblem]) -> DeviceTree? {
        let b = TableBytes(bytes)
        func fail(_ at: Int?, _ m: String, path: String? = nil) {
            problems.append(FirmwareProblem(FirmwareCheck.malformed, .error, table: "DTB", offset: path == nil ? at : nil, path: path, m))
        }
        guard bytes.count >= 40, let mg = b.be32(0), let total = b.be32(4), let offStruct = b.be32(8), let offStrings = b.be32(12),
              let offRsv = b.be32(16), let version = b.be32(20), let sizeStrings = b.be32(32), let sizeStruct = b.be32(36) else {
            fail(bytes.count, "the blob is \(bytes.count) bytes, shorter than the 40-byte FDT header")
            return nil
        }
        guard mg == magic else { fail(0, "bad magic 0x\(hexDigits(UInt64(mg), width: 8)): a flattened device tree starts with d00dfeed"); return nil }
        guard Int(total) <= bytes.count, total >= 40 else {
            fail(4, "totalsize says \(total) bytes but the blob has \(bytes.count)" + (total < 40 ? " (less than the header)" : ": it is cut off"))
            return nil
        }
        guard version >= 16 else { fail(20, "version \(version): only version 16 and later (dtc since 2008) are read"); return nil }
        guard UInt64(offStruct) + UInt64(sizeStruct) <= UInt64(total), offStruct >= 40 else {
            fail(8, "the structure block [\(offStruct), +\(sizeStruct)) lies outside the blob (\(total) bytes)")
            return nil
        }
        guard UInt64(offStrings) + UInt64(sizeStrings) <= UInt64(total), offStrings >= 40 else {
            fail(12, "the strings block [\(offStrings), +\(sizeStrings)) lies outside the blob (\(total) bytes)")
            return nil
        }
        guard offRsv >= 40, offRsv < total else { fail(16, "the memory reservation block at \(offRsv) lies outside the blob"); return nil }

        var tree = DeviceTree()
        tree.totalSize = Int(total)
        let ok: Bool = bytes.withUnsafeBytes { raw -> Bool in
            guard let base = raw.baseAddress else { return false }
            let rc = fdt_check_full(base, Int(total))
            if rc != 0 {
                // fdt_strerror returns a static string for every code, "<unknown error>"
                // included (libfdt/fdt_strerror.c), never NULL; rc comes from libfdt.
                fail(8, "libfdt finds the tree malformed: \(String(cString: fdt_strerror(rc)))")
                return false
            }
            /// The `len` bytes at `p`, as a slice of the blob, after checking they lie inside it.
            func copy(_ p: UnsafeRawPointer?, _ len: Int32) -> ArraySlice<UInt8>? {
                guard let p, len >= 0 else { return nil }
                let at = p - base
                guard at >= 0, at + Int(len) <= Int(total) else { return nil }
                return bytes[at ..< at + Int(len)]
            }
            var depth: Int32 = 0
            var off: Int32 = 0
            var stack: [Int] = []
            // fdt_next_node returns a positive offset with depth -1 once it leaves the root
            // node: the walk ends there, or at a negative error.
            while off >= 0 && depth >= 0 {
                let d = Int(depth)
                guard d <= maxDepth else {
                    fail(nil, "nodes nest deeper than \(maxDepth) levels", path: tree.nodes.last?.path ?? "/")
                    return false
                }
                var len: Int32 = 0
                let nameBytes = copy(UnsafeRawPointer(fdt_get_name(base, off, &len)), len) ?? []
                let name = String(decoding: nameBytes, as: UTF8.self)
                while stack.count > d { stack.removeLast() }
                let parent = stack.last
                let path = parent.map { p in (tree.nodes[p].path == "/" ? "" : tree.nodes[p].path) + "/" + name } ?? "/"
                var node = Node(name: name, path: path, parent: parent, depth: d)
                var poff = fdt_first_property_offset(base, off)
                while poff >= 0 {
                    var plen: Int32 = 0
                    var namep: UnsafePointer<CChar>?
                    let vp = fdt_getprop_by_offset(base, poff, &namep, &plen)
                    if let namep, let value = copy(UnsafeRawPointer(vp), plen) {
                        node.properties.append(Property(name: String(cString: namep), value: value))
                    }
                    poff = fdt_next_property_offset(base, poff)
                }
                let index = tree.nodes.count
                if let parent { tree.nodes[parent].children.append(index) }
                tree.nodes.append(node)
                stack.append(index)
                off = fdt_next_node(base, off, &depth)
            }
            return true
        }
        guard ok else { return nil }
        for (i, n) in tree.nodes.enumerated() {
            guard let v = n.property("phandle") ?? n.property("linux,phandle") else { continue }
            guard v.count == 4, let ph = Self.cells(v)?.first, ph != 0, ph != 0xFFFF_FFFF else {
                fail(nil, "phandle is not one 32-bit cell other than 0 and 0xffffffff", path: n.path)
                continue
            }
            if let other = tree.byPhandle[ph] {
                fail(nil, "phandle \(ph) is also \(tree.nodes[other].path)'s", path: n.path)
                continue
            }
            tree.byPhandle[ph] = i
        }
        return tree
    }

    /// Whether a blob starts with the FDT magic.
    public static func looks(_ bytes: [UInt8]) -> Bool { TableBytes(bytes).be32(0) == magic }

    // MARK: Values

    /// A property's 32-bit cells (big-endian); nil when its length is not a multiple of 4.
    public static func cells(_ v: ArraySlice<UInt8>) -> [UInt32]? {
        guard v.count % 4 == 0 else { return nil }
        var out: [UInt32] = []
        out.reserveCapacity(v.count / 4)
        var i = v.startIndex
        while i < v.endIndex {
            out.append(UInt32(v[i]) << 24 | UInt32(v[i + 1]) << 16 | UInt32(v[i + 2]) << 8 | UInt32(v[i + 3]))
            i += 4
        }
        return out
    }

    /// A string list (`compatible`).
    public static func strings(_ v: ArraySlice<UInt8>) -> [String] {
        v.split(separator: 0, omittingEmptySubsequences: true).map { String(decoding: $0, as: UTF8.self) }
    }

    public func cells(_ node: Int, _ name: String) -> [UInt32]? { nodes[node].property(name).flatMap(Self.cells) }

    public func compatible(_ node: Int) -> [String] { nodes[node].property("compatible").map(Self.strings) ?? [] }

    /// `status` absent, "okay" or "ok" (`of_device_is_available`).
    public func isAvailable(_ node: Int) -> Bool {
        guard let s = nodes[node].property("status").map(Self.strings)?.first else { return true }
        return s == "okay" || s == "ok"
    }

    /// `#address-cells` and `#size-cells` a node gives its children: its own properties, else
    /// the defaults 2 and 1 (Devicetree Specification 2.3.5).
    public func childCells(_ node: Int) -> (address: Int, size: Int) {
        let a = cells(node, "#address-cells")?.first.map(Int.init) ?? 2
        let s = cells(node, "#size-cells")?.first.map(Int.init) ?? 1
        return (a, s)
    }

    /// A number of `n` cells from `c` at `i` (at most 2 cells, 64 bits); nil past the end or
    /// for more than two cells holding bits above 64.
    public static func number(_ c: [UInt32], _ i: Int, _ n: Int) -> UInt64? {
        guard n >= 0, i >= 0, i + n <= c.count else { return nil }
        var v: UInt64 = 0
        for k in 0 ..< n {
            if n - k > 2, c[i + k] != 0 { return nil }
            v = v << 32 | UInt64(c[i + k])
        }
        return v
    }
}
