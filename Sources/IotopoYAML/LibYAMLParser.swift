internal import CYAML
import IotopoSource

/// Owns one libyaml parser; the only place C types live. Frees the parser in `deinit`.
final class LibYAMLParser {
    private let parser: UnsafeMutablePointer<yaml_parser_t>
    // Stored behind pointers so reading an event costs no dynamic exclusivity check.
    private let eventPointer: UnsafeMutablePointer<yaml_event_t>
    private let hasEvent: UnsafeMutablePointer<Bool>
    private var event: yaml_event_t { eventPointer.pointee }
    /// Where the input ends (positions past it are moved back to it).
    private let endOfInput: EndOfInput

    /// Creates a parser over `input`, which must stay alive and unmoved while it is used.
    init(input: UnsafeBufferPointer<UInt8>, end: EndOfInput) {
        endOfInput = end
        parser = .allocate(capacity: 1)
        parser.initialize(to: yaml_parser_t())
        eventPointer = .allocate(capacity: 1)
        eventPointer.initialize(to: yaml_event_t())
        hasEvent = .allocate(capacity: 1)
        hasEvent.initialize(to: false)
        yaml_parser_initialize(parser)
        if let base = input.baseAddress {
            yaml_parser_set_input_string(parser, base, input.count)
        } else {
            var empty: UInt8 = 0
            withUnsafePointer(to: &empty) { yaml_parser_set_input_string(parser, $0, 0) }
        }
        // libyaml would otherwise guess UTF-16 from a byte-order mark; only UTF-8 is accepted.
        yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
    }

    deinit {
        if hasEvent.pointee { yaml_event_delete(eventPointer) }
        yaml_parser_delete(parser)
        parser.deinitialize(count: 1)
        parser.deallocate()
        eventPointer.deallocate()
        hasEvent.deallocate()
    }

    /// The kinds of event the tree builder consumes.
    enum EventKind {
        case streamStart, streamEnd, documentStart, documentEnd
        case alias, scalar, sequenceStart, sequenceEnd, mappingStart, mappingEnd, none
    }

    /// A libyaml error: message, where it was found, and libyaml's context note.
    struct ParseError {
        var message: String
        var line: Int
        var column: Int
        var byteOffset: Int?
        var context: String?
        var contextLine: Int
        var contextColumn: Int
    }

    /// Advances to the next event; returns nil on a parse error (see `lastError`).
    func next() -> EventKind? {
        if hasEvent.pointee { yaml_event_delete(eventPointer); hasEvent.pointee = false }
        guard yaml_parser_parse(parser, eventPointer) != 0 else { return nil }
        hasEvent.pointee = true
        switch eventPointer.pointee.type {
        case YAML_STREAM_START_EVENT: return .streamStart
        case YAML_STREAM_END_EVENT: return .streamEnd
        case YAML_DOCUMENT_START_EVENT: return .documentStart
        case YAML_DOCUMENT_END_EVENT: return .documentEnd
        case YAML_ALIAS_EVENT: return .alias
        case YAML_SCALAR_EVENT: return .scalar
        case YAML_SEQUENCE_START_EVENT: return .sequenceStart
        case YAML_SEQUENCE_END_EVENT: return .sequenceEnd
        case YAML_MAPPING_START_EVENT: return .mappingStart
        case YAML_MAPPING_END_EVENT: return .mappingEnd
        default: return EventKind.none
        }
    }

    /// The current event's start, 1-based.
    var start: SourcePosition {
        endOfInput.clamp(SourcePosition(line: UInt32(truncatingIfNeeded: event.start_mark.line + 1),
                                        column: UInt32(truncatingIfNeeded: event.start_mark.column + 1)))
    }

    /// The current event's end, 1-based.
    var end: SourcePosition {
        endOfInput.clamp(SourcePosition(line: UInt32(truncatingIfNeeded: event.end_mark.line + 1),
                                        column: UInt32(truncatingIfNeeded: event.end_mark.column + 1)))
    }

    /// The current scalar's bytes, by length (a scalar may contain NUL).
    var scalarValue: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: event.data.scalar.value, count: event.data.scalar.length)
    }

    /// The current scalar's style.
    var scalarStyle: ScalarStyle {
        switch event.data.scalar.style {
        case YAML_PLAIN_SCALAR_STYLE: return .plain
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: return .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: return .literal
        case YAML_FOLDED_SCALAR_STYLE: return .folded
        default: return .plain
        }
    }

    /// The anchor on the current node event, if any.
    var anchor: [UInt8]? {
        switch event.type {
        case YAML_SCALAR_EVENT: return Self.bytes(event.data.scalar.anchor)
        case YAML_SEQUENCE_START_EVENT: return Self.bytes(event.data.sequence_start.anchor)
        case YAML_MAPPING_START_EVENT: return Self.bytes(event.data.mapping_start.anchor)
        case YAML_ALIAS_EVENT: return Self.bytes(event.data.alias.anchor)
        default: return nil
        }
    }

    /// The resolved tag on the current node event, if one was written.
    var tag: [UInt8]? {
        switch event.type {
        case YAML_SCALAR_EVENT: return Self.bytes(event.data.scalar.tag)
        case YAML_SEQUENCE_START_EVENT: return Self.bytes(event.data.sequence_start.tag)
        case YAML_MAPPING_START_EVENT: return Self.bytes(event.data.mapping_start.tag)
        default: return nil
        }
    }

    /// The error libyaml reported after `next()` returned nil.
    var lastError: ParseError {
        let p = parser.pointee
        let isReader = p.error == YAML_READER_ERROR
        return ParseError(
            message: Self.text(p.problem) ?? "unknown libyaml error",
            line: Int(p.problem_mark.line), column: Int(p.problem_mark.column),
            byteOffset: isReader ? Int(p.problem_offset) : nil,
            context: Self.text(p.context),
            contextLine: Int(p.context_mark.line), contextColumn: Int(p.context_mark.column))
    }

    /// Bytes of a NUL-terminated libyaml string (anchors, tags: libyaml forbids NUL in them).
    private static func bytes(_ p: UnsafeMutablePointer<yaml_char_t>?) -> [UInt8]? {
        guard let p else { return nil }
        var n = 0
        while p[n] != 0 { n += 1 }
        return Array(UnsafeBufferPointer(start: p, count: n))
    }

    private static func text(_ p: UnsafePointer<CChar>?) -> String? {
        guard let p else { return nil }
        return p.withMemoryRebound(to: UInt8.self, capacity: 1) { u in
            var n = 0
            while u[n] != 0 { n += 1 }
            return String(decoding: UnsafeBufferPointer(start: u, count: n), as: UTF8.self)
        }
    }
}
