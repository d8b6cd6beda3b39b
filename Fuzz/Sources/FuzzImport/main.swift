import FuzzSupport
import IotopoImport
#if canImport(Glibc)
import Glibc
#endif

/// `iotopo import` of lspci -vvnn text, then `iotopo check` of what it wrote; and the same
/// bytes as a sysfs `config` file through the config-space parser. Invariants:
///
/// - every diagnostic and note lies inside its file (`Fuzz.checkRanges`) and inside the line
///   it names (`Fuzz.checkRangesInsideLines`: the reader splits lines where the renderer
///   does, so the excerpt shown is the line read);
/// - an import without errors writes a topology (the command would otherwise say "0 errors;
///   nothing imported"), and that topology compiles without errors and gives a model with
///   the imported devices and bridges, by name, with their DMA flag, ACS and multifunction
///   bit;
/// - detection agrees with the reader: text whose first non-blank line the reader takes as a
///   function header is detected as lspci (`iotopo import FILE` and `iotopo check FILE`
///   detect the format; only `--from lspci` forces it);
/// - the config-space parser never traps, never reads a function with vendor ffff, and a
///   problem's offset lies in the bytes (the offset just past the end counts: a file cut
///   short).
///
/// Each finding of this harness (RELIABILITY.md, "Fuzzing the importer") was fixed in the
/// import, and its input is a regression test (Tests/IotopoImportTests/ImportFuzzRegressionTests.swift);
/// the harness lets none of them pass.
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
        // The topology import writes must compile: the import reported no error, so any
        // error of the compiler on its text is a bug of the import (its builder or its
        // emitter), whatever the lspci text said. Warnings are allowed: they are the
        // checks' findings on the machine described (a device without an IOMMU, say).
        let errors = c.diagnostics.filter { $0.severity == .error }
        Fuzz.check(errors.isEmpty, "the imported topology does not compile: \(errors.map { "\($0.id) at \(String(describing: $0.range?.start)): \($0.message)" })")
        if let m = c.model, let d = r.draft {
            // What compiles is what import built.
            checkFaithful(m, d)
        } else {
            Fuzz.check(false, "the imported topology compiles without errors but gives no model")
        }
    }
    configSpace(raw)
    return 0
}

/// The compiled model holds the draft's devices and bridges, and each device its draft's
/// DMA flag, ACS and multifunction bit.
func checkFaithful(_ m: SystemModel, _ d: TopologyDraft) {
    Fuzz.check(m.devices.map(\.name) == d.devices.map(\.name), "the compiled devices \(m.devices.map(\.name)) are not the imported ones \(d.devices.map(\.name))")
    Fuzz.check(m.bridges.map(\.name) == d.bridges.map(\.name), "the compiled bridges \(m.bridges.map(\.name)) are not the imported ones \(d.bridges.map(\.name))")
    for (a, b) in zip(m.devices, d.devices) where a.name == b.name {
        Fuzz.check(a.dmaCapable == b.dma, "device \(a.name): dma \(a.dmaCapable) compiled, \(b.dma) imported")
        Fuzz.check(a.acs == b.pci.function.acs, "device \(a.name): ACS \(String(describing: a.acs)) compiled, \(String(describing: b.pci.function.acs)) imported")
        Fuzz.check(a.multifunction == b.pci.multifunction, "device \(a.name): multifunction \(a.multifunction) compiled, \(b.pci.multifunction) imported")
    }
}

/// An import that read functions was detected as lspci, when its first non-blank line is
/// the first function's header (the reader also skips `pcilib:` warnings before it, which
/// detection, documented as "the first line is a function header", does not).
func checkDetected(_ r: ImportResult, path: String) {
    guard let bytes = r.files.files.first?.bytes, let first = firstHeaderLine(r) else { return }
    // The reader's lines, split where LineBreaks splits them; blank when only spaces and tabs.
    let starts = LineBreaks.starts(bytes)
    for number in 1 ... starts.count {
        guard let line = LineBreaks.line(number, starts: starts, bytes: bytes) else { return }
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
        Fuzz.check(p.offset >= 0 && p.offset <= bytes.count, "config space problem at offset \(p.offset) of \(bytes.count) bytes: \(p.message)")
    case let .success(f):
        Fuzz.check(f.vendor != 0xFFFF, "a function with vendor ffff was read")
    }
}
