import RedisWire

/// Why one attempt of a probe write failed, as a client would see it.
public struct ProbeFailure: Error, Sendable, CustomStringConvertible {
    /// The kinds a client sees, used as keys of the error tally.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case timeout, connectionRefused = "connection_refused", connectionReset = "connection_reset"
        case clusterDown = "clusterdown", moved, ask, tryAgain = "tryagain", loading, readOnly = "readonly"
        case redirectLoop = "redirect_loop", noRoute = "no_route", circuitOpen = "circuit_open"
        /// A write the primary took but no replica confirmed in time (`WAIT` mode): not acknowledged, retried.
        case notReplicated = "not_replicated"
        case other
    }

    public var kind: Kind
    public var message: String

    init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    init(classify error: any Error) {
        switch (error as? RedisError)?.kind {
        case .timeout?: self.init(.timeout, "\(error)")
        case .connect?: self.init(.connectionRefused, "\(error)")
        case .closed?: self.init(.connectionReset, "\(error)")
        default: self.init(.other, "\(error)")
        }
    }

    init(serverMessage message: String) {
        let kind: Kind = switch message.split(separator: " ").first {
        case "CLUSTERDOWN": .clusterDown
        case "TRYAGAIN": .tryAgain
        case "LOADING": .loading
        case "READONLY": .readOnly
        default: .other
        }
        self.init(kind, message)
    }

    public var description: String { "\(kind.rawValue): \(message)" }
}
