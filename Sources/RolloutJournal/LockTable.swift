import Foundation
import GRDB

/// Who holds a lock.
public struct LockHolder: Sendable, Codable, Hashable, CustomStringConvertible {
    /// The run (journal) the lock is for.
    public var runID: String
    /// The process driving it.
    public var process: ProcessIdentity
    /// When the process took the lock.
    public var since: Date
    /// The run's journal.
    public var journal: String

    public init(runID: String, process: ProcessIdentity = .current, since: Date = Date(), journal: String) {
        self.runID = runID
        self.process = process
        self.since = since
        self.journal = journal
    }

    public var description: String {
        "pid \(process.pid) on \(process.host), since \(since.formatted(.iso8601)), journal \(journal)"
    }
}

/// A lock another live run holds.
public struct LockConflict: Error, Sendable, CustomStringConvertible {
    /// What is locked: `cache c1` or `resource group rg-a, region eu-west`.
    public var what: String
    public var holder: LockHolder

    public var description: String { "\(what) is under maintenance by another run (\(holder))" }
}

/// The locks a run takes: one per cache and one per (resource group, region), the seed's rule
/// that caches sharing both are patched one at a time. A lock is a lease: its holder renews it;
/// a lock whose holder died (same host: pid gone or reused; elsewhere: lease expired) is taken over.
public struct LockKey: Sendable, Hashable {
    public var key: String
    public var what: String

    public static func cache(_ id: String) -> LockKey { LockKey(key: "cache:\(id)", what: "cache '\(id)'") }
    public static func placement(group: String, region: String) -> LockKey {
        LockKey(key: "placement:\(group)\u{1F}\(region)", what: "resource group '\(group)', region '\(region)'")
    }
}

extension ControlDatabase {
    /// How long a lock lasts without renewal.
    public static let lease: TimeInterval = 60

    /// Takes every lock in `keys` for `holder`, or none: the first conflict is thrown.
    /// Locks of dead holders (and expired leases of holders on other hosts) are taken over.
    /// - Parameter date: The time to judge leases by.
    public func acquire(_ keys: [LockKey], for holder: LockHolder, at date: Date = Date()) throws {
        let holderText = try JSON.text(holder)
        try database.write { db in
            let now = date.timeIntervalSince1970
            for key in Set(keys) {
                if let row = try Row.fetchOne(db, sql: "SELECT holder_json, expires_at FROM lock WHERE key = ?", arguments: [key.key]) {
                    let current = try JSON.value(LockHolder.self, from: row["holder_json"])
                    let expired = (row["expires_at"] as Double) < now
                    let sameProcess = current.process == holder.process
                    let alive = current.process.isAlive ?? !expired
                    if alive && !sameProcess { throw LockConflict(what: key.what, holder: current) }
                }
                try db.execute(sql: """
                    INSERT OR REPLACE INTO lock (key, run_id, holder_json, acquired_at, expires_at) VALUES (?, ?, ?, ?, ?)
                    """, arguments: [key.key, holder.runID, holderText, now, now + Self.lease])
            }
        }
    }

    /// Extends the leases of `runID`'s locks.
    public func renew(runID: String) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE lock SET expires_at = ? WHERE run_id = ?", arguments: [Date().timeIntervalSince1970 + Self.lease, runID])
        }
    }

    /// Releases the locks of `holder`'s run (only one live process drives a run at a time).
    public func release(_ holder: LockHolder) throws {
        try database.write { db in
            try db.execute(sql: "DELETE FROM lock WHERE run_id = ?", arguments: [holder.runID])
        }
    }
}
