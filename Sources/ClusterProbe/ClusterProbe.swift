import Histogram
import MaintenanceKit
import RedisWire

/// A cluster-aware writer that measures what clients feel during a rollout: it writes
/// unique keys at a steady rate to every target shard, follows redirects, retries with
/// exponential backoff and jitter behind a circuit breaker, records every acknowledged
/// write, every error and each shard's longest gap between acknowledged writes, and reads
/// every acknowledged key back at the end.
///
/// With `confirmingReplicas`, a write counts as acknowledged only once `WAIT` says that many
/// replicas hold it, as a client that must not lose a write across an unplanned failover does
/// (Redis replicates asynchronously: a plain `OK` from a primary that dies the next moment can
/// be lost).
public struct ClusterProbe: Sendable {
    let seeds: [ServerAddress]
    /// The servers' password; nil when they require none.
    let password: String?
    /// The servers' TLS; nil for plain TCP.
    let tls: RedisTLS?
    let targets: [ProbeTarget]
    let interval: Duration
    let timeout: Duration
    /// Replicas that must confirm a write before it counts as acknowledged; 0 for the primary's `OK`.
    var confirmingReplicas = 0

    /// - Parameters:
    ///   - seeds: Some servers of the cluster, to learn the slot map from.
    ///   - targets: The shards to write to.
    ///   - writesPerSecond: Steady write rate per shard.
    ///   - timeout: Time limit of one attempt.
    public init(seeds: [ServerAddress], targets: [ProbeTarget], writesPerSecond: Int = 200, timeout: Duration = .milliseconds(500),
                password: String? = nil, tls: RedisTLS? = nil) {
        self.seeds = seeds
        self.password = password
        self.tls = tls
        self.targets = targets
        self.interval = .microseconds(1_000_000 / max(1, min(writesPerSecond, 100_000)))
        self.timeout = timeout
    }

    /// A probe for shards given by the slots they own (`cache/shard` names).
    /// - Throws: `ProbeFailure` when no probe key falls in a shard's slots.
    ///   - confirmingReplicas: Replicas that must confirm each write (`WAIT`); 0 for none.
    public init(shards: [(name: String, slots: ClosedRange<Int>)], seeds: [ServerAddress], writesPerSecond: Int = 200,
                confirmingReplicas: Int = 0, password: String? = nil, tls: RedisTLS? = nil) throws(ProbeFailure) {
        var targets: [ProbeTarget] = []
        for shard in shards {
            guard let target = ProbeTarget.owning(shard.slots, name: shard.name) else {
                throw ProbeFailure(.noRoute, "no probe key falls in the slots \(shard.slots) of \(shard.name)")
            }
            targets.append(target)
        }
        self.init(seeds: seeds, targets: targets, writesPerSecond: writesPerSecond, password: password, tls: tls)
        self.confirmingReplicas = max(0, confirmingReplicas)
    }

    /// Writes while `work` runs, then stops and reads every acknowledged write back.
    /// - Parameters:
    ///   - work: What clients should feel (a rollout).
    ///   - currentServers: The cluster's servers once `work` is done.
    public func measure<T: Sendable>(during work: @Sendable () async -> T,
                                     currentServers: @Sendable () async -> [ServerAddress]) async -> (T, ClientImpact) {
        let (result, recording) = await withTaskGroup(of: Recording?.self) { group -> (T, Recording?) in
            group.addTask { await run() }
            // Let the writers reach their steady rate before the work begins.
            try? await Task.sleep(for: .milliseconds(300))
            let result = await work()
            group.cancelAll()
            let recording = await group.next() ?? nil
            return (result, recording)
        }
        return (result, await verify(recording ?? Recording(), currentServers: await currentServers()))
    }

    /// What the writers recorded; read back with ``verify(_:)``.
    public struct Recording: Sendable {
        var writers: [WriterRecording] = []
        var redirects: [ProbeFailure.Kind: Int] = [:]
        /// The servers known when the writers stopped: after a rollout the seeds may be gone.
        var servers: [ServerAddress] = []

        /// An empty recording (nothing was written).
        public init() {}

        init(writers: [WriterRecording], redirects: [ProbeFailure.Kind: Int], servers: [ServerAddress]) {
            self.writers = writers
            self.redirects = redirects
            self.servers = servers
        }
    }

    struct WriterRecording: Sendable {
        var target: ProbeTarget
        var acknowledged: [Int] = []
        var longestGap: Duration = .zero
        var longestGapStart: Duration = .zero
        var errors: [ProbeFailure.Kind: Int] = [:]
        var latency = Histogram<UInt64>(highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: .three)
    }

    /// Writes until the task is cancelled, then returns what it recorded.
    public func run() async -> Recording {
        let router = SlotRouter(seeds: seeds, timeout: timeout, password: password, tls: tls)
        await router.refresh()
        let started = ContinuousClock.now
        let writers = await withTaskGroup(of: WriterRecording.self) { group in
            for target in targets {
                group.addTask { await write(to: target, through: router, since: started) }
            }
            var all: [WriterRecording] = []
            for await writer in group { all.append(writer) }
            return all
        }
        let redirects = await router.redirects
        let servers = await router.servers
        await router.closeAll()
        return Recording(writers: writers, redirects: redirects, servers: servers)
    }

    private func write(to target: ProbeTarget, through router: SlotRouter, since started: ContinuousClock.Instant) async -> WriterRecording {
        var recording = WriterRecording(target: target)
        var breaker = CircuitBreaker()
        var random = SystemRandomNumberGenerator()
        var lastAck = started
        var next = started
        var sequence = 0
        /// Whether a write was still unacknowledged when the probe stopped.
        var pending = false
        writes: while !Task.isCancelled {
            next += interval
            if next > .now { try? await Task.sleep(until: next) }
            sequence += 1
            pending = true
            let key = target.key(sequence), began = ContinuousClock.now
            var backoff = Duration.milliseconds(1)
            while true {
                if Task.isCancelled { break writes }
                let wait = breaker.wait(at: .now)
                if wait > .zero {
                    recording.errors[.circuitOpen, default: 0] += 1
                    try? await Task.sleep(for: wait)
                    continue
                }
                do throws(ProbeFailure) {
                    let wait = confirmingReplicas > 0 ? ["WAIT", "\(confirmingReplicas)", "\(timeout.wholeMilliseconds / 2)"] : nil
                    let (reply, confirmed) = try await router.send(["SET", key, "\(sequence)", "EX", "86400"], slot: target.slot, followedBy: wait)
                    guard reply.string == "OK" else { throw ProbeFailure(.other, "SET answered \(reply)") }
                    if wait != nil, (confirmed?.integer ?? 0) < Int64(confirmingReplicas) {
                        throw ProbeFailure(.notReplicated, "WAIT answered \(confirmed?.description ?? "nothing")")
                    }
                    break
                } catch {
                    recording.errors[error.kind, default: 0] += 1
                    breaker.failed(at: .now)
                    let jittered = Double.random(in: 0.5...1.0, using: &random) * backoff.seconds
                    try? await Task.sleep(for: .microseconds(Int64(jittered * 1_000_000)))
                    backoff = min(backoff * 2, .milliseconds(100))
                }
            }
            breaker.succeeded()
            pending = false
            let now = ContinuousClock.now
            recording.acknowledged.append(sequence)
            _ = recording.latency.record(UInt64(max(0, (now - began).seconds * 1_000_000)))
            if now - lastAck > recording.longestGap {
                recording.longestGap = now - lastAck
                recording.longestGapStart = lastAck - started
            }
            lastAck = now
        }
        // A gap still open when the probe stops (a shard without a primary, or without the
        // replicas WAIT needs) counts up to that moment.
        if pending, ContinuousClock.now - lastAck > recording.longestGap {
            recording.longestGap = ContinuousClock.now - lastAck
            recording.longestGapStart = lastAck - started
        }
        return recording
    }

    /// Reads every acknowledged key back and summarizes what clients felt.
    /// - Parameters:
    ///   - recording: What ``run()`` recorded.
    ///   - currentServers: Servers of the cluster as it is now, to find it after a rollout
    ///     replaced every server the probe started with.
    public func verify(_ recording: Recording, currentServers: [ServerAddress] = []) async -> ClientImpact {
        let router = SlotRouter(seeds: currentServers + recording.servers + seeds, timeout: .seconds(2), password: password, tls: tls)
        await router.refresh()
        var shards: [ClientImpact.Shard] = []
        var errors: [String: Int] = [:]
        var latency = Histogram<UInt64>(highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: .three)
        // Reading back is bounded: past the deadline, keys still unread count as unverified.
        let deadline = ContinuousClock.now + .seconds(120)
        for writer in recording.writers {
            var lost = 0, unverified = 0
            for sequence in writer.acknowledged {
                guard ContinuousClock.now < deadline else {
                    unverified += 1
                    continue
                }
                // A read that fails is retried for a while; one that never succeeds is reported
                // as unverified, neither as kept nor as lost.
                var value: RESPValue?
                for attempt in 0..<6 where value == nil && ContinuousClock.now < deadline {
                    do {
                        value = try await router.send(["GET", writer.target.key(sequence)], slot: writer.target.slot)
                    } catch {
                        errors["readback_\(error.kind.rawValue)", default: 0] += 1
                        try? await Task.sleep(for: .milliseconds(20 << min(attempt, 5)))
                    }
                }
                if value == nil {
                    unverified += 1
                } else if value?.string != "\(sequence)" {
                    lost += 1
                }
            }
            shards.append(ClientImpact.Shard(name: writer.target.name, acknowledged: writer.acknowledged.count, lost: lost,
                                             unverified: unverified,
                                            longestGapMS: writer.longestGap.wholeMilliseconds,
                                            longestGapStartMS: writer.longestGapStart.wholeMilliseconds))
            for (kind, count) in writer.errors { errors[kind.rawValue, default: 0] += count }
            latency.add(writer.latency)
        }
        for (kind, count) in recording.redirects { errors[kind.rawValue, default: 0] += count }
        await router.closeAll()
        let toMS = { (value: UInt64) in Double(value) / 1000 }
        return ClientImpact(
            shards: shards.sorted { $0.name < $1.name }, writesAcknowledged: shards.reduce(0) { $0 + $1.acknowledged },
            acknowledgedWritesLost: shards.reduce(0) { $0 + $1.lost },
            acknowledgedWritesUnverified: shards.reduce(0) { $0 + $1.unverified }, clientErrors: errors,
            latencyP50MS: toMS(latency.valueAtPercentile(50)), latencyP99MS: toMS(latency.valueAtPercentile(99)),
            latencyMaxMS: toMS(latency.maxRecorded), writeIntervalMS: interval.seconds * 1000)
    }
}

extension Duration {
    var wholeMilliseconds: Int64 { milliseconds }
}
