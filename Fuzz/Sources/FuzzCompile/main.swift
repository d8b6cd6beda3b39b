import FuzzSupport

/// Bytes in, diagnostics out: the YAML front end and the compiler. Invariants: every
/// diagnostic's range lies inside its file; a model that compiles goes to JSON and back to
/// the same model.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCompile(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let path = Fuzz.write("topology.yaml", UnsafeRawBufferPointer(start: data, count: count))
    var options = CompileOptions()
    options.maxGenerated = 10_000
    let r = Compiler.compile(path: path, options: options)
    Fuzz.checkRanges(r.diagnostics, r.files)
    if let m = r.model, !r.diagnostics.contains(where: { $0.severity == .error }) {
        let json = Fuzz.write("model.json", ModelJSON.render(m))
        let back = ModelJSON.load(path: json)
        Fuzz.check(back.model != nil, "the model's JSON does not read back: \(back.diagnostics.map(\.message))")
        if var b = back.model {
            b.sources = m.sources
            Fuzz.check(b == m, "compile -> JSON -> read back changed the model")
        }
    }
    return 0
}
