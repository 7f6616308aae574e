/// Decodes `Decodable` values from a `ConfigNode`, collecting every problem with its
/// `file:line:col` instead of stopping at the first one.
///
/// Beyond what `Decodable` checks, it reports keys that the type never asked for
/// (misspelled keys, with a "did you mean" suggestion), scalars of the wrong type with the
/// value the user wrote, and values a type rejects through ``ConfigValueError``.
public enum ConfigDecoder {
    /// Decodes `type` from `node`.
    /// - Parameters:
    ///   - type: The type to decode.
    ///   - node: The document node holding it.
    ///   - context: A phrase naming what is being decoded, used in unknown-key messages
    ///     (for example `step 'create_vms'`).
    /// - Returns: The value, unless a problem stopped its decoding, and every problem found.
    ///   A value returned together with problems holds stand-ins where the problems are, so
    ///   callers can go on checking the rest; it must not be used otherwise.
    public static func decode<T: Decodable>(
        _ type: T.Type, from node: ConfigNode, context: String? = nil
    ) -> (value: T?, diagnostics: [Diagnostic]) {
        let session = DecodingSession()
        let value = try? session.decodeValue(type, from: node, path: [])
        session.reportUnknownKeys(context: context)
        return (value, session.diagnostics)
    }
}

/// Thrown by a type's `init(from:)` when the value is well-formed YAML but not acceptable;
/// the decoder reports `message` at the value's location.
public struct ConfigValueError: Error, Sendable {
    /// What is wrong, phrased for the user.
    public var message: String
    /// Creates the error.
    public init(_ message: String) { self.message = message }
}

/// A type with a stand-in value, so that decoding can go on past an invalid value of it
/// and report the problems after it too.
public protocol ConfigPlaceholder {
    /// Any valid value; it is only used when a problem has been reported.
    static var placeholder: Self { get }
}

/// A string-valued enumeration decoded with a clear message listing the allowed values.
public protocol ConfigEnumeration: CaseIterable, RawRepresentable, Codable, Sendable, ConfigPlaceholder where RawValue == String {}

extension ConfigEnumeration {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(rawValue: text) else {
            let allowed = Self.allCases.map(\.rawValue)
            throw ConfigValueError("'\(text.forMessage)' is not one of \(allowed.joined(separator: ", "))"
                + Suggestion.didYouMean(text, among: allowed))
        }
        self = value
    }

    public static var placeholder: Self { allCases.first! } // an enumeration has at least one case
}

/// Marks that decoding of a value stopped after its problem was recorded.
struct DecodingAbandoned: Error {}

/// Scalar types the decoder reads directly from YAML text.
protocol ConfigScalar {
    init?(configText: String)
    static var expectation: String { get }
    static var placeholder: Self { get }
}

extension String: ConfigScalar {
    init?(configText: String) { self = configText }
    static var expectation: String { "text" }
    static var placeholder: String { "" }
}

extension Bool: ConfigScalar {
    init?(configText: String) {
        switch configText {
        case "true", "True", "TRUE": self = true
        case "false", "False", "FALSE": self = false
        default: return nil
        }
    }
    static var expectation: String { "true or false" }
    static var placeholder: Bool { false }
}

extension Int: ConfigScalar {}

extension ConfigScalar where Self: FixedWidthInteger {
    init?(configText: String) { self.init(configText.replacingOccurrences(of: "_", with: "")) }
    static var expectation: String { "a whole number" }
    static var placeholder: Self { 0 }
}

extension Int8: ConfigScalar {}
extension Int16: ConfigScalar {}
extension Int32: ConfigScalar {}
extension Int64: ConfigScalar {}
extension UInt: ConfigScalar {}
extension UInt8: ConfigScalar {}
extension UInt16: ConfigScalar {}
extension UInt32: ConfigScalar {}
extension UInt64: ConfigScalar {}

extension Float: ConfigScalar {
    init?(configText: String) {
        guard let value = Float(configText.replacingOccurrences(of: "_", with: "")), value.isFinite else { return nil }
        self = value
    }
    static var expectation: String { "a number" }
    static var placeholder: Float { 0 }
}

extension Double: ConfigScalar {
    init?(configText: String) {
        guard let value = Double(configText.replacingOccurrences(of: "_", with: "")), value.isFinite else { return nil }
        self = value
    }
    static var expectation: String { "a number" }
    static var placeholder: Double { 0 }
}

/// The state of one decode: problems found so far and the keys each mapping was asked for.
final class DecodingSession {
    final class KeyTracker {
        let node: ConfigNode
        var asked: Set<String> = []
        var abandoned = false
        init(node: ConfigNode) { self.node = node }
    }

    private(set) var diagnostics: [Diagnostic] = []
    private var trackers: [SourceLocation: KeyTracker] = [:]
    private var trackerOrder: [SourceLocation] = []

    func record(_ code: DiagnosticCode, at location: SourceLocation, _ message: String) {
        diagnostics.append(Diagnostic(code, at: location, message))
    }

    func tracker(for node: ConfigNode) -> KeyTracker {
        if let existing = trackers[node.location] { return existing }
        let tracker = KeyTracker(node: node)
        trackers[node.location] = tracker
        trackerOrder.append(node.location)
        return tracker
    }

    func decodeValue<T: Decodable>(_ type: T.Type, from node: ConfigNode, path: [any CodingKey]) throws -> T {
        if let raw = node as? T, T.self == ConfigNode.self { return raw }
        if let scalarType = T.self as? any ConfigScalar.Type {
            return try decodeScalar(scalarType, from: node) as! T // the cast cannot fail: T is scalarType
        }
        let problemsBefore = diagnostics.count
        do {
            return try T(from: NodeDecoder(node: node, session: self, codingPath: path))
        } catch let error as ConfigValueError {
            // A value's own problems already explain a check that failed on its stand-ins.
            if diagnostics.count == problemsBefore { record(.invalidValue, at: node.location, error.message) }
            if let placeholderType = T.self as? any ConfigPlaceholder.Type, let placeholder = placeholderType.placeholder as? T {
                return placeholder
            }
            throw DecodingAbandoned()
        } catch is DecodingAbandoned {
            // The problem is recorded; a type with a stand-in keeps the failure contained.
            if let placeholderType = T.self as? any ConfigPlaceholder.Type, let placeholder = placeholderType.placeholder as? T {
                return placeholder
            }
            throw DecodingAbandoned()
        } catch {
            record(.invalidValue, at: node.location, "\(error)")
            throw DecodingAbandoned()
        }
    }

    private func decodeScalar<S: ConfigScalar>(_ type: S.Type, from node: ConfigNode) throws -> S {
        guard let text = node.scalar, !node.isNull else {
            record(.typeMismatch, at: node.location, "expected \(S.expectation), found \(node.shapeName)")
            return S.placeholder
        }
        guard let value = S(configText: text) else {
            record(.typeMismatch, at: node.location, "expected \(S.expectation), found '\(text.forMessage)'")
            return S.placeholder
        }
        return value
    }

    /// A stand-in for a missing required value, so decoding can go on and find more problems.
    func placeholder<T>(_ type: T.Type) throws -> T {
        if let scalarType = T.self as? any ConfigScalar.Type { return scalarType.placeholder as! T }
        throw DecodingAbandoned()
    }

    /// How many problems get a suggestion; maintctl prints the first 100 problems of a file.
    static let suggestedProblems = 1_000

    func reportUnknownKeys(context: String?) {
        for location in trackerOrder {
            guard let tracker = trackers[location], !tracker.abandoned, let entries = tracker.node.entries else { continue }
            let known = tracker.asked.sorted()
            for entry in entries where !tracker.asked.contains(entry.key) {
                // Past the problems anyone reads, no suggestion is worked out (a hostile file
                // can hold hundreds of thousands of unknown keys).
                let hint = diagnostics.count >= Self.suggestedProblems ? ""
                    : Suggestion.closest(to: entry.key, among: known).map { "; did you mean '\($0)'?" }
                    ?? (known.isEmpty ? "; no keys are allowed here" : "; expected one of: \(known.joined(separator: ", "))")
                let place = context.map { " in \($0)" } ?? ""
                record(.unknownKey, at: entry.keyLocation, "unknown key '\(entry.key.forMessage)'\(place)\(hint)")
            }
        }
    }
}
