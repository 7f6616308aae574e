import Foundation
import Synchronization

/// Writes every event as one JSON object on a line of its own (JSON Lines), for scripts:
/// `maintctl run|resume|rollback --events FILE|-`. Each object has `version`, a `type`, a `seq`
/// that counts from 1 in the order the lines are written, the wall-clock `time` (RFC 3339, UTC)
/// and `elapsed_ms` on the rollout's clock (virtual on the simulated backend); the other fields
/// depend on the type. README "Event stream" lists them; a field is added, never changed or
/// removed, without a new `version`.
public final class EventStreamReporter: RolloutReporter {
    /// The version of the stream's format.
    public static let version = 1

    private let write: @Sendable (String) -> Void
    private let now: @Sendable () -> Date
    /// The next sequence number; taken and written under one lock, so lines come in `seq` order.
    private let sequence = Mutex(1)

    /// - Parameters:
    ///   - write: Where each line goes (without its newline); called under a lock, one at a time.
    ///   - now: The wall clock for `time`.
    public init(write: @escaping @Sendable (String) -> Void, now: @escaping @Sendable () -> Date = Date.init) {
        self.write = write
        self.now = now
    }

    public func report(_ event: RolloutEvent) {
        guard let (type, elapsed, fields) = Self.describe(event) else { return }
        write(type, elapsed: elapsed, fields)
        // Each failover also on a line of its own, after the event that carries it, so that a
        // script can follow failovers alone (`type == "failover"`).
        switch event {
        case let .actionFinished(action, at, _, _, result):
            for report in result.failovers {
                write("failover", elapsed: at, members(["cache": .string(action.cache), "action": .integer(action.index)]) + Self.failoverFields(report))
            }
        case let .unplannedFailure(cache, failure, at):
            for report in failure.failovers {
                write("failover", elapsed: at, members(["cache": .string(cache), "action": .null]) + Self.failoverFields(report))
            }
        default:
            break
        }
    }

    /// Writes how far the full sync under way in `cache` has come (`sync_progress`), as the
    /// backend said `elapsed` into the rollout.
    public func reportSyncProgress(_ progress: SyncProgress, in cache: String, elapsed: Duration) {
        write("sync_progress", elapsed: elapsed, members([
            "cache": .string(cache), "shard": .string(progress.shard), "node": .string(progress.node),
            "received_bytes": progress.receivedBytes.map { .integer($0) } ?? .null,
            "total_bytes": progress.totalBytes.flatMap { $0 > 0 ? .integer($0) : nil } ?? .null,
            "bytes_behind": progress.bytesBehind.map { .integer($0) } ?? .null,
        ]))
    }

    private func write(_ type: String, elapsed: Duration, _ fields: [JSONValue.Member]) {
        sequence.withLock { next in
            let head: [JSONValue.Member] = [
                .init(key: "version", value: .number(String(Self.version))),
                .init(key: "seq", value: .number(String(next))),
                .init(key: "type", value: .string(type)),
                .init(key: "time", value: .string(Self.timestamp(now()))),
                .init(key: "elapsed_ms", value: .number(String(elapsed.milliseconds))),
            ]
            next += 1
            write(JSONValue.object(head + fields).compactText)
        }
    }

    /// The type, rollout time and fields of an event; nil for events the stream leaves out
    /// (backend operations, which only `verify` follows).
    static func describe(_ event: RolloutEvent) -> (String, Duration, [JSONValue.Member])? {
        switch event {
        case let .rolloutStarted(plan, backend):
            return ("rollout_started", .zero, members([
                "playbook": .string(plan.playbook), "backend": .string(backend), "plan_digest": .string(Digest.of(plan)),
                "caches": .array(plan.caches.map { .string($0.cache) }), "actions": .integer(plan.actionCount),
                "expected_failovers": .integer(plan.expectedFailovers.count),
                "predicted_ms": .integer(plan.predictedDuration.milliseconds),
            ]))
        case let .cacheStarted(cache, placement, at):
            return ("cache_started", at, members(["cache": .string(cache), "placement": .string(placement.description)]))
        case let .actionStarted(action, at, attempt):
            return ("action_started", at, fields(of: action) + members(["attempt": .integer(attempt)]))
        case let .actionAlreadyDone(action, at):
            return ("action_skipped", at, fields(of: action) + members(["reason": .string("done before the interruption")]))
        case let .actionFinished(action, at, took, attempt, result):
            return ("action_finished", at, fields(of: action) + members([
                "attempt": .integer(attempt), "duration_ms": .integer(took.milliseconds),
                "notes": .array(result.notes.map(JSONValue.string)),
                "failovers": .array(result.failovers.map(failover)),
                "syncs": .array(result.syncs.map { sync in
                    .object(members(["shard": .string(sync.shard), "node": .string(sync.node),
                             "megabytes": .number(String(sync.megabytes)), "duration_ms": .integer(sync.duration.milliseconds)]))
                }),
            ]))
        case let .actionFailed(action, at, error, attempt, willRetry):
            return ("action_failed", at, fields(of: action) + members([
                "attempt": .integer(attempt), "error": .string(error), "will_retry": .bool(willRetry),
            ]))
        case let .paused(cache, at, until, reason):
            return ("paused", at, members(["cache": .string(cache), "until": .string(timestamp(until)), "reason": .string(reason)]))
        case let .resumed(cache, at):
            return ("resumed", at, members(["cache": .string(cache)]))
        case .operationFinished:
            return nil
        case let .faultInjected(cache, fault, node, at):
            return ("fault_injected", at, members(["cache": .string(cache), "fault": .string(fault.description), "node": .string(node)]))
        case let .faultNotInjected(cache, fault, reason, at):
            return ("fault_not_injected", at, members(["cache": .string(cache), "fault": .string(fault.description), "reason": .string(reason)]))
        case let .unplannedFailure(cache, failure, at):
            return ("node_down", at, members([
                "cache": .string(cache), "node": .string(failure.node), "detected_ms": .integer(failure.detectedAt.milliseconds),
                "failovers": .array(failure.failovers.map(failover)), "lost_shards": .array(failure.lostShards.map(JSONValue.string)),
                "new_leader": (failure.newLeader.map(JSONValue.string) ?? .null),
            ]))
        case let .cacheFinished(outcome):
            return ("cache_finished", outcome.finished, members([
                "cache": .string(outcome.cache), "status": .string(outcome.status.rawValue),
                "actions_completed": .integer(outcome.actionsCompleted), "actions_planned": .integer(outcome.actionsPlanned),
                "failovers": .integer(outcome.failovers.count), "nodes_replaced": .integer(outcome.replacements.count),
                "stopped_at": (outcome.stoppedAt.map(JSONValue.string) ?? .null), "error": (outcome.error.map(JSONValue.string) ?? .null),
            ]))
        case let .rolloutFinished(summary):
            return ("rollout_finished", .milliseconds(summary.durationMS),
                    members(["status": .string(summary.status.rawValue), "summary": ((try? JSONValue.encoding(summary)) ?? .null)]))
        }
    }

    /// What names an action: its cache, index, step, where the step was written, and what it acts on.
    private static func fields(of action: PlannedAction) -> [JSONValue.Member] {
        members([
            "cache": .string(action.cache), "action": .integer(action.index), "step": .string(action.plugin),
            "location": .string(action.stepLocation.description), "summary": .string(action.summary),
            "node": (action.subject.node.map(JSONValue.string) ?? .null),
            "shard": (action.subject.shard.map(JSONValue.string) ?? .null),
            "predicted_ms": .integer(action.predictedDuration.milliseconds),
        ])
    }

    private static func failover(_ report: FailoverReport) -> JSONValue {
        .object(failoverFields(report))
    }

    private static func failoverFields(_ report: FailoverReport) -> [JSONValue.Member] {
        members([
            "shard": .string(report.shard), "kind": .string(report.kind.rawValue), "from": .string(report.from),
            "to": .string(report.to), "gap_ms": .integer(report.unavailable.milliseconds),
            "detection_ms": (report.detection.map { .integer($0.milliseconds) } ?? .null),
            "promotion_ms": (report.promotion.map { .integer($0.milliseconds) } ?? .null),
        ])
    }

    /// RFC 3339 in UTC with milliseconds: `2026-12-01T05:44:07.123Z`.
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
    }
}

/// The members of a JSON object, in the order written.
private func members(_ pairs: KeyValuePairs<String, JSONValue>) -> [JSONValue.Member] {
    pairs.map { JSONValue.Member(key: $0.key, value: $0.value) }
}
