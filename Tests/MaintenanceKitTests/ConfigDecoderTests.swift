import MaintenanceKit
import Testing

struct Sample: Decodable {
    var name: String
    var count: Int
    var ratio: Double?
    var enabled: Bool?
    var wait: ConfigDuration?
    var tags: [String]?
}

@Suite struct ConfigDecoderTests {
    func decode(_ text: String) throws -> (Sample?, [Diagnostic]) {
        let node = try ConfigNode.parse(SourceFile(path: "f.yaml", text: text))
        let result = ConfigDecoder.decode(Sample.self, from: node)
        return (result.value, result.diagnostics)
    }

    @Test func decodesWellFormedValues() throws {
        let (value, problems) = try decode("name: x\ncount: 3\nratio: 0.5\nenabled: true\nwait: 1m30s\ntags: [a, b]\n")
        #expect(problems.isEmpty)
        #expect(value?.count == 3)
        #expect(value?.wait?.duration == .seconds(90))
        #expect(value?.tags == ["a", "b"])
    }

    @Test func collectsEveryProblemWithItsLocation() throws {
        let (_, problems) = try decode("count: many\nratio: fast\nenabled: maybe\nnmae: x\n")
        #expect(problems.count == 5)
        let rendered = problems.map(\.description)
        #expect(rendered.contains("f.yaml:1:8: error: expected a whole number, found 'many'"))
        #expect(rendered.contains("f.yaml:2:8: error: expected a number, found 'fast'"))
        #expect(rendered.contains("f.yaml:3:10: error: expected true or false, found 'maybe'"))
        #expect(rendered.contains("f.yaml:1:1: error: missing required key 'name'"))
        #expect(rendered.contains { $0.hasPrefix("f.yaml:4:1: error: unknown key 'nmae'") && $0.hasSuffix("did you mean 'name'?") })
    }

    @Test func rejectsABadDurationAtItsValue() throws {
        let (_, problems) = try decode("name: x\ncount: 1\nwait: soon\n")
        #expect(problems.map(\.description) == ["f.yaml:3:7: error: 'soon' is not a duration of at most a year; write it like 500ms, 30s, 5m or 1h30m"])
    }

    @Test func appliesMergeKeys() throws {
        let (value, problems) = try decode("base: &base {name: x, count: 2}\n<<: *base\ncount: 5\n")
        // `base` itself is an unknown key of Sample; the merged values apply, local keys win.
        #expect(problems.map(\.code) == [.unknownKey])
        #expect(value?.count == 5)
        let node = try ConfigNode.parse(SourceFile(path: "f.yaml", text: "base: &base {name: x, count: 2}\n<<: *base\ncount: 5\n"))
        #expect(node["count"]?.scalar == "5")
        #expect(node["name"]?.scalar == "x")
    }

    @Test(arguments: [("500ms", 500), ("30s", 30_000), ("5m", 300_000), ("1h30m", 5_400_000), ("2", 2_000)])
    func parsesDurations(text: String, milliseconds: Int64) {
        #expect(ConfigDuration(parsing: text)?.duration.milliseconds == milliseconds)
    }

    @Test(arguments: ["", "x", "5x", "-3s", "1.5h", "ms"])
    func rejectsMalformedDurations(text: String) {
        #expect(ConfigDuration(parsing: text) == nil)
    }
}
