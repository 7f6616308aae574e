/// This build's version, written into every plan and journal.
public enum MaintctlVersion {
    /// The version string (`maintctl --version`).
    public static let current = "0.12.0"
}
