/// An opaque code naming a class of problem, so callers and tests can match on it
/// without an exhaustive public enum.
public struct DiagnosticCode: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The stable identifier, e.g. `unknown-key`.
    public let rawValue: String
    /// Creates a code from its identifier.
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let unreadableFile = DiagnosticCode("unreadable-file")
    public static let syntax = DiagnosticCode("syntax")
    public static let documentTooComplex = DiagnosticCode("document-too-complex")
    public static let typeMismatch = DiagnosticCode("type-mismatch")
    public static let missingField = DiagnosticCode("missing-field")
    public static let unknownKey = DiagnosticCode("unknown-key")
    public static let unknownStep = DiagnosticCode("unknown-step")
    public static let invalidValue = DiagnosticCode("invalid-value")
    public static let invalidParameter = DiagnosticCode("invalid-parameter")
    public static let unknownReference = DiagnosticCode("unknown-reference")
    public static let emptySteps = DiagnosticCode("empty-steps")
    public static let misplacedStep = DiagnosticCode("misplaced-step")
    public static let undefinedVariable = DiagnosticCode("undefined-variable")
    public static let inconsistentInventory = DiagnosticCode("inconsistent-inventory")
    public static let unsafePlan = DiagnosticCode("unsafe-plan")
}

/// One problem found in a user's input, with where it came from.
public struct Diagnostic: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// What kind of problem this is.
    public var code: DiagnosticCode
    /// Where in which file the problem is.
    public var location: SourceLocation
    /// A sentence for the user; it names the fix where one is known.
    public var message: String

    /// Creates a diagnostic.
    public init(_ code: DiagnosticCode, at location: SourceLocation, _ message: String) {
        self.code = code
        self.location = location
        self.message = message
    }

    /// `file:line:col: error: message`, as compilers print it.
    public var description: String { "\(location): error: \(message)" }
}

/// Every problem found in one pass; thrown when input is rejected.
public struct DiagnosticsError: Error, Sendable, CustomStringConvertible {
    /// The problems, in file order.
    public var diagnostics: [Diagnostic]

    /// Creates the error; the problems are sorted by file and position.
    public init(_ diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics.sorted {
            ($0.location.file, $0.location.line, $0.location.column) < ($1.location.file, $1.location.line, $1.location.column)
        }
    }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
