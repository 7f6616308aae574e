import ArgumentParser
import Foundation
import MaintenanceKit
import RolloutJournal

extension Maintctl {
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a journaled rollout's progress per cache, node and shard.")

        @OptionGroup var journalArgument: JournalArgument

        @Option(help: "Output format: text or json.")
        var format: OutputFormat = .text

        func run() async throws {
            let (_, snapshot) = try journalArgument.open()
            let report = RunStatusReport(snapshot)
            switch format {
            case .text: report.lines.forEach(Output.line)
            case .json: try Output.json(report)
            }
        }
    }
}

/// A journal's state for people (`status`) and programs (`status --format json`).
struct RunStatusReport: Encodable {
    struct Cache: Encodable {
        var cache: String
        var placement: String
        var status: String
        var actionsCompleted: Int
        var actionsPlanned: Int
        var halfDone: [String]
        var next: String?
        var leader: String?
        var nodes: [Node]
        var shards: [Shard]

        enum CodingKeys: String, CodingKey {
            case cache, placement, status, next, leader, nodes, shards
            case actionsCompleted = "actions_completed", actionsPlanned = "actions_planned", halfDone = "half_done"
        }
    }

    struct Node: Encodable {
        var id: String
        var version: String
        var lifecycle: String
    }

    struct Shard: Encodable {
        var id: String
        var primary: String?
        var replicas: [String]
    }

    var journal: String
    var run: String
    var playbook: String
    var backend: String
    var status: String
    var started: String
    var updated: String
    var sessions: [String]
    var actionsCompleted: Int
    var actionsPlanned: Int
    var caches: [Cache]

    enum CodingKeys: String, CodingKey {
        case journal, run, playbook, backend, status, started, updated, sessions, caches
        case actionsCompleted = "actions_completed", actionsPlanned = "actions_planned"
    }

    init(_ snapshot: JournalSnapshot) {
        let progress = snapshot.progress
        journal = snapshot.path
        run = snapshot.record.id
        playbook = snapshot.record.playbookPath
        backend = snapshot.record.backend
        status = Self.describe(snapshot)
        started = snapshot.created.formatted(.iso8601)
        updated = snapshot.updated.formatted(.iso8601)
        sessions = snapshot.sessions.map { session in
            let end = session.ended.map { "ended \($0.formatted(.iso8601)) \(session.status ?? "")" } ?? "no end recorded"
            return "\(session.kind) by pid \(session.pid) on \(session.host), \(session.started.formatted(.iso8601)), \(end)"
        }
        let records = Dictionary(snapshot.caches.map { ($0.cache, $0) }, uniquingKeysWith: { first, _ in first })
        caches = snapshot.plan.caches.map { plan in
            let done = progress.completed[plan.cache] ?? [:]
            let record = records[plan.cache]
            let topology = record?.topology
            return Cache(
                cache: plan.cache, placement: plan.placement.description,
                status: record?.status == "pending" && snapshot.attempts.contains { $0.cache == plan.cache } ? "running" : record?.status ?? "pending",
                actionsCompleted: done.count, actionsPlanned: plan.actions.count,
                halfDone: snapshot.halfDone.filter { $0.cache == plan.cache }.map { "\($0.summary) (attempt \($0.attempt))" },
                next: plan.actions.first { done[$0.index] == nil }?.summary, leader: topology?.leader,
                nodes: (topology?.nodes ?? []).map { Node(id: $0.id, version: $0.version, lifecycle: $0.lifecycle.rawValue) },
                shards: (topology?.shards ?? []).map { shard in
                    Shard(id: shard.id, primary: shard.primaryNode,
                          replicas: shard.copies.filter { $0.role == .replica }.map(\.node))
                })
        }
        actionsCompleted = caches.reduce(0) { $0 + $1.actionsCompleted }
        actionsPlanned = snapshot.plan.actionCount
    }

    /// `running (pid 12 on host)`, `interrupted (…)`, or how it ended.
    static func describe(_ snapshot: JournalSnapshot) -> String {
        guard snapshot.status == .running else {
            return snapshot.abortRequested ? "\(snapshot.status.rawValue), abort requested" : snapshot.status.rawValue
        }
        if let live = snapshot.liveSession {
            return "running (pid \(live.pid) on \(live.host))" + (snapshot.abortRequested ? ", abort requested" : "")
        }
        let last = snapshot.sessions.last.map { " (pid \($0.pid) on \($0.host) ended without a record; resume it)" } ?? ""
        return "interrupted" + last
    }

    var lines: [String] {
        var lines = ["journal \(journal)", "run \(run): \(playbook) on \(backend)", "status: \(status)",
                     "started \(started), last update \(updated)",
                     "progress: \(actionsCompleted) of \(actionsPlanned) actions done"]
        lines += sessions.map { "  session: \($0)" }
        for cache in caches {
            lines.append("\(cache.cache.padded(14)) \(cache.placement.padded(28)) \(cache.status.padded(10)) "
                         + "\(cache.actionsCompleted)/\(cache.actionsPlanned) actions")
            lines += cache.halfDone.map { "    half-done: \($0)" }
            if let next = cache.next { lines.append("    next: \(next)") }
            lines.append("    nodes: " + cache.nodes.map { "\($0.id) \($0.version) \($0.lifecycle)\($0.id == cache.leader ? " (leader)" : "")" }
                .joined(separator: ", "))
            lines.append("    shards: " + cache.shards.map { "\($0.id) primary \($0.primary ?? "none") replicas \($0.replicas.joined(separator: "+"))" }
                .joined(separator: "; "))
        }
        return lines
    }
}
