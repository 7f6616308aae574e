import MaintenanceKit

/// The failures of reaching hosts over SSH.
extension BackendErrorCode {
    /// The host's key is not the one `known_hosts` holds for it, or `known_hosts` holds none.
    public static let sshHostKeyRejected = BackendErrorCode("ssh-host-key-rejected")
    /// The host refused every key maintctl offered.
    public static let sshAuthenticationFailed = BackendErrorCode("ssh-authentication-failed")
    /// The host cannot be reached (refused, timed out, no route, unknown name).
    public static let sshUnreachable = BackendErrorCode("ssh-unreachable")
    /// `ssh` failed another way, or a remote command did not end in its time.
    public static let sshFailed = BackendErrorCode("ssh-failed")
    /// A remote command ran and exited with a failure.
    public static let remoteCommandFailed = BackendErrorCode("remote-command-failed")
    /// A value cannot be passed to a remote command safely.
    public static let unsafeRemoteValue = BackendErrorCode("unsafe-remote-value")
    /// A new node needs a machine and the inventory's `spare_hosts:` has none left.
    public static let noSpareHost = BackendErrorCode("no-spare-host")
    /// The inventory does not say which machine a node is, or gives two nodes one machine.
    public static let machineUnknown = BackendErrorCode("machine-unknown")
    /// The inventory's provisioning command did not make (or delete) a machine.
    public static let provisioningFailed = BackendErrorCode("provisioning-failed")
    /// A cache reachable over a network has no password.
    public static let passwordRequired = BackendErrorCode("password-required")
}
