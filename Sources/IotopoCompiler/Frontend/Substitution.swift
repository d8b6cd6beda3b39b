/// Index substitution for repeated entries (`count: N`).
///
/// Inside a repeated entry, `{i}` in any scalar becomes the instance index. A placeholder may
/// add or multiply a decimal constant and pick a format: `{i+1}`, `{i*4}`, `{i:x}`, `{i:02x}`,
/// `{i:X}`, `{i:03d}`. Nested repetitions name their index with `index: j`.
public struct Substitution: Sendable {
    /// Variable name and value, innermost last.
    public var bindings: [(name: [UInt8], value: UInt64)]

    /// No bindings.
    public init() { bindings = [] }

    /// Whether any variable is bound.
    public var isEmpty: Bool { bindings.isEmpty }

    /// Substitutes every `{...}` placeholder; returns nil and a message on a malformed one.
    public func apply(_ text: UnsafeBufferPointer<UInt8>) -> Result<[UInt8], SubstitutionError> {
        var out: [UInt8] = []
        out.reserveCapacity(text.count + 8)
        var i = 0
        while i < text.count {
            let c = text[i]
            if c != UInt8(ascii: "{") {
                out.append(c)
                i += 1
                continue
            }
            guard let close = text[i...].firstIndex(of: UInt8(ascii: "}")) else {
                return .failure(SubstitutionError(message: "'{' without a closing '}'"))
            }
            let inner = Array(text[(i + 1) ..< close])
            switch render(inner) {
            case let .success(bytes): out.append(contentsOf: bytes)
            case let .failure(e): return .failure(e)
            }
            i = close + 1
        }
        return .success(out)
    }

    package func render(_ inner: [UInt8]) -> Result<[UInt8], SubstitutionError> {
        var expr = inner[...], format: ArraySlice<UInt8> = []
        if let colon = inner.firstIndex(of: UInt8(ascii: ":")) {
            expr = inner[..<colon]
            format = inner[(colon + 1)...]
        }
        let nameEnd = expr.firstIndex { !(($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x41 && $0 <= 0x5A) || $0 == 0x5F) } ?? expr.endIndex
        let name = Array(expr[..<nameEnd])
        let shown = String(decoding: inner, as: UTF8.self)
        guard let binding = bindings.last(where: { $0.name == name }) else {
            let names = bindings.map { String(decoding: $0.name, as: UTF8.self) }
            return .failure(SubstitutionError(message: names.isEmpty
                ? "placeholder '{\(shown)}' outside a repeated entry (add 'count')"
                : "placeholder '{\(shown)}' names no index variable (in scope: \(names.joined(separator: ", ")))"))
        }
        var value = binding.value
        var rest = expr[nameEnd...]
        if let op = rest.first {
            rest = rest.dropFirst()
            guard !rest.isEmpty, rest.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), rest.count <= 18,
                  let k = UInt64(String(decoding: rest, as: UTF8.self)) else {
                return .failure(SubstitutionError(message: "placeholder '{\(shown)}': expected {\(String(decoding: name, as: UTF8.self))+N} or {\(String(decoding: name, as: UTF8.self))*N} with a decimal N"))
            }
            let r: (UInt64, Bool)
            switch op {
            case UInt8(ascii: "+"): r = value.addingReportingOverflow(k)
            case UInt8(ascii: "-"): r = value.subtractingReportingOverflow(k)
            case UInt8(ascii: "*"): r = value.multipliedReportingOverflow(by: k)
            default: return .failure(SubstitutionError(message: "placeholder '{\(shown)}': unknown operator"))
            }
            if r.1 { return .failure(SubstitutionError(message: "placeholder '{\(shown)}' overflows")) }
            value = r.0
        }
        return Self.format(value, spec: format, shown: shown)
    }

    package static func format(_ v: UInt64, spec: ArraySlice<UInt8>, shown: String) -> Result<[UInt8], SubstitutionError> {
        if spec.isEmpty { return .success(Array(String(v).utf8)) }
        guard let kind = spec.last, [UInt8(ascii: "x"), UInt8(ascii: "X"), UInt8(ascii: "d")].contains(kind) else {
            return .failure(SubstitutionError(message: "placeholder '{\(shown)}': format must end in x, X or d"))
        }
        let widthText = spec.dropLast()
        var width = 0
        if !widthText.isEmpty {
            guard widthText.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), widthText.count <= 2,
                  let w = Int(String(decoding: widthText, as: UTF8.self)) else {
                return .failure(SubstitutionError(message: "placeholder '{\(shown)}': bad width"))
            }
            width = w
        }
        var s = kind == UInt8(ascii: "d") ? String(v) : String(v, radix: 16, uppercase: kind == UInt8(ascii: "X"))
        if s.count < width { s = String(repeating: "0", count: width - s.count) + s }
        return .success(Array(s.utf8))
    }
}

/// A malformed placeholder.
public struct SubstitutionError: Error, Equatable {
    /// What was wrong.
    public var message: String
}
