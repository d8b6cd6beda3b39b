import ArgumentParser
import IotopoCompiler
import IotopoQuirks
import IotopoReport
import IotopoSource
#if canImport(Glibc)
import Glibc
#endif

/// When to colour output.
enum ColorChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, always, never
}

/// Options every command that reads topologies shares.
struct InputOptions: ParsableArguments {
    @Option(name: .customLong("max-file-size"), help: ArgumentHelp("Largest input file accepted (default 32MiB).", valueName: "size"))
    var maxFileSize: String?

    @Option(name: .customLong("max-generated"), help: ArgumentHelp("Most entries 'count' repetitions may generate (default 1000000).", valueName: "n"))
    var maxGenerated: Int?

    @Option(name: .customLong("disable"), help: ArgumentHelp("Switch a check off (repeatable).", valueName: "check-id"))
    var disabled: [String] = []

    @Flag(name: .customLong("Werror", withSingleDash: true), help: "Treat warnings as errors.")
    var warningsAsErrors = false

    @Option(help: ArgumentHelp("The kernel release whose PCI quirks apply (e.g. 6.8); default: the topology's platform kernel, else the newest iotopo knows.", valueName: "release"))
    var kernel: String?

    @Flag(name: .customLong("allow-include-outside"), help: "Let includes, extends and a workload's topology lead outside the repository holding the root file (docs/security.md).")
    var allowIncludeOutside = false

    @Option(name: .customLong("max-diagnostics"), help: ArgumentHelp("Most diagnostics shown per check and file; the rest are counted on one line (default 1000; 0 shows all).", valueName: "n"))
    var maxDiagnostics: Int?

    func validate() throws {
        if let n = maxDiagnostics {
            guard n >= 0 else { throw ValidationError("--max-diagnostics must not be negative") }
            // Read by every diagnostic sink; set once, before any file is read.
            DiagnosticSink.defaultCap.store(n, ordering: .relaxed)
        }
        for id in disabled {
            guard let info = CheckRegistry.info(id) else {
                let close = CheckRegistry.all.map(\.id).filter { $0.hasPrefix(String(id.prefix(4))) }.prefix(3)
                throw ValidationError("unknown check '\(id)'" + (close.isEmpty ? "" : " (similar: \(close.joined(separator: ", ")))") + "; see docs/checks.md")
            }
            guard CheckRegistry.isSuppressible(id) else {
                throw ValidationError("check '\(info.id)' cannot be disabled: without it the input cannot be read")
            }
        }
        if let s = maxFileSize, case .failure = IntegerSyntax.evaluate(s) {
            throw ValidationError("--max-file-size '\(s)' is not a size (e.g. 64MiB)")
        }
        if let n = maxGenerated, n < 0 { throw ValidationError("--max-generated must not be negative") }
        if let k = kernel, KernelRelease(parsing: k) == nil { throw ValidationError("--kernel '\(k)' is not a release (e.g. 6.8 or 6.8.0-45-generic)") }
    }

    /// The compile options these flags describe.
    var compileOptions: CompileOptions {
        var o = CompileOptions()
        if let s = maxFileSize, case let .success(v) = IntegerSyntax.evaluate(s) { o.limits.maxFileSize = Int(clamping: v) }
        if let n = maxGenerated { o.maxGenerated = n }
        o.policy = DiagnosticPolicy(disabled: Set(disabled), warningsAsErrors: warningsAsErrors)
        o.kernel = kernel
        if allowIncludeOutside { o.includes = .anywhere }
        return o
    }
}

/// Output styling options.
struct StyleOptions: ParsableArguments {
    @Option(help: "Colour: auto (on a terminal, unless NO_COLOR is set), always or never.")
    var color: ColorChoice = .auto

    /// The style for a file descriptor.
    func style(fd: Int32) -> TextStyle {
        switch color {
        case .always: return TextStyle(enabled: true)
        case .never: return .plain
        case .auto:
            if let v = getenv("NO_COLOR"), v.pointee != 0 { return .plain }
            return TextStyle(enabled: isatty(fd) == 1)
        }
    }
}

/// Writes to standard output or error without Foundation.
enum Output {
    static func out(_ s: String) { write(s, fd: 1) }

    static func err(_ s: String) { write(s, fd: 2) }

    /// A message for people on standard error (`error: ...`, `warning: ...`), ended by a
    /// newline. Messages quote paths and values a repository or a file list chose, so all
    /// of it is shown by `TerminalText`'s rule: no control, C1 or bidi character reaches the
    /// terminal or the log raw, and a newline inside it (as `^J`) cannot start a line of its
    /// own, unless `keepingNewlines` says its lines are a tool's own (dot's errors).
    static func say(_ s: String, keepingNewlines: Bool = false) { err(TerminalText.visible(s, keepingNewlines: keepingNewlines) + "\n") }

    /// The first error writing standard output (other than a closed pipe), if any: the
    /// command then exits 1 and says why (`finish`), whatever else it did.
    nonisolated(unsafe) static var standardOutputError: Int32?

    /// Writes all of `s`, retrying short writes and EINTR; a closed pipe ends quietly (a
    /// reader such as `head` has all it wants). Any other failure on standard output, a full
    /// disk say, is remembered for `finish`.
    static func write(_ s: String, fd: Int32) {
        var s = s
        s.withUTF8 { buf in
            guard let base = buf.baseAddress else { return }
            var done = 0
            while done < buf.count {
                let n = Glibc.write(fd, base + done, buf.count - done)
                if n < 0 && errno == EINTR { continue }
                if n < 0, fd == 1, errno != EPIPE, standardOutputError == nil { standardOutputError = errno }
                if n <= 0 { return }
                done += n
            }
        }
    }

    /// Ends the process: standard output is closed (a filesystem may report a write error
    /// only then), and if writing it failed at any point the command exits 1 with the cause,
    /// never 0 with a truncated output.
    static func finish(_ error: Error?) -> Never {
        // As ParsableCommand.exit(withError:): help and version (a clean exit) on standard
        // output, any other message on standard error.
        var code: Int32 = 0
        if let error {
            code = Iotopo.exitCode(for: error).rawValue
            // Argument errors quote the arguments (a file name from `git ls-files`, say):
            // shown by the same rule, the help's own lines kept.
            let message = TerminalText.visible(Iotopo.fullMessage(for: error), keepingNewlines: true)
            if !message.isEmpty {
                if code == 0 { out(message + "\n") } else { err(message + "\n") }
            }
        }
        if fflush(nil) != 0, errno != EPIPE, standardOutputError == nil { standardOutputError = errno }
        if close(1) != 0, errno != EBADF, errno != EINTR, standardOutputError == nil { standardOutputError = errno }
        if let e = standardOutputError {
            err("iotopo: cannot write standard output: \(AtomicWriter.errorText(e))\n")
            exit(code == 0 ? 1 : code)
        }
        exit(code)
    }
}
