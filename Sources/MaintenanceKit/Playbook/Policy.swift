/// How a rollout may spread over the fleet and what it does when something fails.
public struct Policy: Sendable, Codable, Hashable, ConfigPlaceholder {
    /// How many caches may be under maintenance at once.
    public var maxParallelCaches: Int
    /// Which caches must never be under maintenance together (the seed's rule by default).
    public var oneCacheAtATimePer: ExclusionScope
    /// What the rollout does when an action fails for good.
    public var onFailure: FailurePolicy
    /// What a cache's rollout does when one of its nodes fails under it.
    public var onUnplannedFailure: UnplannedFailurePolicy
    /// How backends with a failure detector tell a dead node from a slow one.
    public var failureDetection: FailureDetection

    /// The default: four caches at once, one per resource group and region, stop everything on
    /// failure, pause a cache whose node fails under it.
    public init(maxParallelCaches: Int = 4, oneCacheAtATimePer: ExclusionScope = .resourceGroupAndRegion,
                onFailure: FailurePolicy = .stopAll, onUnplannedFailure: UnplannedFailurePolicy = .pause,
                failureDetection: FailureDetection = FailureDetection()) {
        self.maxParallelCaches = maxParallelCaches
        self.oneCacheAtATimePer = oneCacheAtATimePer
        self.onFailure = onFailure
        self.onUnplannedFailure = onUnplannedFailure
        self.failureDetection = failureDetection
    }

    enum CodingKeys: String, CodingKey {
        case maxParallelCaches = "max_parallel_caches", oneCacheAtATimePer = "one_cache_at_a_time_per", onFailure = "on_failure"
        case onUnplannedFailure = "on_unplanned_failure", failureDetection = "failure_detection"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = Policy()
        maxParallelCaches = try container.decodeIfPresent(ParallelLimit.self, forKey: .maxParallelCaches)?.value
            ?? defaults.maxParallelCaches
        oneCacheAtATimePer = try container.decodeIfPresent(ExclusionScope.self, forKey: .oneCacheAtATimePer) ?? defaults.oneCacheAtATimePer
        onFailure = try container.decodeIfPresent(FailurePolicy.self, forKey: .onFailure) ?? defaults.onFailure
        onUnplannedFailure = try container.decodeIfPresent(UnplannedFailurePolicy.self, forKey: .onUnplannedFailure)
            ?? defaults.onUnplannedFailure
        failureDetection = try container.decodeIfPresent(FailureDetection.self, forKey: .failureDetection) ?? defaults.failureDetection
    }

    public static var placeholder: Policy { Policy() }
}

/// `max_parallel_caches`: a whole number from 1 to 1000, checked where it is written.
struct ParallelLimit: Decodable, ConfigPlaceholder {
    var value: Int

    init(from decoder: any Decoder) throws {
        value = try decoder.singleValueContainer().decode(Int.self)
        guard (1...1000).contains(value) else { throw ConfigValueError("max_parallel_caches must be between 1 and 1000") }
    }

    init(value: Int) { self.value = value }
    static var placeholder: ParallelLimit { ParallelLimit(value: 1) }
}

/// The scope inside which only one cache may be under maintenance. It can be made wider than
/// the seed's resource group + region, never narrower.
public enum ExclusionScope: String, ConfigEnumeration, Codable, Hashable {
    case resourceGroupAndRegion = "resource_group_and_region"
    case resourceGroup = "resource_group"
    case region
    case fleet

    /// The key two caches share when they must not run together.
    public func key(for placement: Placement) -> String {
        switch self {
        case .resourceGroupAndRegion: "\(placement.resourceGroup)\u{1F}\(placement.region)"
        case .resourceGroup: placement.resourceGroup
        case .region: placement.region
        case .fleet: "fleet"
        }
    }
}

/// What happens to the rest of the rollout when an action fails for good.
public enum FailurePolicy: String, ConfigEnumeration, Codable, Hashable {
    /// Caches in flight stop at their next safe point; no new cache starts. (On the simulated
    /// backend's virtual clock, caches already running finish; no new cache starts.)
    case stopAll = "stop_all"
    /// Only the failing cache stops; the others go on.
    case isolateCache = "isolate_cache"
}
