import FuzzSupport
#if canImport(Glibc)
import Glibc
#endif

/// A workload's bytes on a fixed platform (the bundled x86-server, copied into the scratch
/// folder and compiled once): the workload front end and the engine. Invariants:
/// diagnostics inside their files; every DMA's segments cover exactly the bytes it asked
/// for, in order. Run from the repository's root (as `make fuzz` does).
let options: CompileOptions = {
    var o = CompileOptions()
    o.maxGenerated = 10_000
    return o
}()

let platform: (path: String, compiled: CompileResult) = {
    for name in ["platform.yaml", "memory.yaml"] {
        guard case let .success(bytes) = FileReader.read("topologies/x86-server/" + name, limit: 1 << 20) else {
            Fuzz.say("run the workload fuzzer from the repository's root")
            exit(2)
        }
        bytes.withUnsafeBytes { _ = Fuzz.write(name, $0) }
    }
    let path = Fuzz.scratch + "/platform.yaml"
    let compiled = Compiler.compile(path: path, options: options)
    guard compiled.model != nil else {
        Fuzz.say("the bundled x86-server platform does not compile")
        exit(2)
    }
    return (path, compiled)
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWorkload(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let path = Fuzz.write("workload.yaml", UnsafeRawBufferPointer(start: data, count: count))
    let r = WorkloadCompiler.compile(path: path, on: platform.compiled, topologyPath: platform.path, options: options)
    Fuzz.checkRanges(r.diagnostics, r.files)
    guard let model = r.model, let w = r.workload, !r.hasErrors else { return 0 }
    // Keep each run short: a few thousand instances at most.
    guard w.instanceCount <= 5_000 else { return 0 }
    var engine = Engine(model: model)
    _ = Runner().run(w, on: &engine, detailed: true) { record in
        guard case let .dma(_, segments) = record.outcome, case let .dma(_, _, _, size) = w.steps[record.step].action else { return }
        var covered: UInt64 = 0
        var next = record.address
        for s in segments {
            Fuzz.check(s.iova == next, "segment at \(s.iova) does not continue at \(next)")
            covered &+= s.length
            next &+= s.length
        }
        Fuzz.check(covered == size, "segments cover \(covered) bytes of a \(size)-byte DMA")
    }
    return 0
}
