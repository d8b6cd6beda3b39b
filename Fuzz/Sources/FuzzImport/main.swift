import FuzzSupport
import IotopoImport
#if canImport(Glibc)
import Glibc
#endif

/// `iotopo import` of lspci -vvnn text, then `iotopo check` of what it wrote; and the same
/// bytes as a sysfs `config` file through the config-space parser. Invariants:
///
/// - every diagnostic and note lies inside its file (`Fuzz.checkRanges`), inside the line
///   it names (`Fuzz.checkRangesInsideLines`), and that line, as the renderer shows it, is
///   the line the reader read;
/// - an import without errors writes a topology (the command would otherwise say "0 errors;
///   nothing imported"), and that topology compiles without errors and gives a model;
/// - detection agrees with the reader: text whose first non-blank line the reader takes as a
///   function header is detected as lspci (`iotopo import FILE` and `iotopo check FILE`
///   detect the format; only `--from lspci` forces it);
/// - the config-space parser never traps, never reads a function with vendor ffff, and a
///   problem's offset lies in the bytes (the offset just past the end counts: a file cut
///   short).
///
/// Open findings (RELIABILITY.md, "Fuzzing the importer") break some of these on inputs of
/// a known shape. Until they are fixed the harness lets exactly those shapes pass, so that
/// it keeps looking for other bugs; `FUZZ_IMPORT_STRICT=1` checks them too (to confirm a
/// fix: each then fails at once on its regression input).
let address = PCIAddress(segment: 0, bus: 0, device: 0, function: 0)!
let strict = getenv("FUZZ_IMPORT_STRICT").map { String(cString: $0) == "1" } ?? false

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImport(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let raw = UnsafeRawBufferPointer(start: data, count: count)
    let path = Fuzz.write("host.txt", raw)
    let r = Importer.run(paths: [path], format: .lspci)
    Fuzz.checkRanges(r.diagnostics, r.files)
    // Open finding A: the reader numbers lines at LF only, the renderer (and checkRanges)
    // also at a lone CR, NEL, LS and PS. Only input holding one of those is let pass.
    if strict || !hasOtherLineBreaks(raw) {
        Fuzz.checkRangesInsideLines(r.diagnostics, r.files)
        checkLinesAsRead(r)
    }
    if !r.hasErrors {
        Fuzz.check(r.text != nil, "an import without errors wrote no topology: \(r.diagnostics.map(\.message))")
    }
    if let text = r.text, !r.hasErrors {
        // Open finding B: detection does not drop the CR of a CR LF line ending, as the
        // reader does. Only input holding a CR is let pass.
        if strict || !raw.contains(0x0D) { checkDetected(r, path: path) }
        let yaml = Fuzz.write("imported.yaml", text)
        let c = Compiler.compile(path: yaml)
        Fuzz.checkRanges(c.diagnostics, c.files)
        // The topology import writes must compile: the import reported no error, so any
        // error of the compiler on its text is a bug of the import (its builder or its
        // emitter), whatever the lspci text said. Warnings are allowed: they are the
        // checks' findings on the machine described (a device without an IOMMU, say).
        // Open finding C: a function with a bridge's Express port type but no bridge of
        // its own (no `Bus:` line, or an unconfigured secondary bus) is written as a device
        // with that `port-type`, which the compiler refuses. Only that error is let pass.
        let errors = c.diagnostics.filter { $0.severity == .error && (strict || !isBridgePortTypeOnDevice($0)) }
        Fuzz.check(errors.isEmpty, "the imported topology does not compile: \(errors.map { "\($0.id) at \(String(describing: $0.range?.start)): \($0.message)" })")
        if !c.hasErrors {
            Fuzz.check(c.model != nil, "the imported topology compiles without errors but gives no model")
        }
    }
    configSpace(raw)
    return 0
}

/// Whether the bytes hold a line break `LineBreaks` counts that splitting at LF does not: a
/// CR not followed by LF, NEL (C2 85), LS or PS (E2 80 A8/A9).
func hasOtherLineBreaks(_ b: UnsafeRawBufferPointer) -> Bool {
    var i = 0
    while i < b.count {
        switch b[i] {
        case 0x0D where i + 1 == b.count || b[i + 1] != 0x0A: return true
        case 0xC2 where i + 1 < b.count && b[i + 1] == 0x85: return true
        case 0xE2 where i + 2 < b.count && b[i + 1] == 0x80 && (b[i + 2] == 0xA8 || b[i + 2] == 0xA9): return true
        default: i += 1
        }
    }
    return false
}

/// The compiler's refusal of a device entry whose `port-type` is a bridge's (finding C).
func isBridgePortTypeOnDevice(_ d: Diagnostic) -> Bool {
    d.id == "invalid-value" && d.message.contains(" is a bridge: declare it under 'bridges' with kind ")
}

/// The reader numbers the lines it splits at LF (a CR before the LF dropped); the renderer
/// shows line N as `LineBreaks` splits lines. They must agree on each line a diagnostic of
/// the text names, or the excerpt under the message is another line than the one read.
func checkLinesAsRead(_ r: ImportResult) {
    guard let bytes = r.files.files.first?.bytes else { return }
    let named = r.diagnostics.flatMap { [$0.range] + $0.notes.map(\.range) }.compactMap { $0 }.filter { $0.file.raw == 0 }
    guard !named.isEmpty else { return }
    let lf = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
    let starts = LineBreaks.starts(bytes)
    for range in named {
        let n = Int(range.start.line)
        guard n >= 1, n <= lf.count else { continue }
        var read = lf[n - 1]
        if read.last == 0x0D { read = read.dropLast() }
        let shown = LineBreaks.line(n, starts: starts, bytes: bytes) ?? []
        Fuzz.check(read.elementsEqual(shown), "a diagnostic names line \(n), which the reader read as '\(String(decoding: read, as: UTF8.self))' but the renderer shows as '\(String(decoding: shown, as: UTF8.self))'")
    }
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

/// The bytes as a function's `config` file.
func configSpace(_ raw: UnsafeRawBufferPointer) {
    let bytes = Array(raw)
    switch ConfigSpace(bytes).parse(address: address) {
    case let .failure(p):
        // Open finding D: a pointer past the end of a file of another size than 64, 256 or
        // 4096 bytes is reported at the offset it points to, not where the pointer is. Such
        // an offset is still one of config space (below 4096), and only those pass.
        let pastTheEnd = p.message.contains("points past the end") || p.message.contains("points outside extended config space")
        let inside = p.offset >= 0 && p.offset <= bytes.count
        Fuzz.check(inside || !strict && pastTheEnd && p.offset < 4096,
                   "config space problem at offset \(p.offset) of \(bytes.count) bytes: \(p.message)")
    case let .success(f):
        Fuzz.check(f.vendor != 0xFFFF, "a function with vendor ffff was read")
    }
}
