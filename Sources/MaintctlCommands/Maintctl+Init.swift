import ArgumentParser
import Foundation

extension Maintctl {
    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a starter playbook and inventory (a rolling patch of one 3-node cache) and their JSON Schemas.",
            discussion: """
                It writes playbook.yaml, inventory.yaml, playbook.schema.json and inventory.schema.json into the \
                directory (the current one by default) and never overwrites a file; editors with yaml-language-server \
                check and complete the YAML files against the schemas. Then: maintctl validate playbook.yaml; maintctl plan playbook.yaml; \
                maintctl run playbook.yaml (the simulated backend); or maintctl cluster up inventory.yaml \
                --backend process --state DIR and maintctl run playbook.yaml --backend process --state DIR.
                """)

        @Option(help: "Where to write the files.")
        var directory = "."

        func run() throws {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                Output.error("maintctl: init: '\(directory)' is not a directory")
                throw Exit.invalidInput
            }
            let files = (StarterFiles.all + [("playbook.schema.json", try Schema.text(of: .playbook)),
                                                 ("inventory.schema.json", try Schema.text(of: .inventory))])
                .map { (path: directory + "/" + $0.name, text: $0.text) }
            let existing = files.map(\.path).filter { FileManager.default.fileExists(atPath: $0) }
            guard existing.isEmpty else {
                Output.error("maintctl: init: \(existing.joined(separator: ", ")) already exist\(existing.count == 1 ? "s" : ""); nothing was written")
                throw Exit.refused
            }
            for file in files {
                guard FileManager.default.createFile(atPath: file.path, contents: Data(file.text.utf8)) else {
                    Output.error("maintctl: init: cannot write \(file.path)")
                    throw Exit.invalidInput
                }
                Output.line("wrote \(file.path)")
            }
            Output.line("next: maintctl validate \(files[0].path) && maintctl plan \(files[0].path)")
        }
    }
}
