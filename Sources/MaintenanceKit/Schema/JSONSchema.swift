/// Pieces of JSON Schema (draft 2020-12) as ``JSONValue``, for `maintctl schema`: built from the
/// typed step descriptors and the playbook and inventory models, never written by hand.
public enum JSONSchema {
    /// The dialect every document declares.
    public static let dialect = "https://json-schema.org/draft/2020-12/schema"

    /// A whole document: `root` with its shared definitions.
    static func document(id: String, title: String, root: [JSONValue.Member], definitions: [(String, JSONValue)]) -> JSONValue {
        .object([
            .init(key: "$schema", value: .string(dialect)),
            .init(key: "$id", value: .string(id)),
            .init(key: "title", value: .string(title)),
        ] + root + [.init(key: "$defs", value: .object(definitions.map { .init(key: $0.0, value: $0.1) }))])
    }

    /// A mapping with exactly these keys (others are refused, as maintctl refuses them).
    static func object(_ properties: [(String, JSONValue)], required: [String] = [], description: String? = nil) -> JSONValue {
        .object(members(description: description) + [
            .init(key: "type", value: .string("object")),
            .init(key: "properties", value: .object(properties.map { .init(key: $0.0, value: $0.1) })),
            .init(key: "additionalProperties", value: .bool(false)),
        ] + (required.isEmpty ? [] : [.init(key: "required", value: .array(required.map(JSONValue.string)))]))
    }

    /// A mapping from any key to `value`.
    static func map(of value: JSONValue, description: String? = nil) -> JSONValue {
        .object(members(description: description) + [
            .init(key: "type", value: .string("object")),
            .init(key: "additionalProperties", value: value),
        ])
    }

    static func array(of items: JSONValue, minItems: Int? = nil, uniqueItems: Bool = false, description: String? = nil) -> JSONValue {
        .object(members(description: description) + [
            .init(key: "type", value: .string("array")),
            .init(key: "items", value: items),
        ] + (minItems.map { [.init(key: "minItems", value: .integer($0))] } ?? [])
          + (uniqueItems ? [.init(key: "uniqueItems", value: .bool(true))] : []))
    }

    static func string(description: String? = nil, pattern: String? = nil, minLength: Int? = nil) -> JSONValue {
        .object(members(description: description) + [.init(key: "type", value: .string("string"))]
            + (pattern.map { [.init(key: "pattern", value: .string($0))] } ?? [])
            + (minLength.map { [.init(key: "minLength", value: .integer($0))] } ?? []))
    }

    /// One of `words`; `default` when it is one of them.
    static func enumeration(_ words: [String], description: String? = nil, default value: String? = nil) -> JSONValue {
        .object(members(description: description) + [
            .init(key: "type", value: .string("string")),
            .init(key: "enum", value: .array(words.map(JSONValue.string))),
        ] + (value.flatMap { words.contains($0) ? [.init(key: "default", value: .string($0))] : nil } ?? []))
    }

    static func enumeration<E: ConfigEnumeration>(of type: E.Type, description: String? = nil, default value: E? = nil) -> JSONValue {
        enumeration(E.allCases.map(\.rawValue), description: description, default: value?.rawValue)
    }

    static func integer(_ range: ClosedRange<Int>, description: String? = nil) -> JSONValue {
        .object(members(description: description) + [
            .init(key: "type", value: .string("integer")),
            .init(key: "minimum", value: .integer(range.lowerBound)),
            .init(key: "maximum", value: .integer(range.upperBound)),
        ])
    }

    static func number(_ range: ClosedRange<Double>, description: String? = nil) -> JSONValue {
        .object(members(description: description) + [
            .init(key: "type", value: .string("number")),
            .init(key: "minimum", value: .number(numberText(range.lowerBound))),
            .init(key: "maximum", value: .number(numberText(range.upperBound))),
        ])
    }

    /// A duration as a playbook writes it: `500ms`, `30s`, `5m`, `1h30m`, or a number of seconds.
    static func duration(description: String? = nil) -> JSONValue {
        .object(members(description: description) + [
            .init(key: "anyOf", value: .array([
                .object([.init(key: "type", value: .string("number")), .init(key: "minimum", value: .integer(0))]),
                string(pattern: #"^\s*([0-9]{1,9}(ms|h|m|s))+\s*$|^[0-9]+(\.[0-9]+)?$"#),
            ])),
        ])
    }

    /// Text that reads as a number in YAML counts too (`version: 7.2` is the string `7.2`).
    static func identifier(description: String? = nil) -> JSONValue {
        .object(members(description: description) + [
            .init(key: "anyOf", value: .array([string(pattern: Self.identifierPattern), .object([.init(key: "type", value: .string("number"))])])),
        ])
    }

    /// Letters, digits, `.`, `_` and `-`, at most 64 (``InventoryLoader/isIdentifier(_:)``).
    static let identifierPattern = "^[A-Za-z0-9._-]{1,64}$"

    static func reference(_ definition: String) -> JSONValue {
        .object([.init(key: "$ref", value: .string("#/$defs/\(definition)"))])
    }

    static func constant(_ value: String) -> JSONValue {
        .object([.init(key: "const", value: .string(value))])
    }

    /// The schema of a step parameter; a `${variable}` stands for any value, since the playbook's
    /// variables are substituted before the step reads it.
    static func parameter(_ descriptor: ParameterDescriptor) -> JSONValue {
        let words = descriptor.summary + (descriptor.defaultValue.map { " (default: \($0))" } ?? "")
        let typed = schema(of: descriptor.type, description: words, default: descriptor.defaultValue)
        return .object([.init(key: "anyOf", value: .array([typed, string(description: "a playbook variable", pattern: #"\$\{[A-Za-z_][A-Za-z0-9_]*\}"#)]))])
    }

    /// A step's `with:` mapping.
    static func parameters(_ descriptors: [ParameterDescriptor], description: String? = nil) -> JSONValue {
        object(descriptors.map { ($0.name, parameter($0)) }, required: descriptors.filter(\.isRequired).map(\.name), description: description)
    }

    static func schema(of type: ParameterType, description: String?, default value: String? = nil) -> JSONValue {
        switch type {
        case .string: string(description: description)
        case .identifier: identifier(description: description)
        case let .integer(range): integer(range, description: description)
        case let .number(range): number(range, description: description)
        case .boolean: .object(members(description: description) + [.init(key: "type", value: .string("boolean"))])
        case .duration: duration(description: description)
        case let .enumeration(words): enumeration(words, description: description, default: value)
        case let .list(element): array(of: schema(of: element, description: nil), description: description)
        case let .object(fields): parameters(fields, description: description)
        }
    }

    /// A finite number as JSON writes it: `4096`, `0.5`.
    private static func numberText(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    private static func members(description: String?) -> [JSONValue.Member] {
        description.map { [.init(key: "description", value: .string($0))] } ?? []
    }
}
