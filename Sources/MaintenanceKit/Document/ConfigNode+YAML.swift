extension ConfigNode {
    /// How many nodes aliases may add beyond those written in the file: generous for real
    /// files, a quick and clear stop for an alias bomb ("billion laughs").
    public static let maximumAliasExpansion = 1_000_000
    /// How deeply collections may nest; real playbooks use fewer than ten levels.
    public static let maximumDepth = 64

    /// Parses a YAML document into a located node tree.
    /// - Parameter source: The file to parse; it must hold exactly one document.
    /// - Throws: `DiagnosticsError` for syntax errors, duplicate or non-scalar keys, documents
    ///   that nest too deeply or expand too far through aliases.
    public static func parse(_ source: SourceFile) throws(DiagnosticsError) -> ConfigNode {
        let root: ConfigNode?
        do {
            root = try YAMLComposer.compose(source.text, file: source.path)
        } catch {
            throw DiagnosticsError([error])
        }
        guard let root else {
            throw DiagnosticsError([Diagnostic(.syntax, at: source.start, "file holds no YAML document")])
        }
        return root
    }
}
