/// The type of a step parameter, precise enough for `maintctl plugins` to show it and for
/// `maintctl schema` to check it in an editor: enumerations, ranges and nested objects.
public indirect enum ParameterType: Sendable {
    /// Text.
    case string
    /// A name as the inventory writes ids and versions: letters, digits, `.`, `_`, `-`, at most 64.
    case identifier
    /// A whole number in a range.
    case integer(ClosedRange<Int>)
    /// A number in a range.
    case number(ClosedRange<Double>)
    case boolean
    /// A duration: `500ms`, `30s`, `5m`, `1h30m`, or a number of seconds.
    case duration
    /// One of a fixed set of words.
    case enumeration([String])
    /// A list of values of one type.
    case list(ParameterType)
    /// A mapping with these keys.
    case object([ParameterDescriptor])

    /// The words of an enumeration type, in declaration order.
    public static func enumeration<E: ConfigEnumeration>(of type: E.Type) -> ParameterType {
        .enumeration(E.allCases.map(\.rawValue))
    }

    /// How `maintctl plugins` writes it: `string`, `[identifier]`, `a | b`, `{memory_mb, cpus}`.
    public var description: String {
        switch self {
        case .string: "string"
        case .identifier: "identifier"
        case let .integer(range): "integer \(range.lowerBound)…\(range.upperBound)"
        case let .number(range): "number \(range.lowerBound.formatted())…\(range.upperBound.formatted())"
        case .boolean: "boolean"
        case .duration: "duration"
        case let .enumeration(words): words.joined(separator: " | ")
        case let .list(element): "[\(element.description)]"
        case let .object(fields): "{\(fields.map(\.name).joined(separator: ", "))}"
        }
    }
}
