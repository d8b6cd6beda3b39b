import ArgumentParser
import IotopoCompiler
import IotopoSource

/// `iotopo checks`: list every check with its ID, default severity and summary.
struct Checks: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List every check: its ID (for --disable and suppress), default severity and what it finds."
    )

    @Option(help: "text or json.")
    var format: ModelFormat = .text

    func run() {
        if format == .json {
            let items: [JSON] = CheckRegistry.all.map {
                .object([("id", .string($0.id)), ("severity", .string($0.severity.rawValue)), ("stage", .string($0.stage.rawValue)),
                         ("summary", .string($0.summary))])
            }
            Output.out(JSON.array(items).serialized(indent: 2, inlineFrom: 1) + "\n")
            return
        }
        let width = CheckRegistry.all.map(\.id.count).max() ?? 0
        for c in CheckRegistry.all {
            let pad = String(repeating: " ", count: width - c.id.count)
            Output.out("\(c.id)\(pad)  \(c.severity == .warning ? "warning" : "error  ")  \(c.summary)\n")
        }
    }
}
