import NIOCore
import NIOSSL

/// A cache's TLS, loaded once from its files: what connections to its servers and endpoints
/// add first to their pipelines. Clients check the peer's certificate against the CA and the
/// address they connected to (its `subjectAltName` IPs) and present the same certificate
/// (servers that require client certificates accept it); an endpoint serves clients with it.
public final class RedisTLS: Sendable {
    /// The paths it was loaded from, for a program started to speak it too.
    public let caFile: String
    public let certFile: String
    public let keyFile: String
    private let client: NIOSSLContext
    private let server: NIOSSLContext

    /// Loads the files.
    /// - Throws: `RedisError` of kind `.connect` naming the file that cannot be read or used.
    public init(caFile: String, certFile: String, keyFile: String) throws(RedisError) {
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
        let chain: [NIOSSLCertificateSource]
        let key: NIOSSLPrivateKeySource
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certFile).map { .certificate($0) }
        } catch {
            throw RedisError(.connect, "the TLS certificate \(certFile) cannot be read as PEM: \(error)")
        }
        do {
            key = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
        } catch {
            throw RedisError(.connect, "the TLS key \(keyFile) cannot be read as PEM: \(error)")
        }
        var clientConfiguration = TLSConfiguration.makeClientConfiguration()
        clientConfiguration.trustRoots = .file(caFile)
        clientConfiguration.certificateChain = chain
        clientConfiguration.privateKey = key
        clientConfiguration.certificateVerification = .fullVerification
        do {
            client = try NIOSSLContext(configuration: clientConfiguration)
        } catch {
            throw RedisError(.connect, "the TLS CA certificate \(caFile) cannot be used: \(error)")
        }
        do {
            server = try NIOSSLContext(configuration: .makeServerConfiguration(certificateChain: chain, privateKey: key))
        } catch {
            throw RedisError(.connect, "the TLS certificate \(certFile) and key \(keyFile) do not go together: \(error)")
        }
    }

    /// The handler a connection to `host` adds first: it checks the peer's certificate names
    /// `host` (a name, or for an address, the address connected to).
    public func clientHandler(for host: String) throws -> NIOSSLClientHandler {
        let isAddress = (try? SocketAddress(ipAddress: host, port: 0)) != nil
        return try NIOSSLClientHandler(context: client, serverHostname: isAddress ? nil : host)
    }

    /// The handler an accepted client connection adds first.
    public func serverHandler() -> NIOSSLServerHandler {
        NIOSSLServerHandler(context: server)
    }
}
