import MaintenanceKit
import RedisWire

extension ProcessBackend {
    /// Checks that the servers take the password the state's reference gives now (it may have
    /// changed since the cluster started): the first server that answers decides; none
    /// answering is no verdict (the command that follows says what is down).
    /// - Throws: `BackendError` `password-rejected`, naming where the password comes from and
    ///   which server refused it, never the password.
    public func checkPassword() async throws {
        let source = store.state.password.map { " (from \($0))" } ?? ""
        for copy in store.state.caches.flatMap({ $0.shards.flatMap(\.copies) }) {
            let connection: RedisConnection
            do {
                connection = try await RedisConnection.connect(host: copy.address.host, port: copy.port, timeout: .seconds(2), password: password, tls: tls)
            } catch let error as RedisError where error.message.contains("refused the password") {
                throw BackendError(.passwordRejected, "the cluster's servers refuse its password\(source): \(error.message); "
                                   + "give the one they were started with, or restart them with the new one")
            } catch {
                continue
            }
            // Without a password, a server that requires one says so to the first command.
            let reply = password == nil ? try? await connection.send(["PING"], timeout: .seconds(2)) : nil
            await connection.close()
            if case let .error(message)? = reply, message.hasPrefix("NOAUTH") {
                throw BackendError(.passwordRejected, "\(copy.address) requires a password and the cluster's state names none")
            }
            return
        }
    }
}
