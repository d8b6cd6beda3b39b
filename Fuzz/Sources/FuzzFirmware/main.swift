import FuzzSupport
import IotopoFirmware
import IotopoImport
#if canImport(Glibc)
import Glibc
#endif

/// The firmware readers: the bytes as an ACPI table (whichever of DMAR, IVRS and IORT their
/// signature names, and as each of the three with the signature and length put right), as
/// acpidump text, and as a flattened device tree; then `iotopo import` of the file, detected
/// from its content, and `iotopo check` of what it wrote. Invariants:
///
/// - no reader traps or hangs (libFuzzer's timeout), whatever the lengths and offsets say;
/// - every problem's offset lies in the bytes (the offset just past the end counts: a table
///   cut short), and every field a table reports decoding lies inside it;
/// - an import without errors writes a topology, and that topology compiles without errors
///   (warnings are the lints' findings on the firmware);
/// - every diagnostic lies inside its file (`Fuzz.checkRanges`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFirmware(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let raw = UnsafeRawBufferPointer(start: data, count: count)
    let bytes = Array(raw)
    tables(bytes)
    var problems: [FirmwareProblem] = []
    if let t = DeviceTree.read(bytes, problems: &problems) {
        Fuzz.check(t.totalSize <= bytes.count, "a tree of \(t.totalSize) bytes was read from \(bytes.count)")
        _ = DeviceTreeFacts.read(t, problems: &problems)
    }
    for p in problems where p.offset != nil {
        Fuzz.check(p.offset! >= 0 && p.offset! <= bytes.count, "DTB problem at offset \(p.offset!) of \(bytes.count) bytes: \(p.message)")
    }
    var lineProblems: [(line: Int, message: String)] = []
    _ = ACPIDumpText.parse(bytes, problems: &lineProblems)
    importAndCheck(raw)
    return 0
}

/// The bytes as a table, and as each of our tables with its signature and length set.
func tables(_ bytes: [UInt8]) {
    read(bytes)
    guard bytes.count >= 8 else { return }
    for sig in ACPITable.signatures {
        var b = bytes
        b.replaceSubrange(0 ..< 4, with: Array(sig.utf8))
        let n = UInt32(b.count)
        for i in 0 ..< 4 { b[4 + i] = UInt8(truncatingIfNeeded: n >> (8 * UInt32(i))) }
        read(b)
    }
}

func read(_ b: [UInt8]) {
    var problems: [FirmwareProblem] = []
    let t = ACPITable.read(b, problems: &problems)
    for p in problems {
        Fuzz.check((p.offset ?? 0) >= 0 && (p.offset ?? 0) <= b.count, "\(p.table) problem at offset \(String(describing: p.offset)) of \(b.count) bytes: \(p.message)")
    }
    guard let t else { return }
    let length = Int(t.header.length)
    for f in t.decodedFields {
        Fuzz.check(f.offset >= 0 && f.offset < length, "\(t.header.signature) reports a field \(f.name) at offset \(f.offset), outside its \(length) bytes")
    }
}

func importAndCheck(_ raw: UnsafeRawBufferPointer) {
    let path = Fuzz.write("firmware.bin", raw)
    guard let format = Importer.detect(path: path), format == .acpi || format == .dtb else { return }
    let r = Importer.run(paths: [path])
    Fuzz.checkRanges(r.diagnostics, r.files)
    if !r.hasErrors {
        Fuzz.check(r.text != nil, "an import without errors wrote no topology: \(r.diagnostics.map(\.message))")
    }
    guard let text = r.text, !r.hasErrors else { return }
    let yaml = Fuzz.write("imported.yaml", text)
    let c = Compiler.compile(path: yaml)
    Fuzz.checkRanges(c.diagnostics, c.files)
    let errors = c.diagnostics.filter { $0.severity == .error }
    Fuzz.check(errors.isEmpty, "the imported topology does not compile: \(errors.map { "\($0.id) at \(String(describing: $0.range?.start)): \($0.message)" })")
}
