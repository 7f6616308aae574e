import ArgumentParser

extension Maintctl {
    struct Completion: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a shell completion script for maintctl.",
            discussion: """
                bash: maintctl completion bash > /etc/bash_completion.d/maintctl (or source it from ~/.bashrc). \
                zsh: maintctl completion zsh > "${fpath[1]}/_maintctl". \
                fish: maintctl completion fish > ~/.config/fish/completions/maintctl.fish.
                """)

        @Argument(help: "The shell: bash, zsh or fish.")
        var shell: String

        func validate() throws {
            guard CompletionShell(rawValue: shell) != nil else {
                throw ValidationError("no completion for '\(shell)': give bash, zsh or fish")
            }
        }

        func run() {
            guard let shell = CompletionShell(rawValue: shell) else { return }
            Output.line(Maintctl.completionScript(for: shell))
        }
    }
}
