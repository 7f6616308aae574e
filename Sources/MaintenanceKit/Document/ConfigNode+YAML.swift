import Yams

extension ConfigNode {
    /// How many nodes aliases may add beyond those written in the file: generous for real
    /// files, a quick and clear stop for an alias bomb ("billion laughs").
    public static let maximumAliasExpansion = 1_000_000
    /// How deeply collections may nest; real playbooks use fewer than ten levels.
    public static let maximumDepth = 64

    /// Parses a YAML document into a located node tree.
    /// - Parameter source: The file to parse; it must hold exactly one document.
    /// - Throws: `DiagnosticsError` for syntax errors, non-scalar keys, documents that
    ///   nest too deeply or expand too far through aliases.
    public static func parse(_ source: SourceFile) throws(DiagnosticsError) -> ConfigNode {
        let scan = YAMLEventScan.scan(source.text, file: source.path)
        if let complexKey = scan.complexKey { throw DiagnosticsError([complexKey]) }
        let root: Node?
        do {
            root = try Yams.compose(yaml: source.text)
        } catch let error as YamlError {
            throw DiagnosticsError([syntaxDiagnostic(error, file: source.path)])
        } catch {
            throw DiagnosticsError([Diagnostic(.syntax, at: source.start, "\(error)")])
        }
        guard let root else {
            throw DiagnosticsError([Diagnostic(.syntax, at: source.start, "file holds no YAML document")])
        }
        var converter = Converter(file: source.path, budget: scan.writtenNodes + maximumAliasExpansion)
        do {
            return try converter.convert(root, depth: 0)
        } catch {
            throw DiagnosticsError([error])
        }
    }

    private static func syntaxDiagnostic(_ error: YamlError, file: String) -> Diagnostic {
        func at(_ mark: Mark?) -> SourceLocation {
            mark.map { SourceLocation(file: file, line: $0.line, column: $0.column) } ?? .start(of: file)
        }
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let while_ = context.map { " \($0.text)" } ?? ""
            return Diagnostic(.syntax, at: at(mark), "YAML syntax: \(problem)\(while_)")
        case let .reader(problem, _, _, _):
            return Diagnostic(.syntax, at: at(nil), "YAML reader: \(problem)")
        case let .duplicatedKeysInMapping(duplicates, context):
            return Diagnostic(.syntax, at: at(context.mark),
                              "duplicate key \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) in mapping")
        default:
            return Diagnostic(.syntax, at: at(nil), "YAML: \(error)")
        }
    }

    /// Turns Yams nodes into `ConfigNode`s, counting every node it produces.
    private struct Converter {
        let file: String
        let budget: Int
        var produced = 0

        mutating func convert(_ node: Node, depth: Int) throws(Diagnostic) -> ConfigNode {
            let location = locate(node.mark)
            produced += 1
            if produced > budget {
                throw Diagnostic(.documentTooComplex, at: location,
                                 "aliases expand the document by more than \(ConfigNode.maximumAliasExpansion) nodes")
            }
            if depth > ConfigNode.maximumDepth {
                throw Diagnostic(.documentTooComplex, at: location,
                                 "collections nest more than \(ConfigNode.maximumDepth) levels deep")
            }
            switch node {
            case let .scalar(scalar):
                let isPlain = scalar.style == .plain
                return ConfigNode(.scalar(scalar.string, isPlain: isPlain), at: location)
            case let .sequence(sequence):
                var items: [ConfigNode] = []
                items.reserveCapacity(sequence.count)
                for item in sequence { items.append(try convert(item, depth: depth + 1)) }
                return ConfigNode(.sequence(items), at: location)
            case let .mapping(mapping):
                return ConfigNode(.mapping(try entries(of: mapping, depth: depth)), at: location)
            case .alias:
                throw Diagnostic(.syntax, at: location, "unresolved alias")
            }
        }

        /// Converts a mapping's pairs, applying YAML merge keys (`<<: *defaults`):
        /// keys written in the mapping win over merged ones.
        mutating func entries(of mapping: Node.Mapping, depth: Int) throws(Diagnostic) -> [Entry] {
            var own: [Entry] = []
            var merged: [Entry] = []
            for (key, value) in mapping {
                guard case let .scalar(keyScalar) = key else {
                    throw Diagnostic(.typeMismatch, at: locate(key.mark), "mapping keys must be plain text")
                }
                let converted = try convert(value, depth: depth + 1)
                if keyScalar.string == "<<", keyScalar.style == .plain {
                    let sources: [ConfigNode]
                    switch converted.kind {
                    case .mapping: sources = [converted]
                    case let .sequence(items): sources = items
                    case .scalar:
                        throw Diagnostic(.typeMismatch, at: converted.location, "a merge key '<<' takes a mapping or a list of mappings")
                    }
                    for source in sources {
                        guard let sourceEntries = source.entries else {
                            throw Diagnostic(.typeMismatch, at: source.location, "a merge key '<<' takes a mapping or a list of mappings")
                        }
                        merged.append(contentsOf: sourceEntries)
                    }
                } else {
                    own.append(Entry(key: keyScalar.string, keyLocation: locate(key.mark), value: converted))
                }
            }
            guard !merged.isEmpty else { return own }
            var seen = Set(own.map(\.key))
            for entry in merged where seen.insert(entry.key).inserted { own.append(entry) }
            return own
        }

        func locate(_ mark: Mark?) -> SourceLocation {
            mark.map { SourceLocation(file: file, line: $0.line, column: $0.column) } ?? .start(of: file)
        }
    }
}
