@testable import ProcessBackend
import RedisWire
import Testing

/// When a replica is asked to reconnect: its link up, behind its primary, its offset standing
/// still for the patience; never while it syncs, catches up or is level; not again at once.
@Suite struct StalledStreamTests {
    static func replica(offset: Int64, link: String = "up", syncing: Bool = false) -> ReplicationInfo {
        ReplicationInfo("role:slave\r\nmaster_link_status:\(link)\r\nmaster_sync_in_progress:\(syncing ? 1 : 0)\r\nslave_repl_offset:\(offset)\r\n")
    }

    /// One look at the replica (the macro cannot call a mutating method itself).
    static func look(_ stall: inout StalledStream, _ replica: ReplicationInfo, behind target: Int64, now: ContinuousClock.Instant) -> Bool {
        stall.shouldReconnect(replica, behind: target, now: now)
    }

    @Test func aReplicaStandingStillBehindIsAskedToReconnectOnceItsPatienceIsOver() {
        var stall = StalledStream()
        let start = ContinuousClock.now
        #expect(!Self.look(&stall, Self.replica(offset: 100), behind: 200, now: start))
        #expect(!Self.look(&stall, Self.replica(offset: 100), behind: 250, now: start + StalledStream.patience / 2))
        #expect(Self.look(&stall, Self.replica(offset: 100), behind: 300, now: start + StalledStream.patience))
        // Not again until the retry interval has passed, then again if it still stands still.
        let asked = start + StalledStream.patience
        #expect(!Self.look(&stall, Self.replica(offset: 100), behind: 300, now: asked + StalledStream.patience))
        #expect(Self.look(&stall, Self.replica(offset: 100), behind: 300, now: asked + StalledStream.retryAfter))
    }

    @Test func aReplicaThatMovesSyncsOrIsLevelIsLeftAlone() {
        var stall = StalledStream()
        var now = ContinuousClock.now
        // Its offset moves at every look: catching up.
        for offset in stride(from: Int64(100), to: 1000, by: 100) {
            #expect(!Self.look(&stall, Self.replica(offset: offset), behind: offset + 500, now: now))
            now += StalledStream.patience
        }
        // Level with its primary (no writes): nothing to stream.
        for _ in 0..<5 {
            #expect(!Self.look(&stall, Self.replica(offset: 1000), behind: 1000, now: now))
            now += StalledStream.patience
        }
        // Loading its snapshot, or its link down: the stream cannot have begun.
        for _ in 0..<5 {
            #expect(!Self.look(&stall, Self.replica(offset: 1000, syncing: true), behind: 2000, now: now))
            #expect(!Self.look(&stall, Self.replica(offset: 1000, link: "down"), behind: 2000, now: now))
            now += StalledStream.patience
        }
    }
}
