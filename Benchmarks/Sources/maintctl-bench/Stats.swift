/// Order statistics of a handful of samples.
enum Stats {
    /// The nearest-rank `percent` percentile (p50 of 15 samples is the 8th smallest, p99 the
    /// largest); nil without samples.
    static func percentile(_ values: [Int64], _ percent: Double) -> Int64? {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return nil }
        let rank = Int((percent / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count, max(1, rank)) - 1]
    }

    /// The median (the mean of the middle two for an even count); nil without samples.
    static func median(_ values: [Double]) -> Double? {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return nil }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
