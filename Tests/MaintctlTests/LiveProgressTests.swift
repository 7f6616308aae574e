import Foundation
import Testing

/// The live progress block, read off a real terminal: tmux runs maintctl and capture-pane reads
/// the screen.
@Suite(.serialized) struct LiveProgressTests {
    /// A tmux server of the test's own (its own socket), stopped by its pid at the end.
    final class Terminal: Sendable {
        let socket: String
        let width: Int

        /// Runs `body` with a terminal running `command`, and stops it whatever `body` does.
        static func with(width: Int, command: String, _ body: (Terminal) async throws -> Void) async throws {
            let terminal = try await Terminal(width: width, command: command)
            do {
                try await body(terminal)
            } catch {
                try? await terminal.stop()
                throw error
            }
            try await terminal.stop()
        }

        private init(width: Int, command: String) async throws {
            let directory = try CLI.temporaryDirectory("tmux")
            socket = directory + "/socket"
            self.width = width
            // The terminal's environment is a user's, not the test runner's (which sets NO_COLOR).
            let started = try await CLI.run(program: "/usr/bin/env", ["-u", "NO_COLOR", "/usr/bin/tmux", "-S", socket, "new-session", "-d",
                                                                      "-x", "\(width)", "-y", "200",
                                                                      "export MAINTCTL_HOME='\(directory)/home' && mkdir -p '\(directory)/home' && cd '\(CLI.packageRoot)' && \(command); echo EXIT:$?; sleep 120"])
            #expect(started.status == 0, "\(started.stderr)")
        }

        /// The screen, wrapped lines joined.
        func screen() async throws -> [String] {
            try await CLI.run(program: "/usr/bin/tmux", ["-S", socket, "capture-pane", "-p", "-J", "-t", "0"]).stdout
                .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        }

        func press(_ key: String) async throws {
            _ = try await CLI.run(program: "/usr/bin/tmux", ["-S", socket, "send-keys", "-t", "0", key])
        }

        /// Screens read every 100 ms until one has `text` (at most 90 s).
        func screens(until text: String) async throws -> [[String]] {
            var seen: [[String]] = []
            for _ in 0..<900 {
                let screen = try await screen()
                seen.append(screen)
                if screen.contains(where: { $0.contains(text) }) { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            return seen
        }

        func stop() async throws {
            let pid = try await CLI.run(program: "/usr/bin/tmux", ["-S", socket, "display-message", "-p", "#{pid}"]).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            if let pid = pid_t(pid) { kill(pid, SIGTERM) }
        }
    }

    /// maintctl, with a home in the terminal's own directory (removed with the test run's).
    static let maintctl = "'\(CLI.binary)'"

    @Test func aNarrowTerminalShowsALineACacheThatNeverWrapsAndLeavesOnlyTheLines() async throws {
        try await Terminal.with(width: 60, command: "\(Self.maintctl) run Playbooks/rolling-patch.yaml --time-scale 120") { terminal in
        let screens = try await terminal.screens(until: "EXIT:")
        let blocks = screens.map { $0.filter { $0.contains("▕") } }.filter { !$0.isEmpty }
        #expect(!blocks.isEmpty, "no live block was seen")
        #expect(blocks.flatMap { $0 }.allSatisfy { $0.count < 60 && $0.contains("ETA ") }, "\(blocks.last ?? [])")
        #expect(blocks.contains { $0.count > 1 }, "caches under maintenance at once each have a line")
        let last = try #require(screens.last)
        #expect(last.contains("EXIT:0"))
        #expect(last.contains { $0.hasPrefix("Summary: succeeded on simulated") })
        #expect(!last.contains { $0.contains("▕") || $0.contains("\u{1B}") }, "the block is gone when the run ends")
        }
    }

    @Test func ctrlCStopsTheRunAndTheBlockGoes() async throws {
        try await Terminal.with(width: 100, command: "\(Self.maintctl) run Playbooks/rolling-patch.yaml --time-scale 20") { terminal in
        _ = try await terminal.screens(until: "▕")
        try await terminal.press("C-c")
        let screens = try await terminal.screens(until: "EXIT:")
        let last = try #require(screens.last)
        #expect(last.contains("EXIT:3"), "\(last)")
        #expect(last.contains { $0.contains("maintctl: stopping after the action in flight") })
        #expect(last.contains { $0.hasPrefix("Summary: aborted") }, "\(last)")
        #expect(!last.contains { $0.contains("▕") })
        }
    }

    @Test(arguments: ["--no-progress", "NO_COLOR=1", "TERM=dumb"])
    func plainLinesWhenAskedOrOnADumbTerminal(setting: String) async throws {
        let command = setting.hasPrefix("--") ? "\(Self.maintctl) run Playbooks/rolling-restart.yaml --time-scale 200 \(setting)"
            : "\(setting) \(Self.maintctl) run Playbooks/rolling-restart.yaml --time-scale 200"
        try await Terminal.with(width: 100, command: command) { terminal in
        let screens = try await terminal.screens(until: "EXIT:")
        #expect(screens.last?.contains("EXIT:0") == true)
        #expect(!screens.contains { $0.contains { $0.contains("▕") } })
        }
    }
}
