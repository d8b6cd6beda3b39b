import FuzzSupport
import IotopoImport

/// `iotopo import` of lspci -vvnn text, then `iotopo check` of what it wrote; and the same
/// bytes as a sysfs `config` file through the config-space parser. Invariants:
///
/// - every diagnostic and note lies inside its file, and inside the line it names as the
///   renderer splits lines (`Fuzz.checkRangesInsideLines`);
/// - an import without errors writes a topology (the command would otherwise say "0 errors;
///   nothing imported"), and that topology compiles without errors;
/// - detection agrees with the reader: text whose first non-blank line the reader takes as a
///   function header is detected as lspci (`iotopo check FILE` and `iotopo import FILE`
///   detect the format; `--from lspci` only forces it);
/// - the config-space parser never traps, and a problem's offset lies in the bytes (the
///   offset just past the end counts, for a file cut short).
let address = PCIAddress(segment: 0, bus: 0, device: 0, function: 0)!

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImport(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let raw = UnsafeRawBufferPointer(start: data, count: count)
    let path = Fuzz.write("host.txt", raw)
    let r = Importer.run(paths: [path], format: .lspci)
    Fuzz.checkRanges(r.diagnostics, r.files)
    Fuzz.checkRangesInsideLines(r.diagnostics, r.files)
    if !r.hasErrors {
        Fuzz.check(r.text != nil, "an import without errors wrote no topology: \(r.diagnostics.map(\.message))")
    }
    if let text = r.text, !r.hasErrors {
        checkDetected(r, path: path)
        let yaml = Fuzz.write("imported.yaml", text)
        let c = Compiler.compile(path: yaml)
        Fuzz.checkRanges(c.diagnostics, c.files)
        // The topology import writes must compile: every error of the compiler on it is a
        // bug of the import (of its builder or its emitter), whatever the lspci text said.
        let errors = c.diagnostics.filter { $0.severity == .error }
        Fuzz.check(errors.isEmpty, "the imported topology does not compile: \(errors.map { "\($0.id) at \(String(describing: $0.range?.start)): \($0.message)" })")
        Fuzz.check(c.model != nil, "the imported topology compiles without errors but gives no model")
    }
    configSpace(raw)
    return 0
}

/// An import that read functions was detected as lspci, when its first non-blank line is
/// the first function's header (the reader also skips `pcilib:` warnings before it, which
/// detection, documented as "the first line is a function header", does not).
func checkDetected(_ r: ImportResult, path: String) {
    guard let bytes = r.files.files.first?.bytes, let first = firstHeaderLine(r) else { return }
    // The reader's lines: split at LF; blank when only spaces, tabs and CRs.
    var number = 0
    for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
        number += 1
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
        guard number == first else { return }
        let detected = Importer.detect(path: path)
        Fuzz.check(detected == .lspci, "the reader takes line \(number) as the first function's header, but detection says \(String(describing: detected))")
        return
    }
}

/// The line of the first function header the import read (the earliest function range).
func firstHeaderLine(_ r: ImportResult) -> Int? {
    guard let d = r.draft else { return nil }
    let ranges = (d.devices.map(\.pci.function.range) + d.bridges.compactMap { $0.pci?.function.range }).compactMap { $0 }
    return ranges.map { Int($0.start.line) }.min()
}

func configSpace(_ raw: UnsafeRawBufferPointer) {
    let bytes = Array(raw)
    switch ConfigSpace(bytes).parse(address: address) {
    case let .failure(p):
        Fuzz.check(p.offset >= 0 && p.offset <= bytes.count, "config space problem at offset \(p.offset) of \(bytes.count) bytes: \(p.message)")
    case let .success(f):
        Fuzz.check(f.vendor != 0xFFFF, "a function with vendor ffff was read")
    }
}
