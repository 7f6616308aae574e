import ArgumentParser
import Foundation
import MaintenanceKit

extension Maintctl {
    struct Schema: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the JSON Schema (draft 2020-12) of playbooks or inventories, for editors and validators.",
            discussion: """
                It is made from the step plugins' typed parameters and the playbook and inventory models, so it \
                names every step kind this maintctl knows. In an editor with yaml-language-server, put \
                '# yaml-language-server: $schema=playbook.schema.json' at the top of a playbook.
                """)

        enum Document: String, ExpressibleByArgument, CaseIterable {
            case playbook, inventory
        }

        @Argument(help: "Which document: playbook or inventory.")
        var document: Document = .playbook

        @Option(name: .shortAndLong, help: "Write it to this file instead of standard output.")
        var output: String?

        func run() throws {
            let text = try Self.text(of: document)
            guard let output else { return Output.line(text.trimmingCharacters(in: .newlines)) }
            guard FileManager.default.createFile(atPath: output, contents: Data(text.utf8)) else {
                Output.error("maintctl: schema: cannot write \(output)")
                throw Exit.invalidInput
            }
        }

        /// The schema as pretty JSON with sorted keys, ending in a newline.
        static func text(of document: Document) throws -> String {
            let registry = try Registry.make()
            let schema = switch document {
            case .playbook: PlaybookSchema.document(steps: registry.stepIDs.compactMap { registry.step($0)?.descriptor })
            case .inventory: InventorySchema.document
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            return String(decoding: try encoder.encode(schema), as: UTF8.self) + "\n"
        }
    }
}
