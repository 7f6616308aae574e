/// The files of a cache's TLS, by path: its servers, endpoints, maintctl and the probe speak
/// TLS only, with this certificate and key, and trust certificates the CA signed. The key is
/// a secret by reference: its path is kept, never its contents.
public struct TLSFiles: Sendable, Codable, Hashable {
    /// The CA certificate (PEM) every peer's certificate must be signed by.
    public var caFile: String
    /// The certificate (PEM) servers and endpoints present; it names every address they
    /// serve on (`subjectAltName` IP or DNS), which clients check.
    public var certFile: String
    /// The certificate's private key (PEM).
    public var keyFile: String

    public init(caFile: String, certFile: String, keyFile: String) {
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
    }

    enum CodingKeys: String, CodingKey {
        case caFile = "ca_file", certFile = "cert_file", keyFile = "key_file"
    }

    /// What is wrong with the paths as written (an empty one).
    var problem: String? {
        [caFile, certFile, keyFile].contains(where: \.isEmpty) ? "tls names three files: ca_file, cert_file and key_file" : nil
    }
}
