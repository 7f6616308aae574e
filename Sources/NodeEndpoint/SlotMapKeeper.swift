import Logging
import NIOCore
import RedisWire

/// Reads the slot map and gives it to every worker: once at start, then when a worker saw a
/// sign of change, when maintctl asks, and every refresh interval.
actor SlotMapKeeper {
    private let reader: TopologyReader
    private let seeds: [ServerAddress]
    private let workers: [NIOLoopBound<Worker>]
    private let shared: EndpointShared
    private let logger: Logger
    private(set) var map: SlotMap?
    /// Every server any map installed has named: a promotion asks them all which replicates a
    /// dead primary (a map read after the death may no longer list its replicas).
    private(set) var knownServers = Set<ServerAddress>()
    private var hasTable = false
    /// Reads started, and the start number of the read last installed: a read that began
    /// before the one installed (and may have met a server that had not heard of a failover
    /// yet) is dropped, not installed over a newer map.
    private var readsStarted = 0
    private var installedRead = -1
    private var holdsStarted = 0

    init(configuration: EndpointConfiguration, workers: [NIOLoopBound<Worker>], shared: EndpointShared, logger: Logger) {
        reader = TopologyReader(password: configuration.password, tls: configuration.tls)
        seeds = configuration.seeds
        self.workers = workers
        self.shared = shared
        self.logger = logger
    }

    /// Reads the map from the servers last known, then the seeds, and installs it when it changed.
    /// - Parameter withTable: Read the command table and server version too.
    /// - Throws: What the last server tried answered, when none gave a map.
    func refresh(withTable: Bool = false) async throws {
        let known = (map?.servers ?? []) + seeds
        let read = readsStarted
        readsStarted += 1
        let reading = try await reader.read(from: known.uniqued(), withTable: withTable || !hasTable)
        shared.countSlotMapRead()
        guard read > installedRead else { return }
        installedRead = read
        guard reading.map != map || reading.table != nil else { return }
        if let map, reading.map != map {
            logger.info("slot map changed: primaries \(reading.map.shards.map(\.primary.description).joined(separator: ", "))")
        }
        map = reading.map
        knownServers.formUnion(reading.map.servers)
        hasTable = hasTable || reading.table != nil
        for worker in workers {
            let map = reading.map
            let table = reading.table
            let version = reading.version
            worker.eventLoop.execute { worker.value.install(map, table: table, serverVersion: version) }
        }
    }

    // MARK: Holds through a planned failover

    /// Holds, on every worker, the requests for the shard whose primary is `primary`.
    /// - Returns: Whether a shard of the map has that primary (else nothing is held).
    func hold(_ primary: ServerAddress, limit: TimeAmount) async -> Bool {
        guard map?.shards.contains(where: { $0.primary == primary }) == true else { return false }
        holdsStarted += 1
        let number = holdsStarted
        for worker in workers {
            try? await worker.eventLoop.submit { worker.value.hold(primary, limit: limit, number: number) }.get()
        }
        return true
    }

    /// The primaries whose shard some worker holds now, sorted.
    func heldPrimaries() async -> [ServerAddress] {
        var held = Set<ServerAddress>()
        for worker in workers {
            if let primaries = try? await worker.eventLoop.submit({ Array(worker.value.holds.keys) }).get() {
                held.formUnion(primaries)
            }
        }
        return held.sorted { $0.description < $1.description }
    }

    /// Routes the shard of `primary` to `successor` now, on every worker, and sends it what
    /// was held, in order; then reads the map to confirm.
    /// - Returns: False when a worker's hold had ended at its limit (its requests were answered
    ///   `TRYAGAIN`); true otherwise, also when no hold came.
    func release(_ primary: ServerAddress, to successor: ServerAddress) async -> Bool {
        if successor != primary, let current = map, let index = current.shards.firstIndex(where: { $0.primary == primary }) {
            var shards = current.shards
            shards[index].replicas = [primary] + shards[index].replicas.filter { $0 != successor && $0 != primary }
            shards[index].primary = successor
            let promoted = SlotMap(shards: shards)
            map = promoted
            // A read begun before now may have met a server that had not heard of the failover.
            installedRead = readsStarted - 1
            for worker in workers {
                worker.eventLoop.execute { worker.value.install(promoted, table: nil, serverVersion: nil) }
            }
        }
        // The new map released the holds already (`Worker.install`); what is left to learn is
        // whether one had ended at its limit.
        var expired = false
        for worker in workers {
            let outcome = try? await worker.eventLoop.submit { worker.value.release(primary, to: successor) }.get()
            if case .expired = outcome { expired = true }
        }
        shared.requestRefresh()
        return !expired
    }

    /// Reads until a map comes, every 200 ms, for as long as the task runs.
    func refreshUntilRead() async throws {
        while true {
            do {
                return try await refresh(withTable: true)
            } catch {
                logger.warning("cannot read the slot map yet: \(error)")
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }
}

extension Array where Element: Hashable {
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
