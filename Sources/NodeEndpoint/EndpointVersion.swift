import Foundation

/// The endpoint's version and process, as `INFO` reports them.
enum EndpointVersion {
    static let current = "0.13.0"
    static let processID = Int(ProcessInfo.processInfo.processIdentifier)
}
