import Foundation

/// A duration written in a playbook: `500ms`, `30s`, `5m`, `1h30m`, or a number of seconds.
public struct ConfigDuration: Decodable, Sendable, Hashable, CustomStringConvertible, ConfigPlaceholder {
    /// The duration.
    public var duration: Duration

    /// Creates a value from a duration.
    public init(_ duration: Duration) { self.duration = duration }

    /// The longest duration a playbook may name: a year.
    public static let maximumMilliseconds: Int64 = 366 * 24 * 3_600_000

    /// Parses `text`, or returns nil when it is not a duration of at most a year.
    public init?(parsing text: String) {
        if let seconds = Double(text), seconds >= 0, seconds.isFinite {
            guard seconds * 1000 <= Double(Self.maximumMilliseconds) else { return nil }
            self.init(.milliseconds(Int64((seconds * 1000).rounded())))
            return
        }
        let units: [(suffix: String, milliseconds: Int64)] = [("ms", 1), ("h", 3_600_000), ("m", 60_000), ("s", 1000)]
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        var total: Int64 = 0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isNumber }
            guard !digits.isEmpty, digits.count <= 9, let amount = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            guard let unit = units.first(where: { rest.hasPrefix($0.suffix) }) else { return nil }
            rest = rest.dropFirst(unit.suffix.count)
            let (part, overflow) = amount.multipliedReportingOverflow(by: unit.milliseconds)
            guard !overflow, part <= Self.maximumMilliseconds - total else { return nil }
            total += part
        }
        self.init(.milliseconds(total))
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = ConfigDuration(parsing: text) else {
            throw ConfigValueError("'\(text.forMessage)' is not a duration of at most a year; write it like 500ms, 30s, 5m or 1h30m")
        }
        self = value
    }

    public var description: String { duration.humanReadable }

    public static var placeholder: ConfigDuration { ConfigDuration(.seconds(1)) }
}

extension Duration {
    /// Seconds as a `Double`.
    public var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }

    /// Whole milliseconds, rounded (saturating far beyond any real duration).
    public var milliseconds: Int64 {
        let value = (seconds * 1000).rounded()
        guard value.isFinite else { return value > 0 ? .max : .min }
        return Int64(max(-9.2e18, min(9.2e18, value)))
    }

    /// `850ms`, `12.4s`, `3m05s`, `2h14m`.
    public var humanReadable: String {
        let total = seconds
        if total < 1 { return "\(milliseconds)ms" }
        if total < 60 { return String(format: "%.1fs", total) }
        let whole = Int(total.rounded())
        if whole < 3600 { return String(format: "%dm%02ds", whole / 60, whole % 60) }
        return String(format: "%dh%02dm", whole / 3600, (whole % 3600) / 60)
    }
}
