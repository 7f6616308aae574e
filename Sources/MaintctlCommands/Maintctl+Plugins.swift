import ArgumentParser
import MaintenanceKit

extension Maintctl {
    struct Plugins: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List step plugins with their parameters, and backends.")

        func run() async throws {
            let registry = try Registry.make()
            Output.line("Steps:")
            for id in registry.stepIDs {
                guard let descriptor = registry.step(id)?.descriptor else { continue }
                let retry = descriptor.isRetryable ? "retryable" : "not retryable"
                Output.line("  \(id)  [per \(descriptor.scope.rawValue), \(retry), timeout \(descriptor.defaultTimeout.humanReadable)]")
                Output.line("      \(descriptor.summary)")
                for parameter in descriptor.parameters {
                    let presence = parameter.isRequired ? "required" : "default: \(parameter.defaultValue ?? "none")"
                    Output.line("      \(parameter.name): \(parameter.type.description) (\(presence)) — \(parameter.summary)")
                }
            }
            Output.line("Backends:")
            for id in registry.backendIDs {
                guard let backend = registry.backend(id)?.descriptor else { continue }
                Output.line("  \(backend.id)  \(backend.summary)")
            }
        }
    }
}
