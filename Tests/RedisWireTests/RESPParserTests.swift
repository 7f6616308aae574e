import RedisWire
import Testing

@Suite struct RESPParserTests {
    let parser = RESPParser()

    func parse(_ text: String) throws -> RESPValue? { try parser.parse(Array(text.utf8))?.value }

    @Test func parsesEveryReplyType() throws {
        #expect(try parse("+OK\r\n") == .simpleString("OK"))
        #expect(try parse("-ERR wrong\r\n") == .error("ERR wrong"))
        #expect(try parse(":-42\r\n") == .integer(-42))
        #expect(try parse("$5\r\nhe\r\no\r\n") == .bulkString(Array("he\r\no".utf8)))
        #expect(try parse("$-1\r\n") == .bulkString(nil))
        #expect(try parse("*2\r\n:1\r\n*1\r\n+x\r\n") == .array([.integer(1), .array([.simpleString("x")])]))
        #expect(try parse("*-1\r\n") == .array(nil))
    }

    @Test func waitsForCompleteInput() throws {
        for partial in ["", "+OK", "+OK\r", "$5\r\nhel", "*2\r\n:1\r\n", ":12"] {
            #expect(try parse(partial) == nil, "\(partial)")
        }
        #expect(try parser.parse(Array("+A\r\n+B\r\n".utf8))?.length == 4)
    }

    @Test func rejectsWhatIsNotRESP() {
        for bad in ["?x\r\n", ":abc\r\n", "$-7\r\n", "$3\r\nabcde\r\n", "*99999999999\r\n"] {
            #expect(throws: RedisError.self, "\(bad)") { try parse(bad) }
        }
        let deep = String(repeating: "*1\r\n", count: 100) + ":1\r\n"
        #expect(throws: RedisError.self) { try parse(deep) }
    }

    @Test func encodesCommandsAsBulkStringArrays() {
        #expect(String(decoding: RESPParser.encode(["SET", "k", "v 1"]), as: UTF8.self) == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nv 1\r\n")
    }
}

@Suite struct HashSlotTests {
    /// Values from the Redis Cluster specification and `CLUSTER KEYSLOT`.
    @Test func matchesRedis() {
        #expect(HashSlot.slot(of: "123456789") == 12739) // CRC16 check value 0x31C3
        #expect(HashSlot.slot(of: "foo") == 12182)
        #expect(HashSlot.slot(of: "{user1000}.following") == HashSlot.slot(of: "{user1000}.followers"))
        // An empty tag does not count: the whole key is hashed.
        #expect(HashSlot.slot(of: "{}foo") != HashSlot.slot(of: "foo"))
    }
}
