import MaintenanceKit

/// The failures of a backend that drives containers through an engine's API.
extension BackendErrorCode {
    public static let badNodeName = BackendErrorCode("bad-node-name")
    public static let badVersion = BackendErrorCode("bad-version")
    public static let engineClosed = BackendErrorCode("engine-closed")
    public static let engineEndpoint = BackendErrorCode("engine-endpoint")
    public static let engineNotLocal = BackendErrorCode("engine-not-local")
    public static let engineRefused = BackendErrorCode("engine-refused")
    public static let engineTimeout = BackendErrorCode("engine-timeout")
    public static let engineUnreachable = BackendErrorCode("engine-unreachable")
    public static let engineVersion = BackendErrorCode("engine-version")
    public static let execFailed = BackendErrorCode("exec-failed")
    public static let imageBuildFailed = BackendErrorCode("image-build-failed")
    public static let imageImportFailed = BackendErrorCode("image-import-failed")
    public static let imageMissing = BackendErrorCode("image-missing")
}
