import ArgumentParser
import IotopoCompiler
import IotopoWorkload
import IotopoEngine
import IotopoReport
import IotopoSource
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Set by the SIGINT handler; the runner polls it between steps and every 65,536 instances
/// (Runner.run). Installed once the files are compiled: Ctrl-C before that ends the command
/// at once, with nothing run and nothing written. A signal handler can only
/// reach global state, so this one flag is global. It is an atomic: `iotopo test` reads it
/// from its case threads and its watchdog, and a `sig_atomic_t` is safe only against the
/// thread the signal interrupts (ThreadSanitizer reported the race). A lock-free atomic
/// store is safe in a signal handler.
let interruptFlag = Atomic<Int32>(0)

/// Whether Ctrl-C came.
var interruptRequested: Bool { interruptFlag.load(ordering: .relaxed) != 0 }

/// Output formats of `run`.
enum RunFormat: String, ExpressibleByArgument, CaseIterable {
    case text, jsonl
}

/// `iotopo run WORKLOAD`: run a workload through its topology.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a workload's DMA, MSI and IOMMU steps through its topology.",
        discussion: """
        Prints one line per step (the step, its outcome, the physical segments with their region, \
        IOTLB hit or miss and translation cost), then a summary. Exit status: 0 when every \
        expectation held (faults themselves are results, not failures), 1 when an expectation \
        failed or the files have errors, 64 on misuse, 130 when interrupted.
        """
    )

    @Argument(help: "The workload file.")
    var workload: String

    @Option(help: "Run on this topology instead of the one the workload names.")
    var topology: String?

    @Option(help: "text (one line per step) or jsonl (one JSON object per step, then the summary).")
    var format: RunFormat = .text

    @Flag(help: "Print only the summary (for volume runs).")
    var summary = false

    @OptionGroup var input: InputOptions
    @OptionGroup var styleOptions: StyleOptions

    func run() throws {
        var timer = PhaseTimer()
        let result = WorkloadCompiler.compile(path: workload, topology: topology, options: input.compileOptions)
        timer.mark("compile")
        Loading.reportBriefly(result.diagnostics, files: result.files, style: styleOptions.style(fd: 2))
        guard let model = result.model, let w = result.workload else {
            Output.say("\(diagnosticCountText(result.diagnostics)); nothing was run")
            throw ExitCode(1)
        }
        var engine = Engine(model: model)
        timer.mark("engine setup")
        let renderer = RunRenderer(model: model, workload: w, files: result.files)
        let total = w.instanceCount
        let progress = isatty(2) == 1 && total >= 1_000_000
        signal(SIGINT) { _ in interruptFlag.store(1, ordering: .relaxed) }
        var buffer = ""
        let s = Runner().run(w, on: &engine, detailed: !summary, poll: { done in
            if progress { Output.err("\r\(done * 100 / max(total, 1))% (\(done) of \(total) steps)") }
            return interruptRequested
        }, observe: { rec in
            buffer += format == .jsonl ? renderer.jsonLine(rec) : renderer.line(rec)
            if buffer.utf8.count > 1 << 16 {
                Output.out(buffer)
                buffer = ""
            }
        })
        timer.mark("run \(s.instances) steps")
        if progress { Output.err("\r\u{1B}[K") }
        Output.out(buffer)
        Output.out(format == .jsonl ? renderer.jsonSummary(s) : renderer.summary(s))
        if s.interrupted {
            Output.say("interrupted after \(s.instances) of \(total) steps")
            throw ExitCode(130)
        }
        if s.expectationsFailed > 0 { throw ExitCode(1) }
    }
}

/// `iotopo explain TOPOLOGY --device D --address A`: every hop of one DMA.
struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show every hop of one DMA: bridges and windows, the alias and stream ID, the domain, each page-table level, the memory reached or the exact point of the fault."
    )

    @Argument(help: "The topology file.")
    var topology: String

    @Option(help: "The device that issues the DMA.")
    var device: String

    @Option(help: "The address (IOVA) it emits; integer syntax as in topologies (0x1000, 4GiB + 0x10).")
    var address: String

    @Flag(help: "A write (the default is a read).")
    var write = false

    @Option(help: "Bytes (default 4).")
    var size: String = "4"

    @OptionGroup var input: InputOptions
    @OptionGroup var styleOptions: StyleOptions

    func validate() throws {
        if case .failure = IntegerSyntax.evaluate(address) { throw ValidationError("--address '\(address)' is not an address") }
        guard case let .success(n) = IntegerSyntax.evaluate(size), n > 0 else { throw ValidationError("--size '\(size)' is not a size above zero") }
    }

    func run() throws {
        let result = Compiler.load(path: topology, options: input.compileOptions)
        Loading.reportBriefly(result.diagnostics, files: result.files, style: styleOptions.style(fd: 2))
        guard let model = result.model else { throw ExitCode(1) }
        guard let d = ModelNames(model).devices[device] else {
            Output.say("error: \(ModelNames(model).miss(device, kind: "device", candidates: model.devices.map(\.name)))")
            throw ExitCode(64)
        }
        guard case let .success(a) = IntegerSyntax.evaluate(address), case let .success(n) = IntegerSyntax.evaluate(size) else { throw ExitCode(64) }
        guard model.devices[d.index].dmaCapable else {
            Output.say("error: device '\(device)' cannot master DMA")
            throw ExitCode(1)
        }
        var engine = Engine(model: model)
        let e = engine.explain(d, write: write, address: a, size: n)
        Output.out(RunRenderer.explanation(e, files: result.files))
    }
}
