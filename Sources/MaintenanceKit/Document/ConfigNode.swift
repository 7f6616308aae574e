/// A YAML node with the place it was written, after aliases and merge keys are resolved.
///
/// This is the document model everything else decodes from: small, `Sendable`, and every
/// value knows its `file:line:col`.
public struct ConfigNode: Sendable {
    /// A key and value of a mapping, with the key's own location.
    public struct Entry: Sendable {
        /// The key text.
        public var key: String
        /// Where the key was written.
        public var keyLocation: SourceLocation
        /// The value.
        public var value: ConfigNode
    }

    /// The shape of a node.
    public enum Kind: Sendable {
        /// A scalar; `isPlain` is false for quoted scalars, which are never null, numbers or booleans.
        case scalar(String, isPlain: Bool)
        /// A sequence.
        case sequence([ConfigNode])
        /// A mapping, in document order.
        case mapping([Entry])
    }

    /// The node's shape and content.
    public var kind: Kind
    /// Where the node starts.
    public var location: SourceLocation

    /// Creates a node.
    public init(_ kind: Kind, at location: SourceLocation) {
        self.kind = kind
        self.location = location
    }

    /// Whether this is a YAML null (`~`, `null` or nothing).
    public var isNull: Bool {
        if case let .scalar(text, isPlain) = kind, isPlain {
            return text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL"
        }
        return false
    }

    /// The scalar text, if this is a scalar.
    public var scalar: String? {
        if case let .scalar(text, _) = kind { return text }
        return nil
    }

    /// The mapping entries, if this is a mapping.
    public var entries: [Entry]? {
        if case let .mapping(entries) = kind { return entries }
        return nil
    }

    /// The value under `key`, if this is a mapping that has it.
    public subscript(key: String) -> ConfigNode? {
        entries?.first { $0.key == key }?.value
    }

    /// A word for the node's shape, for messages ("expected a mapping, found a sequence").
    public var shapeName: String {
        switch kind {
        case .scalar: isNull ? "null" : "a scalar"
        case .sequence: "a sequence"
        case .mapping: "a mapping"
        }
    }

    /// An empty mapping at `location`, for optional sections the user left out.
    public static func emptyMapping(at location: SourceLocation) -> ConfigNode {
        ConfigNode(.mapping([]), at: location)
    }
}

extension ConfigNode: Decodable {
    /// Captures the raw node, so a type can keep part of a document for later decoding
    /// (a step's `with:` before its plugin is known). Only ``ConfigDecoder`` can provide it.
    public init(from decoder: any Decoder) throws {
        guard let nodeDecoder = decoder as? NodeDecoder else {
            throw ConfigValueError("a raw document node can only be decoded by ConfigDecoder")
        }
        self = nodeDecoder.node
    }
}
