import MaintctlCommands

/// The `maintctl` executable: the commands live in `MaintctlCommands`, where tests run them too.
@main enum Main {
    static func main() async { await Maintctl.main() }
}
