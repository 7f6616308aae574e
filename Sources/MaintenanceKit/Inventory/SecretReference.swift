import Foundation

/// Where a secret (a cache's password) is: an environment variable or a file the inventory
/// names. The secret itself is never in an inventory, a plan, the state or the journal; it is
/// read when it is needed.
public struct SecretReference: Sendable, Codable, Hashable, CustomStringConvertible {
    /// An environment variable holding the secret.
    public var env: String?
    /// A file holding the secret (a trailing newline is not part of it).
    public var file: String?

    public init(env: String? = nil, file: String? = nil) {
        self.env = env
        self.file = file
    }

    /// Whether exactly one of `env` and `file` is given, each well-formed.
    var problem: String? {
        switch (env, file) {
        case (nil, nil), (.some, .some): "a password names exactly one of env (an environment variable) and file"
        case let (name?, nil) where !Self.isVariableName(name): "env '\(name.forMessage)' is no environment variable name (letters, digits, '_')"
        case let (nil, path?) where path.isEmpty: "file must name a file"
        default: nil
        }
    }

    /// Reads the secret.
    /// - Throws: `SecretError` naming the variable or file (never the secret) when it is missing or empty.
    public func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws(SecretError) -> String {
        if let env {
            guard let value = environment[env], !value.isEmpty else {
                throw SecretError("the password comes from the environment variable \(env), which is not set here")
            }
            return value
        }
        guard let file, let data = FileManager.default.contents(atPath: file) else {
            throw SecretError("the password comes from the file \(file ?? "?"), which cannot be read")
        }
        var text = String(decoding: data, as: UTF8.self)
        while let last = text.unicodeScalars.last, last == "\n" || last == "\r" { text.unicodeScalars.removeLast() }
        guard !text.isEmpty else { throw SecretError("the password file \(file) is empty") }
        return text
    }

    /// Where the secret is, never the secret.
    public var description: String {
        env.map { "environment variable \($0)" } ?? "file \(file ?? "?")"
    }

    private static func isVariableName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && CharacterSet.letters.contains(first)) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && CharacterSet.alphanumerics.contains($0)) }
    }
}

/// A secret that cannot be read where its reference says.
public struct SecretError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
