import ArgumentParser
import Foundation
import IotopoAnalysis
import IotopoCompiler
import IotopoReport
import IotopoSource

/// Picture formats.
enum GraphFormat: String, ExpressibleByArgument, CaseIterable {
    case dot, svg
}

/// `iotopo graph TOPOLOGY`: buses, bridges, IOMMUs and devices, IOMMU groups as clusters,
/// untranslated paths and policy violations highlighted.
struct Graph: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw the platform: buses, bridges, IOMMUs and devices, IOMMU groups as clusters, untranslated DMA and policy violations highlighted.",
        discussion: "--format dot prints Graphviz source; --format svg runs Graphviz's 'dot' (Debian's graphviz package) on it. Exit status: 0 drawn, 1 the topology has errors or dot failed, 64 misuse."
    )

    @Argument(help: "The topology file (YAML, or a compiled model .json).")
    var topology: String

    @Option(help: "dot (Graphviz source) or svg.")
    var format: GraphFormat = .dot

    @Option(help: "ACS rules for the group clusters: classic or egress.")
    var acsPolicy: ACSPolicy = .classic

    @Option(name: .shortAndLong, help: ArgumentHelp("Write here (atomically) instead of standard output.", valueName: "file"))
    var output: String?

    @OptionGroup var input: InputOptions
    @OptionGroup var styleOptions: StyleOptions

    func run() throws {
        // Policy violations are drawn, not fatal: the picture is how one looks at them.
        guard let model = Loading.analysisModel(topology, input: input, style: styleOptions.style(fd: 2)) else { throw ExitCode(1) }
        let groups = GroupAnalysis(model, policy: acsPolicy)
        let reach = Reachability(model)
        var text = GraphText.dot(model, groups: groups, reach: reach, policies: PolicyEvaluation(model, groups: groups, reach: reach))
        if format == .svg {
            text = try Self.render(dot: text)
        }
        if let output {
            do { try AtomicWriter.write(text, to: output) } catch {
                Output.say("error: \(error.description)")
                throw ExitCode(1)
            }
        } else {
            Output.out(text)
        }
    }

    /// Runs `dot -Tsvg` from PATH on the source.
    static func render(dot source: String) throws -> String {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        guard let exe = paths.map({ $0 + "/dot" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            Output.say("error: --format svg needs Graphviz's 'dot' on PATH (Debian: apt-get install graphviz); --format dot prints the source")
            throw ExitCode(1)
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = ["-Tsvg"]
        let inPipe = Pipe(), outPipe = Pipe(), errPipe = Pipe()
        p.standardInput = inPipe
        p.standardOutput = outPipe
        p.standardError = errPipe
        try p.run()
        // Feed stdin from another thread so a large picture cannot deadlock on full pipes.
        let data = Data(source.utf8)
        let writer = Thread { inPipe.fileHandleForWriting.write(data); try? inPipe.fileHandleForWriting.close() }
        writer.start()
        let out = outPipe.fileHandleForReading.readDataToEndOfFile()
        let err = errPipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            var why = String(decoding: err, as: UTF8.self)
            while why.hasSuffix("\n") { why.removeLast() }
            Output.say("error: dot failed (status \(p.terminationStatus)): \(why)", keepingNewlines: true)
            throw ExitCode(1)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
