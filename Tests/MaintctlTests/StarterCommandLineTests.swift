import Foundation
import Testing

/// `maintctl init` and `maintctl completion`.
@Suite struct StarterCommandLineTests {
    @Test func initWritesAPlaybookThatValidatesAndRunsAndNeverOverwrites() async throws {
        let directory = try CLI.temporaryDirectory()
        let written = try await CLI.run(["init", "--directory", directory])
        #expect(written.status == 0, "\(written.stderr)")
        let playbook = directory + "/playbook.yaml"
        for schema in ["playbook.schema.json", "inventory.schema.json"] {
            #expect(FileManager.default.fileExists(atPath: directory + "/" + schema))
        }
        #expect(try String(contentsOfFile: playbook, encoding: .utf8).hasPrefix("# yaml-language-server: $schema=playbook.schema.json\n"))
        let validated = try await CLI.run(["validate", playbook])
        #expect(validated.status == 0 && validated.stdout.contains("\(playbook): ok"), "\(validated.stderr)")
        let run = try await CLI.run(["run", playbook], background: true)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("caches patched: 1 of 1; nodes replaced: 3"))

        let before = try String(contentsOfFile: playbook, encoding: .utf8)
        try "# edited\n".write(toFile: directory + "/inventory.yaml", atomically: true, encoding: .utf8)
        let again = try await CLI.run(["init", "--directory", directory])
        #expect(again.status == 4)
        #expect(again.stderr.contains("already exist"))
        #expect(try String(contentsOfFile: playbook, encoding: .utf8) == before)
        #expect(try String(contentsOfFile: directory + "/inventory.yaml", encoding: .utf8) == "# edited\n")
    }

    /// The bash script, sourced by bash, completes maintctl's subcommands and a subcommand's options.
    @Test func theBashCompletionCompletesSubcommandsAndOptions() async throws {
        let result = try await CLI.run(["completion", "bash"])
        #expect(result.status == 0, "\(result.stderr)")
        let script = try CLI.temporaryFile(result.stdout, name: "maintctl.bash")
        let function = try #require(result.stdout.firstMatch(of: /complete\s+.*-F\s+(\S+)\s+maintctl/)?.output.1)
        // The script asks `maintctl` itself for some completions: the one under test, first on PATH.
        let path = URL(fileURLWithPath: CLI.binary).deletingLastPathComponent().path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        func complete(_ words: [String]) async throws -> [String] {
            let program = "export PATH='\(path)'; source '\(script)'; COMP_WORDS=(\(words.map { "'\($0)'" }.joined(separator: " "))); "
                + "COMP_CWORD=\(words.count - 1); COMP_LINE='\(words.joined(separator: " "))'; COMP_POINT=${#COMP_LINE}; "
                // As bash calls it: the command, the word being completed, the word before it.
                + "\(function) maintctl '\(words[words.count - 1])' '\(words[words.count - 2])'; printf '%s\\n' \"${COMPREPLY[@]}\""
            let result = try await CLI.run(program: "/bin/bash", ["-c", program])
            #expect(result.status == 0, "\(result.stderr)")
            return result.stdout.split(separator: "\n").map(String.init)
        }
        let subcommands = try await complete(["maintctl", "ru"])
        #expect(subcommands.contains("run"))
        #expect(!subcommands.contains("plan"))
        #expect(try await complete(["maintctl", "run", "--ev"]).contains("--events"))
        for shell in ["zsh", "fish"] {
            let other = try await CLI.run(["completion", shell])
            #expect(other.status == 0 && other.stdout.contains("maintctl"))
        }
        let unknown = try await CLI.run(["completion", "tcsh"])
        #expect(unknown.status != 0 && unknown.stderr.contains("bash, zsh or fish"))
    }
}
