import IotopoFirmware
import IotopoModel
import IotopoSource
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a device tree: a .dtb with libfdt, or a .dts through `dtc` when it is installed.
enum DeviceTreeReader {
    /// `/dts-v1/;` after blanks and comments: device tree source.
    static func looksLikeSource(_ bytes: [UInt8]) -> Bool {
        var s = Substring(String(decoding: bytes.prefix(4096), as: UTF8.self))
        while true {
            while let c = s.first, c == " " || c == "\t" || c == "\n" || c == "\r" { s.removeFirst() }
            if s.hasPrefix("//") { s = s.drop { $0 != "\n" }; continue }
            if s.hasPrefix("/*") {
                let u = Array(s.utf8)
                guard let end = (2 ..< max(2, u.count - 1)).first(where: { u[$0] == 0x2A && u[$0 + 1] == 0x2F }) else { return false }
                s = Substring(String(decoding: u[(end + 2)...], as: UTF8.self))
                continue
            }
            break
        }
        return s.hasPrefix("/dts-v1/")
    }

    static func read(_ bytes: [UInt8], path: String, file: FileID, sink: inout DiagnosticSink) -> HostDescription? {
        var problems: [FirmwareProblem] = []
        guard let tree = DeviceTree.read(bytes, problems: &problems) else {
            report(problems, file, &sink)
            return nil
        }
        let facts = DeviceTreeFacts.read(tree, problems: &problems)
        report(problems, file, &sink)
        if problems.contains(where: { $0.severity == .error }) { return nil }
        var h = HostDescription(format: "dtb", sourcePath: path, functions: [])
        h.deviceTree = DeviceTreeSource(tree: tree, facts: facts, file: file)
        if !facts.memory.isEmpty { h.ram = facts.memory.map { AddressRange(base: $0.base, last: $0.base &+ ($0.size - 1)) } }
        return h
    }

    static func report(_ problems: [FirmwareProblem], _ file: FileID, _ sink: inout DiagnosticSink) {
        for p in problems {
            if p.severity == .error { sink.error(p.id, p.located, at: .fileStart(file)) } else { sink.warning(p.id, p.located, at: .fileStart(file)) }
        }
    }

    /// Compiles a .dts with dtc into a blob; a failure says why (dtc missing, or its errors).
    struct Failure: Error { var reason: String }

    /// The path mkstemp filled in, up to its NUL.
    private static func cPathString(_ chars: [CChar]) -> String {
        String(decoding: chars.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func compile(_ path: String) -> Result<[UInt8], Failure> {
        let dirs = (Environment.value("PATH") ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        guard let dtc = dirs.map({ $0 + "/dtc" }).first(where: { access($0, X_OK) == 0 }) else {
            return .failure(Failure(reason: "'\(path)' is device tree source, and reading it needs dtc, which is not installed (Debian: apt-get install device-tree-compiler); or give the compiled .dtb"))
        }
        var outTemplate = Array("/tmp/iotopo-dtb-XXXXXX".utf8CString)
        var errTemplate = Array("/tmp/iotopo-dtc-XXXXXX".utf8CString)
        let outFD = mkstemp(&outTemplate), errFD = mkstemp(&errTemplate)
        let outPath = cPathString(outTemplate), errPath = cPathString(errTemplate)
        defer {
            if outFD >= 0 { close(outFD); unlink(outPath) }
            if errFD >= 0 { close(errFD); unlink(errPath) }
        }
        guard outFD >= 0, errFD >= 0 else { return .failure(Failure(reason: "cannot make a temporary file for dtc's output")) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, errFD, 2)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        let args = [dtc, "-q", "-I", "dts", "-O", "dtb", "-o", outPath, path]
        var cargs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, dtc, &actions, nil, &cargs, environ)
        guard rc == 0 else { return .failure(Failure(reason: "cannot run dtc: \(AtomicWriter.errorText(rc))")) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exited = (status & 0x7F) == 0
        let code = (status >> 8) & 0xFF
        guard exited, code == 0 else {
            let err = (try? FileReader.read(errPath, limit: 1 << 16).get()).map { String(decoding: $0, as: UTF8.self) } ?? ""
            let first = err.split(separator: "\n").first.map(String.init) ?? "status \(code)"
            return .failure(Failure(reason: "dtc cannot compile '\(path)': \(first)"))
        }
        switch FileReader.read(outPath, limit: 64 << 20) {
        case let .success(b): return .success(b)
        case let .failure(f): return .failure(Failure(reason: "cannot read dtc's output: \(f.reason)"))
        }
    }
}
