import MaintenanceKit

/// The failures of a backend that drives `redis-server` processes.
extension BackendErrorCode {
    /// `cluster adopt` refused a cluster it cannot drive safely, or could not read a server.
    public static let adoptRefused = BackendErrorCode("adopt-refused")
    /// maintctl refused to restart or stop a server it adopted rather than started.
    public static let adoptedServer = BackendErrorCode("adopted-server")
    public static let backgroundNotRunning = BackendErrorCode("background-not-running")
    public static let badState = BackendErrorCode("bad-state")
    /// Another maintctl process changes the cluster of the state directory (see ``StateDirectoryLock``).
    public static let clusterBusy = BackendErrorCode("cluster-busy")
    public static let clusterExists = BackendErrorCode("cluster-exists")
    public static let clusterUpFailed = BackendErrorCode("cluster-up-failed")
    public static let copyDied = BackendErrorCode("copy-died")
    public static let copyPromoted = BackendErrorCode("copy-promoted")
    public static let endpointHandOffFailed = BackendErrorCode("endpoint-hand-off-failed")
    public static let endpointStartFailed = BackendErrorCode("endpoint-start-failed")
    public static let holdExpired = BackendErrorCode("hold-expired")
    public static let missingProgram = BackendErrorCode("missing-program")
    public static let noCluster = BackendErrorCode("no-cluster")
    public static let noPort = BackendErrorCode("no-port")
    public static let noSinglePrimary = BackendErrorCode("no-single-primary")
    public static let nodeNotRunning = BackendErrorCode("node-not-running")
    public static let passwordUnavailable = BackendErrorCode("password-unavailable")
    public static let tlsUnavailable = BackendErrorCode("tls-unavailable")
    /// The servers refuse the password the cluster's state names now.
    public static let passwordRejected = BackendErrorCode("password-rejected")
    public static let pauseNeedsDuration = BackendErrorCode("pause-needs-duration")
    public static let primaryLost = BackendErrorCode("primary-lost")
    public static let redisMissing = BackendErrorCode("redis-missing")
    public static let redisStartFailed = BackendErrorCode("redis-start-failed")
    public static let roleUnknown = BackendErrorCode("role-unknown")
    public static let stateWriteFailed = BackendErrorCode("state-write-failed")
}
