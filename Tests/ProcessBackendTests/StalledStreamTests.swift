@testable import ProcessBackend
import RedisWire
import Testing

/// When a new replica counts as in sync: level with its primary and its stream seen to flow
/// (its offset grew, or it reconnected when asked); asked to reconnect when level but not seen
/// to flow, or behind and standing still for the patience; never while it loads its snapshot
/// or its link is down; not asked again at once.
@Suite struct StalledStreamTests {
    static func replica(offset: Int64, link: String = "up", syncing: Bool = false) -> ReplicationInfo {
        ReplicationInfo("role:slave\r\nmaster_link_status:\(link)\r\nmaster_sync_in_progress:\(syncing ? 1 : 0)\r\nslave_repl_offset:\(offset)\r\n")
    }

    /// One look at the replica (the macro cannot call a mutating method itself).
    static func look(_ stream: inout StalledStream, _ replica: ReplicationInfo, target: Int64,
                     at now: ContinuousClock.Instant) -> StalledStream.Advice {
        stream.advice(replica, target: target, now: now)
    }

    @Test func aStreamSeenToFlowIsInSyncOnceLevel() {
        var stream = StalledStream()
        let start = ContinuousClock.now
        #expect(Self.look(&stream, Self.replica(offset: 100), target: 300, at: start) == .wait)
        #expect(Self.look(&stream, Self.replica(offset: 200), target: 300, at: start + .milliseconds(10)) == .wait)
        #expect(Self.look(&stream, Self.replica(offset: 320), target: 320, at: start + .milliseconds(20)) == .inSync)
    }

    @Test func aStreamStandingStillBehindIsAskedToReconnectOnceItsPatienceIsOver() {
        var stream = StalledStream()
        let start = ContinuousClock.now
        #expect(Self.look(&stream, Self.replica(offset: 100), target: 200, at: start) == .wait)
        #expect(Self.look(&stream, Self.replica(offset: 100), target: 250, at: start + StalledStream.patience / 2) == .wait)
        let asked = start + StalledStream.patience
        #expect(Self.look(&stream, Self.replica(offset: 100), target: 300, at: asked) == .reconnect)
        // Reconnecting: its link is down, then up again and streaming.
        #expect(Self.look(&stream, Self.replica(offset: 100, link: "down"), target: 300, at: asked + .milliseconds(2)) == .wait)
        #expect(Self.look(&stream, Self.replica(offset: 300), target: 300, at: asked + .milliseconds(5)) == .inSync)
    }

    @Test func aLevelStreamNotSeenToFlowIsProvenByAReconnect() {
        var stream = StalledStream()
        let start = ContinuousClock.now
        // No writes came: level at once, but the stream may not have begun.
        #expect(Self.look(&stream, Self.replica(offset: 500), target: 500, at: start) == .reconnect)
        #expect(Self.look(&stream, Self.replica(offset: 500), target: 500, at: start + .milliseconds(5)) == .inSync)
    }

    @Test func aStreamStillBehindIsNotAskedAgainAtOnce() {
        var stream = StalledStream()
        let start = ContinuousClock.now
        #expect(Self.look(&stream, Self.replica(offset: 100), target: 300, at: start) == .wait)
        let asked = start + StalledStream.patience
        #expect(Self.look(&stream, Self.replica(offset: 100), target: 300, at: asked) == .reconnect)
        #expect(Self.look(&stream, Self.replica(offset: 100), target: 300, at: asked + StalledStream.patience) == .wait)
        #expect(Self.look(&stream, Self.replica(offset: 100), target: 300, at: asked + StalledStream.retryAfter / 2) == .wait)
        // Still standing still once the retry interval has passed: asked again.
        #expect(Self.look(&stream, Self.replica(offset: 100), target: 300, at: asked + StalledStream.retryAfter) == .reconnect)
    }

    @Test func aReplicaLoadingItsSnapshotOrWithItsLinkDownIsWaitedFor() {
        var stream = StalledStream()
        var now = ContinuousClock.now
        for _ in 0..<5 {
            #expect(Self.look(&stream, Self.replica(offset: 1000, syncing: true), target: 2000, at: now) == .wait)
            #expect(Self.look(&stream, Self.replica(offset: 1000, link: "down"), target: 1000, at: now) == .wait)
            now += StalledStream.patience
        }
    }
}
