import ArgumentParser
import MaintenanceKit

/// `maintctl`: author, validate, plan and run zero-downtime maintenance of sharded, replicated caches.
public struct Maintctl: AsyncParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "maintctl",
        abstract: "Zero-downtime maintenance of sharded, replicated clusters, from declarative playbooks.",
        discussion: """
            Exit codes: 0 success; 1 the rollout failed or broke an invariant; 2 the input is invalid \
            (nothing was executed); 3 the rollout was stopped before it finished; 4 refused: another run \
            holds a lock on a cache or its resource group and region, another maintctl is changing the same \
            live cluster, or it is outside the maintenance window.
            """,
        version: MaintctlVersion.current,
        subcommands: [Validate.self, Plan.self, Run.self, Verify.self, Resume.self, Status.self, Abort.self, Rollback.self, History.self,
                      Cluster.self, Probe.self, Plugins.self, Report.self, Schema.self, Init.self, Completion.self])
}

/// Exit codes shared by the subcommands.
enum Exit {
    static let failed = ExitCode(1)
    static let invalidInput = ExitCode(2)
    static let stopped = ExitCode(3)
    static let refused = ExitCode(4)
}
