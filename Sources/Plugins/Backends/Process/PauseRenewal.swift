import RedisWire

/// A primary's `CLIENT PAUSE … WRITE` kept in force through a planned failover: asked again
/// once a second (a pause only ever extends), so that waits on a slow machine never outlast it.
struct PauseRenewal {
    let address: ServerAddress
    /// The pause's length, as `CLIENT PAUSE` takes it.
    let milliseconds: String
    private var renewedAt = ContinuousClock.now

    /// Starts counting from a pause just asked for.
    init(address: ServerAddress, milliseconds: String) {
        self.address = address
        self.milliseconds = milliseconds
    }

    /// Asks for the pause again when a second has passed since the last time.
    mutating func renewIfDue(through driver: RedisClusterDriver) async throws {
        guard ContinuousClock.now - renewedAt >= .seconds(1) else { return }
        _ = try await driver.run(address, "CLIENT", "PAUSE", milliseconds, "WRITE")
        renewedAt = .now
    }
}
