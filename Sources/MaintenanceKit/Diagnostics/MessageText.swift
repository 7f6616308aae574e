extension String {
    /// The string as it may appear inside a message: control characters escaped and at most
    /// 80 characters, so hostile input cannot flood or garble the terminal.
    public var forMessage: String {
        var escaped = ""
        for scalar in unicodeScalars.prefix(81) {
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .privateUse, .unassigned, .surrogate:
                escaped += scalar.escaped(asASCII: true)
            default:
                escaped.unicodeScalars.append(scalar)
            }
        }
        return unicodeScalars.count > 80 ? String(escaped.prefix(80)) + "…" : escaped
    }
}
