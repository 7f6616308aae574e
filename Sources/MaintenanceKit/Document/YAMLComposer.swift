import CYaml

/// Builds the located node tree straight from libyaml's events, in one pass over the file.
///
/// It does what a YAML composer does for the documents maintctl reads — anchors and aliases,
/// merge keys (`<<: *defaults`, keys written in the mapping win), duplicate keys refused — with
/// the limits a hostile file needs: mapping keys are plain text (an alias used as a key could
/// stand for an exponentially large node), aliases add at most
/// ``ConfigNode/maximumAliasExpansion`` nodes, collections nest at most
/// ``ConfigNode/maximumDepth`` levels. Its cost is linear in the file: a 16 MB playbook composes
/// in a fraction of a second, where a general-purpose composer that hashes every key to find
/// duplicates took seconds.
struct YAMLComposer {
    private let file: String
    /// Anchored nodes, how many nodes each stands for, and how deep its collections nest.
    private var anchors: [String: (node: ConfigNode, size: Int, depth: Int)] = [:]
    /// Nodes added by aliases so far.
    private var expanded = 0
    private var stack: [Frame] = []

    /// A collection being read.
    private struct Frame {
        var location: SourceLocation
        var anchor: String?
        /// Nodes in it so far, itself included.
        var size = 1
        /// How deep the collections in it nest so far, itself included.
        var depth = 1
        /// nil for a sequence.
        var mapping: MappingState?
        var items: [ConfigNode] = []
    }

    private struct MappingState {
        var own: [ConfigNode.Entry] = []
        var merged: [ConfigNode.Entry] = []
        /// The keys written, once there are enough of them to look up faster than to scan.
        var keys: Set<String>?
        /// The key read whose value comes next.
        var pendingKey: (text: String, location: SourceLocation, isMerge: Bool)?

        /// Records a key written in the mapping; false when it was written before.
        mutating func insertKey(_ key: String) -> Bool {
            if keys == nil, own.count < 16 { return !own.contains { $0.key == key } }
            if keys == nil { keys = Set(own.map(\.key)) }
            return keys!.insert(key).inserted
        }
    }

    init(file: String) {
        self.file = file
    }

    /// Composes the single document of `text`.
    /// - Returns: Its root, or nil when the stream holds no document.
    /// - Throws: A diagnostic at the place of the first problem.
    static func compose(_ text: String, file: String) throws(Diagnostic) -> ConfigNode? {
        var composer = YAMLComposer(file: file)
        return try composer.compose(text)
    }

    private mutating func compose(_ text: String) throws(Diagnostic) -> ConfigNode? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { throw Diagnostic(.syntax, at: .start(of: file), "YAML: out of memory") }
        defer { yaml_parser_delete(&parser) }
        var bytes = Array(text.utf8)
        let result: Result<ConfigNode?, Diagnostic> = bytes.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return .success(nil) }
            yaml_parser_set_input_string(&parser, base, buffer.count)
            var root: ConfigNode?
            var documents = 0
            var event = yaml_event_t()
            while true {
                guard yaml_parser_parse(&parser, &event) == 1 else { return .failure(syntaxError(parser, text: buffer)) }
                defer { yaml_event_delete(&event) }
                do throws(Diagnostic) {
                    switch event.type {
                    case YAML_STREAM_END_EVENT:
                        return .success(root)
                    case YAML_DOCUMENT_START_EVENT:
                        documents += 1
                        if documents > 1 {
                            throw Diagnostic(.syntax, at: location(event.start_mark),
                                             "YAML syntax: expected a single document in the file, but found another document")
                        }
                    case YAML_SCALAR_EVENT:
                        let scalar = event.data.scalar
                        let value = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
                        let node = ConfigNode(.scalar(value, isPlain: scalar.style == YAML_PLAIN_SCALAR_STYLE), at: location(event.start_mark))
                        try add(node, size: 1, depth: 0, anchor: Self.text(scalar.anchor), root: &root)
                    case YAML_ALIAS_EVENT:
                        let name = Self.text(event.data.alias.anchor) ?? ""
                        guard let anchored = anchors[name] else {
                            throw Diagnostic(.syntax, at: location(event.start_mark), "YAML: the alias *\(name) names no anchor written before it")
                        }
                        expanded += anchored.size
                        if expanded > ConfigNode.maximumAliasExpansion {
                            throw Diagnostic(.documentTooComplex, at: location(event.start_mark),
                                             "aliases expand the document by more than \(ConfigNode.maximumAliasExpansion) nodes")
                        }
                        // Nesting through aliases counts as written nesting does.
                        if stack.count + anchored.depth > ConfigNode.maximumDepth {
                            throw Diagnostic(.documentTooComplex, at: location(event.start_mark),
                                             "collections nest more than \(ConfigNode.maximumDepth) levels deep (through aliases)")
                        }
                        try add(anchored.node, size: anchored.size, depth: anchored.depth, anchor: nil, root: &root, isAlias: true,
                                at: location(event.start_mark))
                    case YAML_SEQUENCE_START_EVENT:
                        try open(Frame(location: location(event.start_mark), anchor: Self.text(event.data.sequence_start.anchor)))
                    case YAML_MAPPING_START_EVENT:
                        try open(Frame(location: location(event.start_mark), anchor: Self.text(event.data.mapping_start.anchor), mapping: MappingState()))
                    case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                        guard let frame = stack.popLast() else { continue }
                        let kind: ConfigNode.Kind
                        if let mapping = frame.mapping {
                            var entries = mapping.own
                            if !mapping.merged.isEmpty {
                                var seen = Set(entries.map(\.key))
                                for entry in mapping.merged where seen.insert(entry.key).inserted { entries.append(entry) }
                            }
                            kind = .mapping(entries)
                        } else {
                            kind = .sequence(frame.items)
                        }
                        try add(ConfigNode(kind, at: frame.location), size: frame.size, depth: frame.depth, anchor: frame.anchor, root: &root)
                    default:
                        continue
                    }
                } catch {
                    return .failure(error)
                }
            }
        }
        return try result.get()
    }

    /// Starts a collection, within the depth limit.
    private mutating func open(_ frame: Frame) throws(Diagnostic) {
        if case .some(let mapping) = stack.last?.mapping, mapping.pendingKey == nil {
            throw Diagnostic(.typeMismatch, at: frame.location, "mapping keys must be plain text, not aliases, lists or mappings")
        }
        guard stack.count < ConfigNode.maximumDepth else {
            throw Diagnostic(.documentTooComplex, at: frame.location, "collections nest more than \(ConfigNode.maximumDepth) levels deep")
        }
        stack.append(frame)
    }

    /// Puts a finished node where it belongs: the root, an item, a key, or a key's value.
    private mutating func add(_ node: ConfigNode, size: Int, depth: Int, anchor: String?, root: inout ConfigNode?,
                              isAlias: Bool = false, at aliasLocation: SourceLocation? = nil) throws(Diagnostic) {
        if let anchor { anchors[anchor] = (node, size, depth) }
        guard !stack.isEmpty else {
            root = node
            return
        }
        let top = stack.count - 1
        stack[top].size += size
        stack[top].depth = max(stack[top].depth, depth + 1)
        guard stack[top].mapping != nil, var mapping = stack[top].mapping else {
            stack[top].items.append(node)
            return
        }
        // Taken out while it changes, so that its arrays are not copied on every entry.
        stack[top].mapping = nil
        defer { stack[top].mapping = mapping }
        guard let key = mapping.pendingKey else {
            guard !isAlias, case let .scalar(text, isPlain) = node.kind else {
                throw Diagnostic(.typeMismatch, at: aliasLocation ?? node.location, "mapping keys must be plain text, not aliases, lists or mappings")
            }
            let isMerge = text == "<<" && isPlain
            if !isMerge, !mapping.insertKey(text) {
                throw Diagnostic(.syntax, at: node.location, "duplicate key '\(text.forMessage)' in mapping")
            }
            mapping.pendingKey = (text, node.location, isMerge)
            return
        }
        mapping.pendingKey = nil
        guard key.isMerge else {
            mapping.own.append(ConfigNode.Entry(key: key.text, keyLocation: key.location, value: node))
            return
        }
        let sources: [ConfigNode]
        switch node.kind {
        case .mapping: sources = [node]
        case let .sequence(items): sources = items
        case .scalar: throw Diagnostic(.typeMismatch, at: node.location, "a merge key '<<' takes a mapping or a list of mappings")
        }
        for source in sources {
            guard let entries = source.entries else {
                throw Diagnostic(.typeMismatch, at: source.location, "a merge key '<<' takes a mapping or a list of mappings")
            }
            mapping.merged.append(contentsOf: entries)
        }
    }

    private func location(_ mark: yaml_mark_t) -> SourceLocation {
        SourceLocation(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }

    private func syntaxError(_ parser: yaml_parser_t, text bytes: UnsafeMutableBufferPointer<UInt8>) -> Diagnostic {
        let problem = parser.problem.map { String(cString: $0) } ?? "cannot be read"
        let context = parser.context.map { " " + String(cString: $0) } ?? ""
        guard parser.error == YAML_READER_ERROR else {
            return Diagnostic(.syntax, at: location(parser.problem_mark), "YAML syntax: \(problem)\(context)")
        }
        // A reader error gives a byte offset, not a mark: count the lines up to it.
        let offset = min(Int(parser.problem_offset), bytes.count)
        let before = bytes[..<offset]
        let line = before.reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
        let lineStart = before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        let column = String(decoding: bytes[lineStart..<offset], as: UTF8.self).count + 1
        return Diagnostic(.syntax, at: SourceLocation(file: file, line: line, column: column), "YAML reader: \(problem)\(context)")
    }

    private static func text(_ bytes: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        bytes.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
    }
}
