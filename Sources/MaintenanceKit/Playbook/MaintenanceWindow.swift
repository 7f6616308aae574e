import Foundation

/// A weekly maintenance window: on some days of the week, from a local time, for a while.
///
/// ```yaml
/// maintenance_windows:
///   - days: [sat, sun]
///     start: "02:00"
///     duration: 6h
///     time_zone: Europe/Berlin
/// ```
/// The seed service requires slots of at least 4 hours; a window may run into the next day.
public struct MaintenanceWindow: Sendable, Codable, Hashable, ConfigPlaceholder {
    /// A day of the week.
    public enum Weekday: String, ConfigEnumeration, Codable, Hashable {
        case mon, tue, wed, thu, fri, sat, sun

        /// Foundation's weekday number (Sunday is 1).
        var calendarWeekday: Int {
            switch self {
            case .sun: 1
            case .mon: 2
            case .tue: 3
            case .wed: 4
            case .thu: 5
            case .fri: 6
            case .sat: 7
            }
        }
    }

    /// The shortest window the seed service allows.
    public static let minimumLength: Duration = .seconds(4 * 3600)
    /// The longest window: a whole week.
    public static let maximumLength: Duration = .seconds(7 * 24 * 3600)

    /// The days the window opens on.
    public var days: [Weekday]
    /// When it opens, in minutes after local midnight.
    public var startMinute: Int
    /// How long it stays open.
    public var length: Duration
    /// The IANA time zone its times are in.
    public var timeZone: TimeZone

    enum CodingKeys: String, CodingKey {
        case days, start, duration, timeZone = "time_zone"
    }

    public init(days: [Weekday], startMinute: Int, length: Duration, timeZone: TimeZone) {
        self.days = days
        self.startMinute = startMinute
        self.length = length
        self.timeZone = timeZone
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        days = try container.decode(Days.self, forKey: .days).days
        startMinute = try container.decode(TimeOfDay.self, forKey: .start).minute
        length = try container.decode(WindowLength.self, forKey: .duration).length
        timeZone = try container.decode(WindowTimeZone.self, forKey: .timeZone).zone
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(days.map(\.rawValue), forKey: .days)
        try container.encode(String(format: "%02d:%02d", startMinute / 60, startMinute % 60), forKey: .start)
        try container.encode("\(length.milliseconds)ms", forKey: .duration)
        try container.encode(timeZone.identifier, forKey: .timeZone)
    }

    public static var placeholder: MaintenanceWindow {
        MaintenanceWindow(days: [.sun], startMinute: 0, length: minimumLength, timeZone: TimeZone(identifier: "UTC") ?? .current)
    }

    /// The openings of this window that could contain `date` or follow it within a week.
    func openings(around date: Date) -> [DateInterval] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let wanted = Set(days.map(\.calendarWeekday))
        let today = calendar.startOfDay(for: date)
        return (-8...8).compactMap { offset -> DateInterval? in
            guard let day = calendar.date(byAdding: .day, value: offset, to: today),
                  wanted.contains(calendar.component(.weekday, from: day)),
                  let start = calendar.date(bySettingHour: startMinute / 60, minute: startMinute % 60, second: 0, of: day)
            else { return nil }
            return DateInterval(start: start, duration: length.seconds)
        }
    }
}

/// `days:` — at least one day, each once.
private struct Days: Decodable, ConfigPlaceholder {
    static var placeholder: Days { Days(days: [.sun]) }
    init(days: [MaintenanceWindow.Weekday]) { self.days = days }

    var days: [MaintenanceWindow.Weekday]

    init(from decoder: any Decoder) throws {
        days = try [MaintenanceWindow.Weekday](from: decoder)
        guard !days.isEmpty else { throw ConfigValueError("name at least one day (mon, tue, wed, thu, fri, sat, sun)") }
        guard Set(days).count == days.count else { throw ConfigValueError("a day is named twice") }
    }
}

/// `start: "02:00"` — a 24-hour local time.
private struct TimeOfDay: Decodable, ConfigPlaceholder {
    static var placeholder: TimeOfDay { TimeOfDay(minute: 0) }
    init(minute: Int) { self.minute = minute }

    var minute: Int

    init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCII) }),
              let hour = Int(parts[0]), let minute = Int(parts[1]), (0..<24).contains(hour), (0..<60).contains(minute) else {
            throw ConfigValueError("'\(text.forMessage)' is not a time of day; write it as HH:MM, like \"02:00\"")
        }
        self.minute = hour * 60 + minute
    }
}

/// `duration:` — from the seed's 4 hours to a week.
private struct WindowLength: Decodable, ConfigPlaceholder {
    static var placeholder: WindowLength { WindowLength(length: MaintenanceWindow.minimumLength) }
    init(length: Duration) { self.length = length }

    var length: Duration

    init(from decoder: any Decoder) throws {
        length = try ConfigDuration(from: decoder).duration
        guard length >= MaintenanceWindow.minimumLength else {
            throw ConfigValueError("a maintenance window lasts at least 4h (the managed service's minimum slot); this one lasts \(length.humanReadable)")
        }
        guard length <= MaintenanceWindow.maximumLength else { throw ConfigValueError("a weekly window lasts at most 168h") }
    }
}

/// `time_zone: Europe/Berlin` — an IANA time zone this machine knows.
private struct WindowTimeZone: Decodable, ConfigPlaceholder {
    static var placeholder: WindowTimeZone { WindowTimeZone(zone: TimeZone(identifier: "UTC") ?? .current) }
    init(zone: TimeZone) { self.zone = zone }

    var zone: TimeZone

    init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let zone = TimeZone(identifier: text) else {
            throw ConfigValueError("unknown time zone '\(text.forMessage)'; use an IANA name like UTC, Europe/Berlin or America/New_York")
        }
        self.zone = zone
    }
}

/// The weekly windows a rollout may work in; empty means always.
public struct MaintenanceSchedule: Sendable, Hashable {
    public var windows: [MaintenanceWindow]

    public init(_ windows: [MaintenanceWindow]) { self.windows = windows }

    /// Whether any window is declared.
    public var isRestricted: Bool { !windows.isEmpty }

    /// The end of the open window that contains `date` (the latest, where windows overlap);
    /// nil when no window is open then.
    public func openUntil(at date: Date) -> Date? {
        guard isRestricted else { return .distantFuture }
        return windows.flatMap { $0.openings(around: date) }.filter { $0.start <= date && date < $0.end }.map(\.end).max()
    }

    /// The first opening after `date` whose window lasts at least `length` (or the first
    /// opening at all when none does).
    public func nextOpening(after date: Date, lasting length: Duration = .zero) -> Date? {
        let upcoming = windows.flatMap { $0.openings(around: date) }.filter { $0.start > date }.sorted { $0.start < $1.start }
        return (upcoming.first { $0.duration >= length.seconds } ?? upcoming.first)?.start
    }
}
