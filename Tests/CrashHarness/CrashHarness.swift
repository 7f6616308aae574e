import Foundation
import MaintctlCommands

/// `maintctl-crash-harness --crash-after-journal-writes N ARGUMENTS…`: runs `maintctl ARGUMENTS…`
/// in this process with a journal that ends the process abruptly right after its Nth write, as
/// a crash of maintctl would. The tests of crash recovery run it; maintctl itself has no such aid.
@main enum CrashHarness {
    /// The exit status of a crash on purpose.
    static let crashedOnPurpose: Int32 = 86

    static func main() async {
        var arguments = Array(CommandLine.arguments.dropFirst())
        guard arguments.count >= 2, arguments[0] == "--crash-after-journal-writes", let writes = Int(arguments[1]), writes > 0 else {
            FileHandle.standardError.write(Data("usage: maintctl-crash-harness --crash-after-journal-writes N MAINTCTL-ARGUMENTS…\n".utf8))
            exit(64)
        }
        arguments.removeFirst(2)
        var environment = CommandEnvironment()
        environment.journal = { CrashingJournal($0, crashAfter: writes) }
        await CommandEnvironment.$current.withValue(environment) {
            await Maintctl.main(arguments)
        }
    }
}
