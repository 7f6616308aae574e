import MaintenanceKit

/// The step plugins that ship with maintctl, as an explicit list.
public enum BuiltinPlugins {
    /// Every built-in step plugin.
    public static let all: [AnyStepPlugin] = [
        AnyStepPlugin(CreateVMs()),
        AnyStepPlugin(ElectLeader()),
        AnyStepPlugin(DrainNode()),
        AnyStepPlugin(MigrateShards()),
        AnyStepPlugin(RemoveNode()),
        AnyStepPlugin(DeleteVMs()),
        AnyStepPlugin(FailoverPrimaries()),
        AnyStepPlugin(RestartNode()),
        AnyStepPlugin(RestoreNode()),
    ]
}
