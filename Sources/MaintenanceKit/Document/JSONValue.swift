import Foundation

/// A JSON value as a plan file holds a step's typed parameters: written from the plugin's
/// `Encodable` parameters, read back through the same ``ConfigDecoder`` a playbook's `with:`
/// goes through, so an edited plan gets the same checks as a playbook.
public indirect enum JSONValue: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    /// A number, as its JSON text.
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Keys in the order they were written.
    case object([Member])

    /// A key and its value.
    public struct Member: Sendable, Hashable {
        public var key: String
        public var value: JSONValue
        public init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// The encoding of `value` (sorted keys, so that the same parameters give the same plan).
    public static func encoding<T: Encodable>(_ value: T) throws -> JSONValue {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try JSONDecoder().decode(JSONValue.self, from: encoder.encode(value))
    }

    public init(from decoder: any Decoder) throws {
        if let container = try? decoder.container(keyedBy: AnyKey.self) {
            self = .object(try container.allKeys.sorted { $0.stringValue < $1.stringValue }.map { key in
                Member(key: key.stringValue, value: try container.decode(JSONValue.self, forKey: key))
            })
            return
        }
        if var container = try? decoder.unkeyedContainer() {
            var items: [JSONValue] = []
            while !container.isAtEnd { items.append(try container.decode(JSONValue.self)) }
            self = .array(items)
            return
        }
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .number(String(value))
        } else if let value = try? container.decode(Double.self) {
            self = .number(String(value))
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case let .bool(value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case let .number(text):
            var container = encoder.singleValueContainer()
            if let integer = Int64(text) { try container.encode(integer) } else { try container.encode(Double(text) ?? 0) }
        case let .string(text):
            var container = encoder.singleValueContainer()
            try container.encode(text)
        case let .array(items):
            var container = encoder.unkeyedContainer()
            for item in items { try container.encode(item) }
        case let .object(members):
            var container = encoder.container(keyedBy: AnyKey.self)
            for member in members { try container.encode(member.value, forKey: AnyKey(member.key)) }
        }
    }

    /// The value as a document node at `location`, for ``ConfigDecoder``: numbers, booleans
    /// and null are plain scalars, strings quoted ones (never read as numbers).
    public func configNode(at location: SourceLocation) -> ConfigNode {
        switch self {
        case .null: ConfigNode(.scalar("null", isPlain: true), at: location)
        case let .bool(value): ConfigNode(.scalar(value ? "true" : "false", isPlain: true), at: location)
        case let .number(text): ConfigNode(.scalar(text, isPlain: true), at: location)
        case let .string(text): ConfigNode(.scalar(text, isPlain: false), at: location)
        case let .array(items): ConfigNode(.sequence(items.map { $0.configNode(at: location) }), at: location)
        case let .object(members):
            ConfigNode(.mapping(members.map {
                ConfigNode.Entry(key: $0.key, keyLocation: location, value: $0.value.configNode(at: location))
            }), at: location)
        }
    }
}

/// A coding key for any string.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(_ string: String) { stringValue = string }
    init(index: Int) {
        stringValue = String(index)
        intValue = index
    }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { self.init(index: intValue) }
}
