import Foundation
@testable import RolloutJournal
import Testing

/// The lock table: live holders exclude, dead holders are taken over, all or nothing.
@Suite final class LockTableTests: Sendable {
    /// The home of this test's control database, removed after the test.
    let home = NSTemporaryDirectory() + "maintctl-locks-\(UUID().uuidString)"

    deinit { try? FileManager.default.removeItem(atPath: home) }

    func control() throws -> ControlDatabase {
        try ControlDatabase(home: MaintctlHome(path: home))
    }

    /// A live process that is not this one: this process's parent.
    var liveOther: ProcessIdentity {
        var other = ProcessIdentity.current
        other.pid = getppid()
        other.startTicks = ProcessIdentity.startTicks(of: getppid()) ?? 0
        return other
    }

    @Test func aLiveHolderExcludesAnotherRunAndNamesItself() throws {
        let control = try control()
        let holder = LockHolder(runID: "first", process: liveOther, journal: "/tmp/first.sqlite")
        try control.acquire([.cache("c1"), .placement(group: "rg", region: "weu")], for: holder)
        let mine = LockHolder(runID: "second", journal: "/tmp/second.sqlite")
        #expect(throws: LockConflict.self) { try control.acquire([.cache("c2"), .placement(group: "rg", region: "weu")], for: mine) }
        do {
            try control.acquire([.placement(group: "rg", region: "weu")], for: mine)
        } catch let conflict as LockConflict {
            #expect(conflict.description.contains("resource group 'rg', region 'weu'"))
            #expect(conflict.description.contains("pid \(getppid())"))
            #expect(conflict.description.contains("/tmp/first.sqlite"))
        }
        // All or nothing: the free cache lock was not taken by the refused run.
        try control.acquire([.cache("c2")], for: LockHolder(runID: "third", process: liveOther, journal: "/tmp/third.sqlite"))
        // Another region is free.
        try control.acquire([.placement(group: "rg", region: "eus")], for: mine)
    }

    @Test func aDeadHolderOrAReusedPidIsTakenOver() throws {
        let control = try control()
        var dead = ProcessIdentity.current
        dead.pid = 999_999
        try control.acquire([.cache("c1")], for: LockHolder(runID: "dead", process: dead, journal: "/tmp/dead.sqlite"))
        var reused = liveOther
        reused.startTicks += 1
        try control.acquire([.cache("c2")], for: LockHolder(runID: "reused", process: reused, journal: "/tmp/reused.sqlite"))
        let mine = LockHolder(runID: "mine", journal: "/tmp/mine.sqlite")
        try control.acquire([.cache("c1"), .cache("c2")], for: mine)
        try control.release(mine)
        try control.acquire([.cache("c1")], for: LockHolder(runID: "next", process: liveOther, journal: "/tmp/next.sqlite"))
    }

    @Test func aHolderOnAnotherHostHoldsUntilItsLeaseExpires() throws {
        let control = try control()
        var remote = liveOther
        remote.host = "elsewhere.invalid"
        try control.acquire([.cache("c1")], for: LockHolder(runID: "remote", process: remote, journal: "/tmp/remote.sqlite"))
        let mine = LockHolder(runID: "mine", journal: "/tmp/mine.sqlite")
        #expect(throws: LockConflict.self) { try control.acquire([.cache("c1")], for: mine) }
        try control.acquire([.cache("c1")], for: mine, at: Date().addingTimeInterval(ControlDatabase.lease + 1))
    }
}
