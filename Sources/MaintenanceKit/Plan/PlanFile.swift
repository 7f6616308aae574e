import Foundation

/// A plan written to a file by `maintctl plan -o` and read back by `maintctl run --plan`.
public enum PlanFile {
    /// The plan as its file holds it: pretty JSON with sorted keys.
    public static func data(of plan: Plan) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(plan) + Data("\n".utf8)
    }

    /// Reads and checks the plan at `path`: its format, its fleet's digest and maintctl
    /// version, every step's plugin and parameters, and every action's step and subject.
    /// - Parameters:
    ///   - path: The plan file.
    ///   - registry: The plugins its steps must name.
    /// - Returns: The plan, ready to run.
    /// - Throws: `DiagnosticsError`, each problem at its `file:line:col` in the plan file.
    public static func load(path: String, registry: PluginRegistry) throws(DiagnosticsError) -> PreparedPlan {
        let source = try SourceFile(contentsOf: path)
        let plan: Plan
        do {
            plan = try JSONDecoder().decode(Plan.self, from: Data(source.text.utf8))
        } catch let error as DecodingError {
            throw locate(error, in: source)
        } catch {
            throw DiagnosticsError([Diagnostic(.syntax, at: source.start, "not a plan file: \(error)")])
        }
        var problems: [Diagnostic] = []
        if plan.maintctlVersion != MaintctlVersion.current {
            problems.append(Diagnostic(.invalidValue, at: location(of: ["maintctl_version"], in: source),
                                       "the plan was made by maintctl \(plan.maintctlVersion.forMessage); this is maintctl "
                                       + "\(MaintctlVersion.current): make the plan again with this version"))
        }
        guard problems.isEmpty else { throw DiagnosticsError(problems) }
        do {
            return try PreparedPlan(plan, registry: registry)
        } catch {
            // Only a plan with problems is composed again, for the places of its problems.
            _ = try plan.prepare(with: registry, locator: PlanLocator(document: try? ConfigNode.parse(source)))
            throw error
        }
    }

    /// A decoding error at its place in the file.
    static func locate(_ error: DecodingError, in source: SourceFile) -> DiagnosticsError {
        let document: ConfigNode
        do {
            document = try ConfigNode.parse(source)
        } catch {
            return error
        }
        func at(_ context: DecodingError.Context) -> SourceLocation { document.location(at: path(of: context.codingPath)) }
        let diagnostic = switch error {
        case let .keyNotFound(key, context):
            Diagnostic(.missingField, at: at(context), "missing field '\(key.stringValue)'")
        case let .typeMismatch(type, context):
            Diagnostic(.typeMismatch, at: at(context), "expected \(describe(type)) at '\(name(of: context.codingPath))'")
        case let .valueNotFound(type, context):
            Diagnostic(.typeMismatch, at: at(context), "expected \(describe(type)) at '\(name(of: context.codingPath))', found null")
        case let .dataCorrupted(context):
            Diagnostic(.invalidValue, at: at(context), context.debugDescription)
        @unknown default:
            Diagnostic(.invalidValue, at: source.start, "\(error)")
        }
        return DiagnosticsError([diagnostic])
    }

    private static func location(of path: [ConfigPathComponent], in source: SourceFile) -> SourceLocation {
        (try? ConfigNode.parse(source))?.location(at: path) ?? source.start
    }

    private static func path(of codingPath: [any CodingKey]) -> [ConfigPathComponent] {
        codingPath.map { key in key.intValue.map(ConfigPathComponent.index) ?? .key(key.stringValue) }
    }

    private static func name(of codingPath: [any CodingKey]) -> String {
        codingPath.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }.joined().drop { $0 == "." }.description
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type, is Double.Type: "a number"
        case is Bool.Type: "true or false"
        default: "a value of another shape"
        }
    }
}
