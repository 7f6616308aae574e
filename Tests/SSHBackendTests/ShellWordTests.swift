import MaintenanceKit
import ProcessBackend
import SSHBackend
import Testing

/// Values a remote shell must take as they are: none of them may run anything, split, expand
/// or vanish.
let hostileValues = [
    "plain", "", " ", "two words", "'", "''", "\"", "it's", #"a\b"#, "$(touch /tmp/maintctl-pwned)", "`touch /tmp/maintctl-pwned`",
    "; touch /tmp/maintctl-pwned", "&& touch /tmp/maintctl-pwned", "| cat", "> /tmp/maintctl-pwned", "*", "~", "~root", "$HOME", "${HOME}",
    "line one\nline two", "\n", "\t", "-n", "--", "A=1", "#comment", "!", "%s", "{a,b}", "[ab]", "é ü 日本", "'\"'\"'",
]

@Suite struct ShellWordTests {
    @Test func plainWordsStayAsTheyAreAndEverythingElseIsSingleQuoted() throws {
        #expect(try ShellWord.quote("redis-server") == "redis-server")
        #expect(try ShellWord.quote("/opt/redis/7.2/bin/redis-server") == "/opt/redis/7.2/bin/redis-server")
        #expect(try ShellWord.quote("") == "''")
        #expect(try ShellWord.quote("two words") == "'two words'")
        #expect(try ShellWord.quote("it's") == #"'it'"'"'s'"#)
        #expect(try ShellWord.quote("A=1") == "'A=1'")
        #expect(try ShellWord.quote("~") == "'~'")
        #expect(try ShellWord.commandLine(["printf", "%s", "$(id)"]) == "printf %s '$(id)'")
    }

    /// The local shell is the judge here: each quoted value comes back as one argument, byte for byte.
    @Test func aPOSIXShellReadsEachQuotedValueBackAsItWas() async throws {
        let line = try ShellWord.commandLine(["printf", "%s\\0"] + hostileValues)
        let outcome = try await ChildProcess.run(["/bin/sh", "-c", line], timeout: .seconds(10))
        #expect(outcome.status == 0, "\(outcome.errorText)")
        let words = outcome.stdout.split(separator: 0, omittingEmptySubsequences: false).dropLast().map { String(decoding: $0, as: UTF8.self) }
        #expect(words == hostileValues)
    }

    @Test func aNULByteIsRefused() {
        #expect(throws: BackendError.self) { try ShellWord.quote("a\u{0}b") }
        do {
            _ = try ShellWord.commandLine(["echo", "a\u{0}b"])
        } catch let error as BackendError {
            #expect(error.code == .unsafeRemoteValue)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
