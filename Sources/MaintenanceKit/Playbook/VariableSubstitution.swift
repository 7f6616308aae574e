/// Replaces `${name}` in the scalars of a node with playbook variables.
struct VariableSubstitution {
    let variables: [String: String]

    /// The node with every reference replaced, and a problem for each undefined variable.
    func apply(to node: ConfigNode) -> (ConfigNode, [Diagnostic]) {
        var problems: [Diagnostic] = []
        let result = substitute(node, problems: &problems)
        return (result, problems)
    }

    private func substitute(_ node: ConfigNode, problems: inout [Diagnostic]) -> ConfigNode {
        switch node.kind {
        case let .scalar(text, isPlain):
            guard text.contains("${") else { return node }
            return ConfigNode(.scalar(expand(text, at: node.location, problems: &problems), isPlain: isPlain), at: node.location)
        case let .sequence(items):
            return ConfigNode(.sequence(items.map { substitute($0, problems: &problems) }), at: node.location)
        case let .mapping(entries):
            return ConfigNode(.mapping(entries.map {
                ConfigNode.Entry(key: $0.key, keyLocation: $0.keyLocation, value: substitute($0.value, problems: &problems))
            }), at: node.location)
        }
    }

    /// The longest value a substitution may produce: far above any parameter, far below a
    /// size that would let a small file expand into a huge one.
    static let maximumExpandedLength = 64 * 1024

    private func expand(_ text: String, at location: SourceLocation, problems: inout [Diagnostic]) -> String {
        var result = ""
        var rest = Substring(text)
        while let open = rest.range(of: "${") {
            result += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                problems.append(Diagnostic(.undefinedVariable, at: location, "unclosed '${' in '\(text.forMessage)'"))
                return text
            }
            let name = String(rest[open.upperBound..<close])
            if let value = variables[name] {
                guard result.utf8.count + value.utf8.count <= Self.maximumExpandedLength else {
                    problems.append(Diagnostic(.documentTooComplex, at: location,
                                               "substituting variables makes this value longer than \(Self.maximumExpandedLength / 1024) KB"))
                    return text
                }
                result += value
            } else {
                result += "${\(name)}" // kept as written, so the value's other checks do not pile up
                problems.append(Diagnostic(.undefinedVariable, at: location, "undefined variable '\(name.forMessage)'"
                                           + Suggestion.didYouMean(name, among: variables.keys)))
            }
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }
}
