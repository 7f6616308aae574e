import Synchronization

/// A Docker Engine API version (`1.41`).
struct APIVersion: Comparable, Sendable, CustomStringConvertible {
    var major: Int
    var minor: Int

    init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// Parses `1.41`; nil for anything else.
    init?(_ text: String) {
        let parts = text.split(separator: ".").map { Int($0) }
        guard parts.count == 2, let major = parts[0], let minor = parts[1] else { return nil }
        self.init(major: major, minor: minor)
    }

    var description: String { "\(major).\(minor)" }

    static func < (a: APIVersion, b: APIVersion) -> Bool { (a.major, a.minor) < (b.major, b.minor) }

    /// This version, moved into what an engine serves.
    func clamped(oldest: APIVersion?, newest: APIVersion) -> APIVersion {
        min(max(self, oldest ?? self), newest)
    }
}

/// The API version agreed with an engine, once known.
final class AgreedVersion: Sendable {
    private let stored = Mutex<APIVersion?>(nil)

    var value: APIVersion? {
        get { stored.withLock { $0 } }
        set { stored.withLock { $0 = newValue } }
    }
}
