/// A host maintctl reaches over SSH, and how: what the inventory's `host:` and `ssh:` say.
/// Anything left out comes from the user's OpenSSH configuration (`~/.ssh/config`), as
/// `ssh` itself would choose it.
public struct SSHDestination: Sendable, Hashable, Codable {
    /// The host's address or name.
    public var host: String
    /// The user to log in as.
    public var user: String?
    /// The SSH port.
    public var port: Int?
    /// The private key to authenticate with (only this one is offered).
    public var identityFile: String?

    public init(host: String, user: String? = nil, port: Int? = nil, identityFile: String? = nil) {
        self.host = host
        self.user = user
        self.port = port
        self.identityFile = identityFile
    }

    private enum CodingKeys: String, CodingKey {
        case host, user, port
        case identityFile = "identity_file"
    }
}
