import CYaml

/// A pass over libyaml's events before composing.
///
/// It rejects mapping keys that are not plain scalars: Yams hashes every key to find
/// duplicates, and an alias used as a key can stand for an exponentially large node
/// ("billion laughs" through keys), which would stall that hashing; no playbook or
/// inventory needs such keys. It also counts the nodes written in the document, so the
/// budget for alias expansion can be set above what the file itself holds.
enum YAMLEventScan {
    struct Result {
        /// The first non-scalar mapping key.
        var complexKey: Diagnostic?
        /// Scalars, sequences and mappings written in the document (aliases not expanded).
        var writtenNodes = 0
    }

    /// Scans `text`; syntax errors end the scan early and are left for the composer to report.
    static func scan(_ text: String, file: String) -> Result {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return Result() }
        defer { yaml_parser_delete(&parser) }
        var bytes = Array(text.utf8)
        var result = Result()
        bytes.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            yaml_parser_set_input_string(&parser, base, buffer.count)
            // For each open collection: nil for a sequence, else whether the next node is a key.
            var expectingKey: [Bool?] = []
            var event = yaml_event_t()
            while yaml_parser_parse(&parser, &event) == 1 {
                defer { yaml_event_delete(&event) }
                let type = event.type
                if type == YAML_STREAM_END_EVENT { return }
                let startsNode = type == YAML_SCALAR_EVENT || type == YAML_ALIAS_EVENT
                    || type == YAML_SEQUENCE_START_EVENT || type == YAML_MAPPING_START_EVENT
                if startsNode, type != YAML_ALIAS_EVENT { result.writtenNodes += 1 }
                if startsNode, let top = expectingKey.last, let isKey = top {
                    if isKey, type != YAML_SCALAR_EVENT {
                        let mark = event.start_mark
                        result.complexKey = Diagnostic(.typeMismatch,
                                          at: SourceLocation(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1),
                                          "mapping keys must be plain text, not aliases, lists or mappings")
                        return
                    }
                    expectingKey[expectingKey.count - 1] = !isKey
                }
                if type == YAML_SEQUENCE_START_EVENT { expectingKey.append(nil) }
                if type == YAML_MAPPING_START_EVENT { expectingKey.append(true) }
                if type == YAML_SEQUENCE_END_EVENT || type == YAML_MAPPING_END_EVENT { _ = expectingKey.popLast() }
            }
        }
        return result
    }
}
