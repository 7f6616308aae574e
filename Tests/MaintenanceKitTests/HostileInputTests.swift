import Foundation
import MaintenanceKit
import Testing

/// Hostile files end in one clear diagnostic quickly, never a crash or a hang.
@Suite struct HostileInputTests {
    static let directory: String = {
        let path = NSTemporaryDirectory() + "maintctl-hostile-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        // Shared by the suite's tests: removed when the test process ends.
        atexit { try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "maintctl-hostile-\(getpid())") }
        return path
    }()

    static func file(_ name: String, _ contents: Data) -> String {
        let path = directory + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: contents)
        return path
    }

    static let aliasBomb: String = {
        var text = "name: bomb\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
        for (previous, name) in zip(names, names.dropFirst()) {
            text += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ", ") + "]\n"
        }
        return text + "steps: *i\n"
    }()

    /// Ten levels of lists per link of a chain of aliases: a hundred levels, written in ten.
    static let deepAliases: String = {
        var text = "name: deep\nd0: &d0 [x]\n"
        for link in 1...10 {
            text += "d\(link): &d\(link) " + String(repeating: "[", count: 10) + "*d\(link - 1)" + String(repeating: "]", count: 10) + "\n"
        }
        return text + "steps: [*d10]\n"
    }()

    /// A character YAML forbids is reported on its own line.
    @Test func aControlCharacterIsReportedWhereItIs() {
        let path = Self.file("control.yaml", Data("name: x\nsteps: []\ndescription: a\u{7F}b\n".utf8))
        let problems = Self.validate(path)
        #expect(problems.count == 1)
        #expect(problems.first?.location.line == 3 && problems.first?.location.column == 15, "\(problems)")
        #expect(problems.first?.message.contains("YAML reader") == true)
    }

    /// An alias used as a mapping key: it could stand for an alias bomb, and is refused.
    static let keyBomb = "name: bomb\na: &a [lol, lol, lol]\n? *a\n: 1\n"

    static let cases: [(name: String, contents: Data, expected: String)] = [
        ("alias-bomb.yaml", Data(aliasBomb.utf8), "aliases expand the document"),
        ("key-bomb.yaml", Data(keyBomb.utf8), "mapping keys must be plain text"),
        ("huge.yaml", Data(repeating: UInt8(ascii: "#"), count: 50 << 20), "larger than 16 MB"),
        ("deep-flow.yaml", Data(("name: " + String(repeating: "[", count: 100_000)).utf8), "nesting level"),
        ("deep-block.yaml", Data((0..<200).map { String(repeating: "  ", count: $0) + "k\($0):\n" }.joined().utf8), "nest more than 64"),
        ("deep-aliases.yaml", Data(deepAliases.utf8), "nest more than 64 levels deep (through aliases)"),
        ("garbage.yaml", Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }), "not UTF-8"),
        ("nul.yaml", Data("name: x\0\n".utf8), "NUL bytes"),
        ("empty.yaml", Data(), "file is empty"),
        ("scalar.yaml", Data("just text\n".utf8), "expected a mapping, found a scalar"),
    ]

    @Test(arguments: cases.indices)
    func hostileFileGivesOneClearError(index: Int) throws {
        let (name, contents, expected) = Self.cases[index]
        let path = Self.file(name, contents)
        let started = ContinuousClock.now
        let problems = Self.validate(path)
        #expect(ContinuousClock.now - started < .seconds(10), "must not hang")
        #expect(problems.count == 1)
        #expect(problems.first?.location.file == path)
        #expect(problems.first?.message.contains(expected) == true, "\(problems)")
    }

    /// Far more steps than any playbook has: one error, before any step is looked at.
    @Test func aPlaybookOfTooManyStepsIsOneError() {
        let path = Self.file("many-steps.yaml", Data(("name: many\nsteps:\n" + String(repeating: "  - step: creat_vms\n    retries: lots\n", count: 20_000)).utf8))
        let problems = Self.validate(path)
        #expect(problems.map(\.description) == ["\(path):3:3: error: the playbook has 20000 steps; a playbook may have at most 10000"])
    }

    @Test func aKeyWrittenTwiceIsAnError() {
        let path = Self.file("twice.yaml", Data("name: x\nsteps: []\nname: y\n".utf8))
        #expect(Self.validate(path).map(\.description) == ["\(path):3:1: error: duplicate key 'name' in mapping"])
    }

    @Test func directoryAndMissingFile() {
        let directory = Self.directory + "/a-directory.yaml"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        #expect(Self.validate(directory).map(\.description) == ["\(directory):1:1: error: is a directory, expected a YAML file"])
        let missing = Self.directory + "/missing.yaml"
        #expect(Self.validate(missing).map(\.description) == ["\(missing):1:1: error: no such file"])
    }

    static func validate(_ path: String) -> [Diagnostic] {
        do {
            _ = try PlaybookLoader(registry: Fixtures.registry).load(path: path)
            return []
        } catch {
            return error.diagnostics
        }
    }
}
