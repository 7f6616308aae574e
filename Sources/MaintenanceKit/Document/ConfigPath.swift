/// One step of a path into a document: a mapping key or a list index.
public enum ConfigPathComponent: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    case key(String)
    case index(Int)

    public init(stringLiteral value: String) { self = .key(value) }
    public init(integerLiteral value: Int) { self = .index(value) }
}

extension ConfigNode {
    /// The node at `path`, or nil when the document has no such node.
    public func node(at path: [ConfigPathComponent]) -> ConfigNode? {
        var current = self
        for component in path {
            switch (component, current.kind) {
            case let (.key(key), .mapping):
                guard let next = current[key] else { return nil }
                current = next
            case let (.index(index), .sequence(items)) where items.indices.contains(index):
                current = items[index]
            default:
                return nil
            }
        }
        return current
    }

    /// The location of the node at `path`, or of the deepest node on the way that exists.
    public func location(at path: [ConfigPathComponent]) -> SourceLocation {
        var best = location
        for length in 0...path.count {
            guard let found = node(at: Array(path.prefix(length))) else { break }
            best = found.location
        }
        return best
    }
}
